// The example trainers and the ovo command end to end on tiny datasets written in the real
// formats: run, report, export, eval, a killed run resumed to the uninterrupted weights, and
// image folders with CMYK, PNG and undecodable files.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <ovo/ovo.hpp>
#if defined(OVO_APPS_CUDA)
#include <ovo/backend/cuda/devices.hpp>
#endif

#include "../data/format_writers.hpp"
#include "../data/image_file_writers.hpp"
#include "../support.hpp"

namespace {

namespace fs = std::filesystem;

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

command_result run_command(const std::vector<std::string>& args) {
  std::string line = "OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE";
  for (const auto& a : args) line += " '" + a + "'";
  line += " 2>&1";
  command_result r;
  FILE* pipe = ::popen(line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  ovo::io::write_file_atomically(path, std::as_bytes(std::span(bytes)));
}

std::string read_text(const fs::path& path) {
  const auto bytes = ovo::io::read_file_bytes(path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read_text(path));
}

// The tensors of two safetensors files are equal byte for byte (metadata may differ).
void check_same_tensors(const fs::path& a, const fs::path& b) {
  const auto x = ovo::io::safetensors::load(a), y = ovo::io::safetensors::load(b);
  REQUIRE(x.names() == y.names());
  for (const auto& name : x.names()) {
    CAPTURE(name);
    CHECK(x.at(name).shape == y.at(name).shape);
    CHECK(x.at(name).data == y.at(name).data);
  }
}

// A CIFAR-100 directory of 3 training images per class and 1 test image per class.
fs::path write_tiny_cifar100(const ovo::test::temp_dir& dir) {
  const fs::path root = dir / "cifar-100-binary";
  fs::create_directories(root);
  const auto train = ovo::test::random_image_set(300, 32, 32, 3, 100, 1);
  const auto test = ovo::test::random_image_set(100, 32, 32, 3, 100, 2);
  std::vector<int> coarse_train(train.size()), coarse_test(test.size());
  for (std::size_t i = 0; i < train.size(); ++i) coarse_train[i] = train.labels[i] / 5;
  for (std::size_t i = 0; i < test.size(); ++i) coarse_test[i] = test.labels[i] / 5;
  ovo::test::write_cifar100(root / "train.bin", train, coarse_train);
  ovo::test::write_cifar100(root / "test.bin", test, coarse_test);
  return root;
}

// A Fashion-MNIST directory (plain IDX files) of random 28x28 images, balanced over 10 classes.
fs::path write_tiny_fashion_mnist(const ovo::test::temp_dir& dir, std::size_t train,
                                  std::size_t test, std::uint64_t seed) {
  const fs::path root = dir / "fashion-mnist";
  fs::create_directories(root);
  ovo::test::write_idx(root / "train-images-idx3-ubyte", root / "train-labels-idx1-ubyte",
                       ovo::test::random_image_set(train, 28, 28, 1, 10, seed), false);
  ovo::test::write_idx(root / "t10k-images-idx3-ubyte", root / "t10k-labels-idx1-ubyte",
                       ovo::test::random_image_set(test, 28, 28, 1, 10, seed + 1), false);
  return root;
}

const std::vector<std::string> tiny_cifar_run = {"--space",
                                                 "autoformer-t-cifar100",
                                                 "--batch",
                                                 "8",
                                                 "--eval-batch",
                                                 "50",
                                                 "--holdout-per-class",
                                                 "1",
                                                 "--warmup-steps",
                                                 "2",
                                                 "--log-every",
                                                 "2"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE(
    "examples: cifar100 runs end to end and the ovo command evaluates and exports its subnet") {
  const ovo::test::temp_dir dir("example_cifar100");
  const auto data = write_tiny_cifar100(dir);
  const auto out = dir / "out";
  const auto run = run_command(concat({OVO_EXAMPLE_CIFAR100,
                                       "run",
                                       "--data",
                                       data.string(),
                                       "--out",
                                       out.string(),
                                       "--steps",
                                       "4",
                                       "--population",
                                       "4",
                                       "--generations",
                                       "2",
                                       "--parents",
                                       "2",
                                       "--mutations",
                                       "1",
                                       "--crossovers",
                                       "1",
                                       "--max-params",
                                       "7e6"},
                                      tiny_cifar_run));
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("step      4/4") != std::string::npos);
  CHECK(run.output.find("report: " + (out / "report" / "report.json").string()) !=
        std::string::npos);

  const auto report = read_json(out / "report" / "report.json");
  const auto chosen = report.at("arch").get<ovo::arch>();
  CHECK(ovo::autoformer_tiny_cifar100::contains(chosen));
  const auto params = report.at("params").get<double>();
  CHECK(params == ovo::count_params(chosen, ovo::autoformer_tiny_cifar100::shape()));
  CHECK(params <= report.at("param_limit").get<double>());
  CHECK(report.at("param_limit").get<double>() == 7e6);
  CHECK(report.at("flops").get<double>() ==
        ovo::count_macs(chosen, ovo::autoformer_tiny_cifar100::shape()));
  const double top1 = report.at("test_top1");
  CHECK(top1 >= 0.0);
  CHECK(top1 <= 1.0);
  CHECK(report.at("sampling") == "ovo");
  CHECK(report.at("training").size() == 2);  // logged at steps 2 and 4
  const auto history = report.at("search").at("history");
  CHECK(history.size() >= 4);
  CHECK(history.size() <= 8);
  for (const auto& c : history) CHECK(c.at("params").get<double>() <= 7e6);
  for (const char* svg : {"training_curve.svg", "search_progress.svg", "pareto_front.svg"})
    CHECK(read_text(out / "report" / svg).starts_with("<svg "));

  // The exported subnet is the chosen arch, and the ovo command's test-set evaluation of it
  // agrees with the report's.
  const auto subnet =
      ovo::io::load_subnet<ovo::vit_supernet<ovo::cpu<float>>>(out / "subnet.safetensors", 4);
  CHECK(subnet.architecture == chosen);
  CHECK(read_json(out / "subnet.arch.json").get<ovo::arch>() == chosen);
  const auto eval = run_command({OVO_COMMAND, "eval", "--space", "autoformer-t-cifar100",
                                 "--dataset", "cifar100", "--data", data.string(), "--subnet",
                                 (out / "subnet.safetensors").string(), "--eval-batch", "50"});
  CAPTURE(eval.output);
  REQUIRE(eval.exit_code == 0);
  CHECK(nlohmann::json::parse(eval.output).at("test_top1").get<double>() == top1);
  // ... and `export` of the same arch from the checkpoint writes the same tensors.
  const auto exported =
      run_command({OVO_COMMAND, "export", "--space", "autoformer-t-cifar100", "--dataset",
                   "cifar100", "--data", data.string(), "--out", (dir / "again").string(), "--arch",
                   (out / "subnet.arch.json").string()});
  CAPTURE(exported.output);
  fs::copy_file(out / "supernet.safetensors", dir / "again.ckpt");
  REQUIRE(exported.exit_code == 1);  // no checkpoint in that directory yet
  CHECK(exported.output.find("no supernet checkpoint at") != std::string::npos);
  fs::create_directories(dir / "again");
  fs::copy_file(dir / "again.ckpt", dir / "again" / "supernet.safetensors");
  const auto exported2 =
      run_command({OVO_COMMAND, "export", "--space", "autoformer-t-cifar100", "--dataset",
                   "cifar100", "--data", data.string(), "--out", (dir / "again").string(), "--arch",
                   (out / "subnet.arch.json").string()});
  CAPTURE(exported2.output);
  REQUIRE(exported2.exit_code == 0);
  check_same_tensors(out / "subnet.safetensors", dir / "again" / "subnet.safetensors");
}

TEST_CASE("examples: a killed cifar100 run resumed with --resume ends with the same weights") {
  const ovo::test::temp_dir dir("example_resume");
  const auto data = write_tiny_cifar100(dir);
  const auto train_args = [&](const fs::path& out) {
    return concat({OVO_EXAMPLE_CIFAR100, "train", "--data", data.string(), "--out", out.string(),
                   "--steps", "10", "--checkpoint-every", "2", "--workers", "2"},
                  tiny_cifar_run);
  };
  const auto straight = run_command(train_args(dir / "straight"));
  CAPTURE(straight.output);
  REQUIRE(straight.exit_code == 0);

  // Start the same run, kill it (SIGKILL) once its first checkpoint is on disk, resume it.
  const auto killed_out = dir / "killed";
  const auto args = train_args(killed_out);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto checkpoint = killed_out / "supernet.safetensors";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  const auto at_kill = ovo::io::safetensors::load(checkpoint).metadata.at("optimizer.step");
  CAPTURE(at_kill);
  CHECK(std::stol(at_kill) < 10);

  auto resume_args = args;
  resume_args.push_back("--resume");
  const auto resumed = run_command(resume_args);
  CAPTURE(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.output.find("resumed from " + checkpoint.string() + " at step " + at_kill) !=
        std::string::npos);
  check_same_tensors(dir / "straight" / "supernet.safetensors", checkpoint);

  // A checkpoint of another sampling strategy is refused by name.
  auto other = args;
  other.insert(other.end(), {"--resume", "--sampling", "uniform"});
  const auto refused = run_command(other);
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("checkpoint field 'trainer.sampling' is 'ovo', this run expects "
                            "'uniform'") != std::string::npos);
}

TEST_CASE("examples: imagenet runs end to end on a folder of JPEGs, with CMYK, PNG and bad files") {
  const ovo::test::temp_dir dir("example_imagenet");
  // 10 classes (Imagenette's count) of JPEGs of assorted sizes, train/ and val/.
  for (const auto& [split, per_class] : {std::pair{"train", 3}, std::pair{"val", 1}}) {
    for (int c = 0; c < 10; ++c) {
      const auto class_dir = dir / "imagenette" / split / fmt::format("n{:08}", c);
      fs::create_directories(class_dir);
      for (int i = 0; i < per_class; ++i)
        ovo::data::write_jpeg(
            class_dir / fmt::format("{}.JPEG", i),
            ovo::test::smooth_random_image(40 + 7 * i, 50 - 3 * c, 3,
                                           static_cast<std::uint64_t>(c * 10 + i)),
            90);
    }
  }
  // As in ImageNet: a CMYK JPEG and a PNG named .JPEG, which the test set reads (so a failure to
  // decode them would be counted), and a file that is no image, the first of class 0 (read first).
  const std::vector<std::uint8_t> cmyk(40 * 40 * 4, 200);
  write_file(dir / "imagenette" / "val" / "n00000001" / "0.JPEG",
             ovo::test::encode_cmyk_jpeg(40, 40, cmyk));
  const auto png_pixels = ovo::test::smooth_random_image(30, 45, 3, 99);
  write_file(dir / "imagenette" / "val" / "n00000002" / "0.JPEG",
             ovo::test::encode_png(45, 30, PNG_FORMAT_RGB, png_pixels.pixels.data()));
  const auto garbage = dir / "imagenette" / "train" / "n00000000" / "0.JPEG";
  write_file(garbage, std::vector<std::uint8_t>(100, 'x'));
  const auto out = dir / "out";
  const auto run = run_command({OVO_EXAMPLE_IMAGENET,
                                "--space",
                                "autoformer-t-imagenette",
                                "--data",
                                (dir / "imagenette").string(),
                                "--out",
                                out.string(),
                                "--steps",
                                "2",
                                "--batch",
                                "4",
                                "--eval-batch",
                                "10",
                                "--holdout-per-class",
                                "1",
                                "--warmup-steps",
                                "1",
                                "--log-every",
                                "1",
                                "--population",
                                "2",
                                "--generations",
                                "1",
                                "--mutations",
                                "0",
                                "--crossovers",
                                "0",
                                "--parents",
                                "1",
                                "--workers",
                                "2"});
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  const auto report = read_json(out / "report" / "report.json");
  CHECK(report.at("dataset") == "imagenet");
  CHECK(report.at("search").at("history").size() == 2);
  const auto subnet =
      ovo::io::load_subnet<ovo::vit_supernet<ovo::cpu<float>>>(out / "subnet.safetensors", 2);
  CHECK(subnet.architecture == report.at("arch").get<ovo::arch>());
  // The bad file was replaced, reported once and counted; the CMYK JPEG and the PNG decoded.
  const auto undecodable = report.at("undecodable_images");
  CHECK(undecodable.at("count") == 1);
  REQUIRE(undecodable.at("files").size() == 1);
  CHECK(undecodable.at("files")[0].at("path") == garbage.string());
  const std::string warning = "warning: undecodable '" + garbage.string() + "' replaced by '" +
                              (garbage.parent_path() / "1.JPEG").string() + "'";
  const auto first_warning = run.output.find(warning);
  CHECK(first_warning != std::string::npos);
  CHECK(run.output.find(warning, first_warning + 1) == std::string::npos);
  CHECK(run.output.find("1 undecodable images replaced") != std::string::npos);

  // With --bad-images fail, the bad file stops the run with its name.
  const auto failed =
      run_command({OVO_EXAMPLE_IMAGENET, "--space", "autoformer-t-imagenette", "--data",
                   (dir / "imagenette").string(), "--out", (dir / "out2").string(), "--steps", "2",
                   "--batch", "4", "--holdout-per-class", "1", "--bad-images", "fail"});
  CAPTURE(failed.output);
  CHECK(failed.exit_code == 1);
  CHECK(failed.output.find("imagenet: error: image '" + garbage.string() + "'") !=
        std::string::npos);
}

TEST_CASE(
    "examples: ovo check-data lists each undecodable file and fails, and passes a clean folder") {
  const ovo::test::temp_dir dir("example_check_data");
  const auto root = dir / "train";
  for (const char* name : {"n01", "n02"}) fs::create_directories(root / name);
  ovo::data::write_jpeg(root / "n01" / "a.JPEG", ovo::test::smooth_random_image(20, 30, 3, 1));
  const std::vector<std::uint8_t> cmyk(16 * 16 * 4, 90);
  write_file(root / "n01" / "b.JPEG", ovo::test::encode_cmyk_jpeg(16, 16, cmyk));
  const auto png_pixels = ovo::test::smooth_random_image(10, 10, 3, 2);
  write_file(root / "n02" / "c.JPEG",
             ovo::test::encode_png(10, 10, PNG_FORMAT_RGB, png_pixels.pixels.data()));
  const auto whole = ovo::data::encode_jpeg(ovo::test::smooth_random_image(64, 64, 3, 3), 90);
  const auto cut = root / "n02" / "d.JPEG";
  write_file(cut, std::vector<std::uint8_t>(whole.begin(), whole.begin() + whole.size() / 2));

  const auto bad = run_command({OVO_COMMAND, "check-data", root.string(), "--threads", "2"});
  CAPTURE(bad.output);
  CHECK(bad.exit_code == 1);
  std::size_t listed = 0;
  for (std::size_t at = bad.output.find("undecodable '"); at != std::string::npos;
       at = bad.output.find("undecodable '", at + 1))
    ++listed;
  CHECK(listed == 1);
  CHECK(bad.output.find("undecodable '" + cut.string() + "': JPEG '" + cut.string() +
                        "': truncated") != std::string::npos);
  CHECK(bad.output.find("4 files, 2 classes, 1 undecodable\n") != std::string::npos);

  fs::remove(cut);
  const auto clean = run_command({OVO_COMMAND, "check-data", root.string()});
  CAPTURE(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(clean.output.find("3 files, 2 classes, 0 undecodable\n") != std::string::npos);
  CHECK(clean.output.find("undecodable '") == std::string::npos);
}

TEST_CASE("examples: every option of every command is explained in --help") {
  for (const auto& sub : {"run", "train", "search", "eval", "export", "check-data", "train-teacher",
                          "rank-correlation"}) {
    const auto help = run_command({OVO_COMMAND, sub, "--help"});
    CAPTURE(help.output);
    REQUIRE(help.exit_code == 0);
    // CLI11 writes each option's names, type and default in a column of 30, then its
    // description on the same line or, when the names are wider, on the next line.
    std::vector<std::string> lines;
    for (std::size_t pos = 0, end; pos < help.output.size(); pos = end + 1) {
      end = help.output.find('\n', pos);
      if (end == std::string::npos) end = help.output.size();
      lines.push_back(help.output.substr(pos, end - pos));
    }
    std::size_t options = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("  -", 0) != 0) continue;
      ++options;
      const bool same_line = lines[i].size() > 30 && lines[i][30] != ' ';
      const bool next_line = i + 1 < lines.size() && lines[i + 1].size() > 30 &&
                             lines[i + 1].find_first_not_of(' ') == 30;
      CAPTURE(lines[i]);
      CHECK((same_line || next_line));
    }
    CHECK(options >= 2);
  }
  const auto bad = run_command({OVO_COMMAND, "run", "--space", "nonesuch"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("--space nonesuch: expected one of fashion-mnist") != std::string::npos);
  const auto missing = run_command({OVO_COMMAND, "run", "--data", "/nonexistent/fmnist"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("/nonexistent/fmnist") != std::string::npos);
}

TEST_CASE("examples: --device cuda runs on a GPU, or is refused with the reason") {
  const ovo::test::temp_dir dir("example_device");
  const auto data = write_tiny_fashion_mnist(dir, 100, 20, 5);
  const std::vector<std::string> train = {"train",   "--device",    "cuda",
                                          "--data",  data.string(), "--holdout-per-class",
                                          "1",       "--batch",     "8",
                                          "--steps", "2",           "--log-every",
                                          "1",       "--out",       (dir / "out").string()};
  const auto example = run_command(concat({OVO_EXAMPLE_FASHION_MNIST}, train));
  const auto command = run_command(concat({OVO_COMMAND}, train));
  for (const auto& r : {example, command}) {
    CAPTURE(r.output);
#if defined(OVO_APPS_CUDA)
    if (ovo::cuda::device_count() > 0) {
      CHECK(r.exit_code == 0);
      CHECK(r.output.find("cuBLAS products in") != std::string::npos);
      continue;
    }
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("--device cuda: no CUDA GPU is visible to this process") !=
          std::string::npos);
#else
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("--device cuda: this program was built without the CUDA back end") !=
          std::string::npos);
#endif
  }
  // The program's own spaces are checked before the device is.
  const auto space = run_command(
      {OVO_EXAMPLE_FASHION_MNIST, "train", "--device", "cuda", "--space", "autoformer-t"});
  CHECK(space.exit_code == 1);
  CHECK(space.output.find("--space autoformer-t: expected one of fashion-mnist") !=
        std::string::npos);
  // Every program holds the stages of every space and offers its own: `spaces` lists those.
  const auto listed = [](const char* program) {
    const auto r = run_command({program, "spaces"});
    CHECK(r.exit_code == 0);
    std::vector<std::string> names;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) names.push_back(line.substr(0, line.find(' ')));
    return names;
  };
  CHECK(listed(OVO_EXAMPLE_FASHION_MNIST) == std::vector<std::string>{"fashion-mnist"});
  CHECK(listed(OVO_EXAMPLE_IMAGENET) == std::vector<std::string>{"emo-imagenet", "autoformer-t",
                                                                 "autoformer-s", "autoformer-b",
                                                                 "autoformer-t-imagenette"});
  CHECK(listed(OVO_EXAMPLE_CIFAR100).size() == 7);
  CHECK(listed(OVO_COMMAND).size() == 14);
  const auto unknown = run_command({OVO_COMMAND, "train", "--device", "tpu"});
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.output.find("--device") != std::string::npos);
}

TEST_CASE("examples: a supernet the library does not ship trains, resumes, searches and exports") {
  const ovo::test::temp_dir dir("example_elastic_mlp");
  const auto data = write_tiny_fashion_mnist(dir, 300, 50, 3);
  for (const std::string sampling : {"uniform", "ovo"}) {
    CAPTURE(sampling);
    const auto out = dir / sampling;
    const auto run =
        run_command({OVO_EXAMPLE_ELASTIC_MLP, data.string(), out.string(), "40", sampling});
    CAPTURE(run.output);
    // The program checks that the chosen subnet meets the limit and that the exported file, read
    // back, gives the supernet's logits; its exit code says so.
    REQUIRE(run.exit_code == 0);
    CHECK(run.output.find("resumed at step 20\n") != std::string::npos);
    CHECK(run.output.find("step 40/40 loss") != std::string::npos);
    CHECK(run.output.find("(limit 60000), test top-1") != std::string::npos);
    CHECK(fs::exists(out / "supernet.safetensors"));
    const auto subnet = ovo::io::safetensors::load(out / "subnet.safetensors");
    CHECK(subnet.metadata.at("format") == "ovo.subnet.v1");
    CHECK(subnet.contains("head.weight"));
  }
}

TEST_CASE("examples: docs/tutorial.md's program is examples/tutorial/main.cpp, and it runs") {
  const std::string page = read_text(fs::path(OVO_SOURCE_DIR) / "docs" / "tutorial.md");
  const auto begin = page.find("```cpp\n");
  REQUIRE(begin != std::string::npos);
  const auto end = page.find("```\n", begin + 7);
  REQUIRE(end != std::string::npos);
  CHECK(page.substr(begin + 7, end - begin - 7) ==
        read_text(fs::path(OVO_SOURCE_DIR) / "examples" / "tutorial" / "main.cpp"));

  const ovo::test::temp_dir dir("example_tutorial");
  write_tiny_fashion_mnist(dir, 1700, 20, 5);
  // It writes subnet.safetensors into its working directory.
  const auto run = run_command({"sh", "-c",
                                "cd '" + dir.path().string() + "' && exec '" +
                                    OVO_EXAMPLE_TUTORIAL + "' fashion-mnist 4 1"});
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("step 4/4 loss") != std::string::npos);
  CHECK(run.output.find("params, test top-1") != std::string::npos);
  CHECK(ovo::io::safetensors::load(dir / "subnet.safetensors").metadata.at("format") ==
        "ovo.subnet.v1");
}

TEST_CASE("examples: ovo train-teacher trains a ResNet, tests it and saves a file that reloads") {
  const ovo::test::temp_dir dir("train_teacher");
  const auto data = write_tiny_fashion_mnist(dir, 200, 40, 7);
  const auto out = dir / "out";
  const auto run = run_command({OVO_COMMAND,
                                "train-teacher",
                                "--dataset",
                                "fashion-mnist",
                                "--data",
                                data.string(),
                                "--out",
                                out.string(),
                                "--depth",
                                "8",
                                "--steps",
                                "4",
                                "--batch",
                                "16",
                                "--eval-batch",
                                "20",
                                "--holdout-per-class",
                                "2",
                                "--log-every",
                                "2"});
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("training teacher resnet-8 (") != std::string::npos);
  CHECK(run.output.find("on 180 1x28x28 images of 10 classes (20 held out), 4 steps of batch 16") !=
        std::string::npos);
  CHECK(run.output.find("step      4/4 | epoch 0 | loss ") != std::string::npos);
  const auto reported = run.output.find("test top-1 ");
  REQUIRE(reported != std::string::npos);

  // The file holds the network: read back, it scores the test set as the command reported.
  using teacher_type = ovo::resnet<ovo::cpu<float>>;
  auto teacher = ovo::io::load_subnet<teacher_type>(out / "teacher.safetensors", 20);
  CHECK(teacher.network.shape().height == 28);
  CHECK(teacher.network.input().channels == 1);
  CHECK(teacher.network.classes() == 10);
  const auto test = ovo::data::load_dataset<ovo::data::image_set>("fashion-mnist", data,
                                                                  ovo::data::dataset_split::test);
  std::vector<std::size_t> indices(test.size());
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  ovo::data::batch_loader<ovo::data::image_set> loader(
      test, indices, ovo::data::dataset_augmentation("fashion-mnist", 28, 1),
      {.batch_size = 20, .shuffle = false, .drop_last = false, .train = false, .workers = 0});
  const double top1 = ovo::streamed_top1(teacher.network, teacher.architecture, loader);
  CHECK(run.output.find(fmt::format("test top-1 {:.2f}%, saved to {}", 100 * top1,
                                    (out / "teacher.safetensors").string())) != std::string::npos);

  const auto refused = run_command({OVO_COMMAND, "train-teacher", "--dataset", "fashion-mnist",
                                    "--data", data.string(), "--depth", "9"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("depth 9, expected 6n + 2") != std::string::npos);

  // The file as the frozen teacher of a supernet run (--teacher-model).
  const auto train_with = [&](const fs::path& teacher_file) {
    return run_command({OVO_COMMAND,
                        "train",
                        "--space",
                        "emo-fashion-mnist",
                        "--data",
                        data.string(),
                        "--out",
                        (dir / "student").string(),
                        "--teacher-model",
                        teacher_file.string(),
                        "--sampling",
                        "uniform",
                        "--steps",
                        "2",
                        "--batch",
                        "8",
                        "--holdout-per-class",
                        "2",
                        "--log-every",
                        "1"});
  };
  const auto taught = train_with(out / "teacher.safetensors");
  CAPTURE(taught.output);
  REQUIRE(taught.exit_code == 0);
  CHECK(taught.output.find("distilling from resnet-8 (") != std::string::npos);
  CHECK(taught.output.find("step      2/2 | epoch 0 | loss ") != std::string::npos);
  CHECK(taught.output.find(", kl ") != std::string::npos);
  // A teacher of other classes, and a file that holds no ResNet, are refused by name.
  teacher_type hundred({.depth = 8, .classes = 100, .channels = 1, .height = 28, .width = 28}, 1);
  ovo::io::export_subnet(dir / "hundred.safetensors", hundred, hundred.arch());
  const auto other_classes = train_with(dir / "hundred.safetensors");
  CHECK(other_classes.exit_code == 1);
  CHECK(other_classes.output.find(
            "hundred.safetensors: a network of 1x28x28 images and 100 classes, expected 1x28x28 "
            "and 10 (space 'emo-fashion-mnist')") != std::string::npos);
  const auto not_resnet = train_with(dir / "student" / "supernet.safetensors");
  CHECK(not_resnet.exit_code == 1);
  CHECK(not_resnet.output.find("supernet.safetensors") != std::string::npos);
}

TEST_CASE(
    "examples: ovo runs an EMO space end to end, recalibrating batch norms before it scores") {
  const ovo::test::temp_dir dir("emo_run");
  const auto data = write_tiny_fashion_mnist(dir, 200, 30, 11);
  const auto out = dir / "out";
  const std::vector<std::string> common = {"--space",
                                           "emo-fashion-mnist",
                                           "--dataset",
                                           "fashion-mnist",
                                           "--data",
                                           data.string(),
                                           "--eval-batch",
                                           "20",
                                           "--holdout-per-class",
                                           "2",
                                           "--calibration-batches",
                                           "2"};
  const auto run =
      run_command(concat({OVO_COMMAND,    "run", "--out",          out.string(), "--steps",     "3",
                          "--batch",      "8",   "--warmup-steps", "1",          "--log-every", "3",
                          "--population", "3",   "--generations",  "2",          "--parents",   "2",
                          "--mutations",  "1",   "--crossovers",   "1"},
                         common));
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("held-out top-1 on the running statistics training left: ") !=
        std::string::npos);
  const auto report = read_json(out / "report" / "report.json");
  const auto chosen = report.at("arch").get<ovo::emo_arch>();
  using space = ovo::emo_fashion_mnist_space;
  CHECK(space::contains(chosen));
  CHECK(report.at("params").get<double>() == space::params(chosen));
  CHECK(report.at("flops").get<double>() == space::macs(chosen));
  CHECK(report.at("calibration_batches") == 2);
  CHECK(report.at("holdout_top1_running_statistics").is_number());

  // The exported subnet carries its calibrated statistics: `eval --subnet` scores it as the run
  // did, and `eval --arch` (recalibrated from the checkpoint) agrees.
  using net_type = ovo::emo_supernet<ovo::cpu<float>>;
  const auto subnet = ovo::io::load_subnet<net_type>(out / "subnet.safetensors", 4);
  CHECK(subnet.architecture == chosen);
  CHECK(static_cast<std::int64_t>(subnet.network.parameters().size()) == space::params(chosen));
  const double top1 = report.at("test_top1");
  const auto by_file = run_command(
      concat({OVO_COMMAND, "eval", "--subnet", (out / "subnet.safetensors").string()}, common));
  CAPTURE(by_file.output);
  REQUIRE(by_file.exit_code == 0);
  CHECK(nlohmann::json::parse(by_file.output).at("test_top1").get<double>() == top1);
  const auto by_arch = run_command(concat(
      {OVO_COMMAND, "eval", "--out", out.string(), "--arch", (out / "subnet.arch.json").string()},
      common));
  CAPTURE(by_arch.output);
  REQUIRE(by_arch.exit_code == 0);
  CHECK(nlohmann::json::parse(by_arch.output).at("test_top1").get<double>() == top1);
}

TEST_CASE(
    "examples: FocusFormer trains and specialises, proxies search without a supernet, and "
    "rank-correlation reports every predictor") {
  const ovo::test::temp_dir dir("focus_and_proxies");
  const auto data = write_tiny_fashion_mnist(dir, 200, 30, 13);
  const auto focused = dir / "focused", plain = dir / "plain";
  const std::vector<std::string> data_args = {
      "--space", "fashion-mnist",       "--data", data.string(), "--eval-batch",
      "20",      "--holdout-per-class", "2"};
  const auto common = concat(data_args, {"--max-params", "700000"});
  const auto run = run_command(concat({OVO_COMMAND,
                                       "run",
                                       "--out",
                                       focused.string(),
                                       "--batch",
                                       "8",
                                       "--steps",
                                       "4",
                                       "--warmup-steps",
                                       "1",
                                       "--sampling",
                                       "uniform",
                                       "--focusformer",
                                       "--focus-bins",
                                       "2",
                                       "--focus-candidates",
                                       "2",
                                       "--focus-update-every",
                                       "2",
                                       "--focus-update-samples",
                                       "2",
                                       "--search",
                                       "specialise",
                                       "--specialise-draws",
                                       "3"},
                                      common));
  CAPTURE(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("FocusFormer sampler: 2 bins of params cut at [") != std::string::npos);
  const auto report = read_json(focused / "report" / "report.json");
  CHECK(report.at("focusformer").at("updates") == nlohmann::json::array({2, 2}));
  CHECK(report.at("search_method") == "specialise");
  CHECK(report.at("evaluations") == 3);
  CHECK(report.at("params").get<double>() <= 700000);
  // The sampler comes back from the checkpoint to specialise again; a plain supernet has none.
  const auto again = run_command(concat({OVO_COMMAND, "search", "--out", focused.string(),
                                         "--search", "specialise", "--specialise-draws", "2"},
                                        common));
  CAPTURE(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(read_json(focused / "search.json").at("history").size() == 2);
  REQUIRE(run_command(concat({OVO_COMMAND, "train", "--out", plain.string(), "--batch", "8",
                              "--steps", "1"},
                             data_args))
              .exit_code == 0);
  const auto refused = run_command(
      concat({OVO_COMMAND, "search", "--out", plain.string(), "--search", "specialise"}, common));
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("holds no sampler state, expected the checkpoint of a run with "
                            "--focusformer") != std::string::npos);

  // A proxy searches the untrained network; `run` then trains the chosen arch alone.
  const auto proxy =
      run_command(concat({OVO_COMMAND, "search", "--out", (dir / "proxy").string(), "--fitness",
                          "synflow", "--search", "random", "--random-samples", "5"},
                         common));
  CAPTURE(proxy.output);
  REQUIRE(proxy.exit_code == 0);
  CHECK(proxy.output.find("synflow score ") != std::string::npos);
  const auto searched = read_json(dir / "proxy" / "search.json");
  CHECK(searched.at("history").size() == 5);
  const auto alone =
      run_command(concat({OVO_COMMAND, "run", "--out", (dir / "alone").string(), "--batch", "8",
                          "--fitness", "l2-norm", "--search", "random", "--random-samples", "4",
                          "--steps", "2", "--warmup-steps", "1"},
                         common));
  CAPTURE(alone.output);
  REQUIRE(alone.exit_code == 0);
  CHECK(alone.output.find(" alone, ") != std::string::npos);
  const auto alone_report = read_json(dir / "alone" / "report" / "report.json");
  CHECK(alone_report.at("fitness") == "l2-norm");
  CHECK(alone_report.at("evaluations") == 4);
  CHECK(alone_report.at("steps") == 2);
  // Methods compared by their searches' fronts in one plot; a damaged file is refused by name.
  const auto specialised = (focused / "search.json").string();
  const auto fronts =
      run_command(concat({OVO_COMMAND, "fronts", "--out", (dir / "fronts").string(), "--method",
                          "focus=" + specialised + "," + specialised, "--method",
                          "synflow=" + (dir / "proxy" / "search.json").string()},
                         data_args));
  CAPTURE(fronts.output);
  REQUIRE(fronts.exit_code == 0);
  CHECK(fronts.output.find("| focus | ") != std::string::npos);
  const auto compared = read_json(dir / "fronts" / "fronts.json");
  REQUIRE(compared.size() == 2);
  CHECK(compared.at(0).at("chosen").size() == 2);
  CHECK(compared.at(1).at("name") == "synflow");
  CHECK(fs::exists(dir / "fronts" / "fronts.svg"));
  ovo::io::write_file_atomically(dir / "damaged.json", "{}\n");
  const auto damaged = run_command(concat(
      {OVO_COMMAND, "fronts", "--method", "x=" + (dir / "damaged.json").string()}, data_args));
  CHECK(damaged.exit_code == 1);
  CHECK(damaged.output.find((dir / "damaged.json").string() + ": search result JSON") !=
        std::string::npos);
  const auto no_teacher = run_command(
      concat({OVO_COMMAND, "search", "--out", (dir / "tvt").string(), "--fitness", "tvt"}, common));
  CHECK(no_teacher.exit_code == 1);
  CHECK(no_teacher.output.find("--fitness tvt: expected --teacher-model FILE") !=
        std::string::npos);

  // Every predictor against the archs trained alone, plain and distilled.
  ovo::resnet<ovo::cpu<float>> teacher(
      {.depth = 8, .classes = 10, .channels = 1, .height = 28, .width = 28}, 1);
  ovo::rng_engine init(3);
  teacher.initialize(init);
  ovo::io::export_subnet(dir / "teacher.safetensors", teacher, teacher.arch());
  const auto ranked = run_command(
      concat({OVO_COMMAND, "rank-correlation", "--out", (dir / "ranked").string(), "--batch", "8",
              "--archs", "3", "--standalone-steps", "1", "--warmup-steps", "1", "--proxies",
              "synflow", "tvt", "--supernet", "focus=" + focused.string(), "--teacher-model",
              (dir / "teacher.safetensors").string()},
             common));
  CAPTURE(ranked.output);
  REQUIRE(ranked.exit_code == 0);
  const auto ranking = read_json(dir / "ranked" / "rank_correlation.json");
  CHECK(ranking.at("archs").size() == 3);
  CHECK(ranking.at("archs").at(0).at("scores").contains("supernet focus"));
  CHECK(ranking.at("archs").at(0).contains("distilled_top1"));
  CHECK(ranking.at("agreements").size() == 6);  // 3 predictors x 2 targets
  CHECK(fs::exists(dir / "ranked" / "rank_correlation_standalone.svg"));
  CHECK(fs::exists(dir / "ranked" / "rank_correlation_distilled.svg"));
}

#if defined(OVO_APPS_MPI)
TEST_CASE("examples: mpirun -np 2 ovo trains one process's supernet and searches its way") {
  const ovo::test::temp_dir dir("example_mpirun");
  const auto data = write_tiny_fashion_mnist(dir, 200, 20, 7);
  const std::vector<std::string> mpirun = {"env",
                                           "OMPI_ALLOW_RUN_AS_ROOT=1",
                                           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                           "OMP_NUM_THREADS=1",
                                           OVO_MPIEXEC,
                                           "-np",
                                           "2",
                                           "--oversubscribe"};
  const auto training = [&](const fs::path& out) {
    return std::vector<std::string>{
        "train",     "--data",      data.string(), "--holdout-per-class",
        "2",         "--batch",     "8",           "--steps",
        "4",         "--drop-path", "0",           "--warmup-steps",
        "2",         "--log-every", "2",           "--out",
        out.string()};
  };
  const auto two = run_command(concat(concat(mpirun, {OVO_COMMAND}), training(dir / "two")));
  CAPTURE(two.output);
  REQUIRE(two.exit_code == 0);
  CHECK(two.output.find("on 2 processes of 4 images each") != std::string::npos);
  // Process 0 alone speaks: one line per log.
  const auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count(two.output, "step      2/4") == 1);
  const auto one = run_command(concat({OVO_COMMAND}, training(dir / "one")));
  REQUIRE(one.exit_code == 0);
  // The same weights to float rounding: the shards' gradients add in another order. AdamW turns
  // a gradient that is rounding noise (a weight the step barely touched) into a step of up to the
  // learning rate either way, so a few weights may differ by that much; all others within 1e-5.
  const auto a = ovo::io::safetensors::load(dir / "two" / "supernet.safetensors"),
             b = ovo::io::safetensors::load(dir / "one" / "supernet.safetensors");
  REQUIRE(a.names() == b.names());
  std::size_t values = 0, close = 0;
  float largest = 0;
  for (const auto& name : b.names()) {
    if (name.rfind("optimizer.", 0) == 0) continue;
    const auto x = a.at(name).values<float>(), y = b.at(name).values<float>();
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i, ++values) {
      close += std::abs(x[i] - y[i]) <= 1e-5f * (1 + std::abs(y[i]));
      largest = std::max(largest, std::abs(x[i] - y[i]));
    }
  }
  CHECK(values > 1'000'000);
  CHECK(close >= values - values / 10000);
  CHECK(largest <= 4 * 2 * 2e-3f);  // 4 steps at a learning rate of at most 2e-3

  // A search on two processes gives one process's history.
  fs::create_directories(dir / "two_search");
  fs::copy_file(dir / "one" / "supernet.safetensors", dir / "two_search" / "supernet.safetensors");
  const auto searching = [&](const fs::path& out) {
    return std::vector<std::string>{
        "search",    "--data",        data.string(), "--holdout-per-class",
        "2",         "--population",  "6",           "--parents",
        "2",         "--mutations",   "2",           "--crossovers",
        "2",         "--generations", "2",           "--out",
        out.string()};
  };
  const auto shared =
      run_command(concat(concat(mpirun, {OVO_COMMAND}), searching(dir / "two_search")));
  CAPTURE(shared.output);
  REQUIRE(shared.exit_code == 0);
  REQUIRE(run_command(concat({OVO_COMMAND}, searching(dir / "one"))).exit_code == 0);
  const auto x = read_json(dir / "two_search" / "search.json"),
             y = read_json(dir / "one" / "search.json");
  CHECK(x.at("history") == y.at("history"));
  CHECK(x.at("best") == y.at("best"));

  // What runs on one process says so.
  const auto eval = run_command(
      concat(concat(mpirun, {OVO_COMMAND}),
             {"eval", "--data", data.string(), "--arch",
              (dir / "one" / "search_best.arch.json").string(), "--out", (dir / "one").string()}));
  CHECK(eval.exit_code != 0);
  CHECK(eval.output.find("eval runs on one process, not 2: launch it without mpirun") !=
        std::string::npos);
}
#endif
