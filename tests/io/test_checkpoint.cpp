// Checkpoints: bit-exact round trip, identical resumed training, refusal of mismatched files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using backend = ovo::cpu<float>;
using space = ovo::test::tiny_space;
using net_type = ovo::vit_supernet<backend>;

struct run {
  net_type net{space::shape(), 4};
  ovo::adamw<backend> optimizer{net.parameters(), {}};
  ovo::rng_engine rng{21};
  ovo::supervised_step<ovo::vit_supernet<backend>> step{net};
  std::vector<float> images;
  std::vector<int> labels{0, 3, 1, 4};

  run() {
    net.drop_path_rate = 0.2;
    ovo::rng_engine init(5);
    net.initialize(init);
    for (int i = 0; i < 4 * 2 * 8 * 8; ++i) images.push_back(static_cast<float>((i * 37 % 11) - 5));
  }
  // Samples an arch from the run's engine and trains it one step.
  void train(int steps) {
    for (int i = 0; i < steps; ++i) {
      const auto a = space::sample(rng);
      step(net, optimizer, {images.data(), 4, 2, 8, 8}, labels, a, 1e-3, rng);
    }
  }
  std::vector<float> weights() const {
    const auto& p = net.parameters();
    return {p.values(), p.values() + p.size()};
  }
};

}  // namespace

TEST_CASE("checkpoint round trip is bit-exact and resumed training continues identically") {
  const ovo::test::temp_dir dir("checkpoint");
  const auto path = dir / "supernet.safetensors";
  run a;
  a.train(3);
  ovo::io::save_checkpoint(path, a.net, a.optimizer, a.rng, {{"epoch", "7"}});
  CHECK(std::filesystem::exists(path));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);

  run b;  // a fresh run: different weights, moments and engine until loaded
  const auto meta = ovo::io::load_checkpoint(path, b.net, &b.optimizer, &b.rng);
  CHECK(meta.at("epoch") == "7");
  CHECK(b.weights() == a.weights());
  CHECK(b.optimizer.steps() == 3);
  const auto& pa = a.net.parameters();
  CHECK(std::equal(pa.values(), pa.values() + pa.size(), b.net.parameters().values()));
  CHECK(
      std::equal(a.optimizer.exp_avg(), a.optimizer.exp_avg() + pa.size(), b.optimizer.exp_avg()));
  CHECK(std::equal(a.optimizer.exp_avg_sq(), a.optimizer.exp_avg_sq() + pa.size(),
                   b.optimizer.exp_avg_sq()));
  // Saving again gives the same bytes.
  const auto again = dir / "again.safetensors";
  ovo::io::save_checkpoint(again, b.net, b.optimizer, b.rng, {{"epoch", "7"}});
  CHECK(ovo::io::read_file_bytes(again) == ovo::io::read_file_bytes(path));

  a.train(4);
  b.train(4);
  CHECK(b.weights() == a.weights());
}

TEST_CASE("a checkpoint of another shape, layout or a damaged file is refused by name") {
  const ovo::test::temp_dir dir("checkpoint");
  const auto path = dir / "supernet.safetensors";
  run a;
  ovo::io::save_checkpoint(path, a.net, a.optimizer, a.rng);

  using other_space = ovo::vit_space<ovo::embed<8, 12>, ovo::depth<1, 2, 3>, ovo::heads<1, 2>,
                                     ovo::mlp_ratio<1.5, 2.0>, ovo::image<8, 4, 2>, ovo::classes<5>,
                                     ovo::head_dim<4>>;
  net_type narrower(other_space::shape(), 2);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(path, narrower), doctest::Contains("supernet shape"));

  ovo::vit_supernet<backend, ovo::qkv_interleaved> interleaved(space::shape(), 2);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(path, interleaved),
                    doctest::Contains("qkv layout 'blocked', expected 'interleaved'"));

  ovo::vit_supernet<ovo::cpu<double>> wider_type(space::shape(), 2);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(path, wider_type),
                    doctest::Contains("tensor 'patch_embed.proj.weight' is F32, expected F64"));

  // A tensor of the wrong shape under the right metadata.
  auto file = ovo::io::safetensors::load(path);
  ovo::io::safetensors edited;
  edited.metadata = file.metadata;
  for (const auto& name : file.names()) {
    if (name == "blocks.1.mlp.fc1.bias") {
      std::vector<float> short_bias(3);
      edited.add<float>(name, {3}, short_bias);
    } else {
      edited.add(name, file.at(name));
    }
  }
  const auto bad = dir / "bad.safetensors";
  edited.save(bad);
  net_type fresh(space::shape(), 2);
  const auto before = std::vector<float>(fresh.parameters().values(),
                                         fresh.parameters().values() + fresh.parameters().size());
  CHECK_THROWS_WITH(
      ovo::io::load_checkpoint(bad, fresh),
      doctest::Contains("tensor 'blocks.1.mlp.fc1.bias' has shape [3], expected [32]"));
  // Nothing was changed by the failed load.
  CHECK(std::equal(before.begin(), before.end(), fresh.parameters().values()));

  // A truncated file.
  const auto bytes = ovo::io::read_file_bytes(path);
  const auto truncated = dir / "truncated.safetensors";
  ovo::io::write_file_atomically(truncated, std::span(bytes.data(), bytes.size() - 100));
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(truncated, fresh), doctest::Contains("truncated"));

  // A safetensors file of other origin, and an exported subnet, are not supernet checkpoints.
  const auto plain = dir / "plain.safetensors";
  ovo::io::safetensors other;
  other.add<float>("w", {1}, std::vector<float>{1.0f});
  other.save(plain);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(plain, fresh),
                    doctest::Contains("metadata field 'format' is missing"));
  CHECK_THROWS_WITH(ovo::io::load_subnet<ovo::vit_supernet<backend>>(plain, 1),
                    doctest::Contains("metadata field 'format' is missing"));
  const auto subnet = dir / "subnet.safetensors";
  ovo::io::export_subnet(subnet, a.net, space::smallest());
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(subnet, fresh),
                    doctest::Contains("format 'ovo.subnet.v1', expected 'ovo.supernet.v1'"));
}

namespace {

// `source` saved as `target` with the metadata field `key` set to `value`.
void save_with_metadata(const std::filesystem::path& source, const std::filesystem::path& target,
                        const std::string& key, const std::string& value) {
  auto file = ovo::io::safetensors::load(source);
  file.metadata[key] = value;
  file.save(target);
}

}  // namespace

TEST_CASE("a subnet file's shape is checked against its arch and tensors before a network exists") {
  const ovo::test::temp_dir dir("subnet_shape");
  const auto path = dir / "subnet.safetensors";
  run a;
  ovo::io::export_subnet(path, a.net, space::smallest());  // embed 8, 1 head, MLP 12, 5 tokens
  const auto shape = nlohmann::json::parse(ovo::io::safetensors::load(path).metadata.at("shape"));
  const auto with_shape = [&](const char* field, const nlohmann::json& value) {
    auto edited = shape;
    edited[field] = value;
    const auto file = dir / (std::string(field) + ".safetensors");
    save_with_metadata(path, file, "shape", edited.dump());
    return file;
  };
  const auto load = [](const std::filesystem::path& file) {
    return ovo::io::load_subnet<ovo::vit_supernet<backend>>(file, 1);
  };
  // Found by fuzz_subnet: embed 4000000 built a network that wide (std::bad_alloc or the OOM
  // killer) before the tensors were compared.
  const auto wide = with_shape("embed", 4000000);
  CHECK_THROWS_WITH_AS(load(wide),
                       doctest::Contains(("subnet '" + wide.string() +
                                          "': vit_shape JSON: embed 4000000 outside 1..32768")
                                             .c_str()),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(
      load(with_shape("embed", 30000)),
      doctest::Contains("shape field 'embed' is 30000, expected 8 (the arch's own)"),
      std::runtime_error);
  CHECK_THROWS_WITH_AS(load(with_shape("mlp_hidden", {30000})),
                       doctest::Contains("shape field 'mlp_hidden' is [30000], expected [12]"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(load(with_shape("classes", 30000)),
                       doctest::Contains("tensor 'head.weight' has shape [5, 8], but the shape's "
                                         "classes make it [30000, 8]"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(load(with_shape("image_size", 64)),
                       doctest::Contains("tensor 'pos_embed' has shape [1, 5, 8], but the shape's "
                                         "image_size and patch_size make it [1, 257, 8]"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(load(with_shape("head_dim", 8000)),
                       doctest::Contains("tensor 'blocks.0.attn.qkv.weight' has shape [12, 8], but "
                                         "the shape's heads and head_dim make it [24000, 8]"),
                       std::runtime_error);
  CHECK(load(path).architecture == space::smallest());
}

TEST_CASE("a checkpoint's step and engine state are read exactly; a refused one changes nothing") {
  const ovo::test::temp_dir dir("checkpoint_fields");
  const auto path = dir / "supernet.safetensors", bad = dir / "bad.safetensors";
  run a;
  a.train(1);
  ovo::io::save_checkpoint(path, a.net, a.optimizer, a.rng);
  run b;
  const auto weights = b.weights();
  const std::string state = ovo::engine_state(b.rng);
  // "-12" was found by fuzz_checkpoint: the weights were copied, then set_steps threw
  // std::invalid_argument. "12abc" and a state with more after it were accepted.
  for (const auto& [key, value, message] :
       {std::tuple<std::string, std::string, std::string>{
            "optimizer.step", "-12", "optimizer.step '-12' is not an integer >= 0"},
        {"optimizer.step", "12abc", "optimizer.step '12abc' is not an integer >= 0"},
        {"rng", ovo::engine_state(a.rng) + " 7",
         "rng: random engine state: not a valid mt19937_64 state"}}) {
    CAPTURE(value);
    save_with_metadata(path, bad, key, value);
    CHECK_THROWS_WITH_AS(ovo::io::load_checkpoint(bad, b.net, &b.optimizer, &b.rng),
                         doctest::Contains(message.c_str()), std::runtime_error);
    CHECK(b.weights() == weights);
    CHECK(b.optimizer.steps() == 0);
    CHECK(ovo::engine_state(b.rng) == state);
  }
  ovo::io::load_checkpoint(path, b.net, &b.optimizer, &b.rng);
  CHECK(b.weights() == a.weights());
  CHECK(b.optimizer.steps() == 1);
}

TEST_CASE("a NaN loss stops the step with a message and leaves the weights as they were") {
  run a;
  a.images[5] = std::numeric_limits<float>::quiet_NaN();
  const auto before = a.weights();
  CHECK_THROWS_WITH(
      a.train(1),
      doctest::Contains("training diverged: cross-entropy loss is nan at optimizer step 1"));
  CHECK(a.weights() == before);
}

namespace {

// A supernet with non-trainable buffers (as batch norm's running statistics): the ViT with two.
class net_with_buffers : public net_type {
 public:
  net_with_buffers(ovo::vit_shape shape, int max_batch) : net_type(std::move(shape), max_batch) {
    mean_ = stats_.add("stats.running_mean", {3}, false, ovo::parameter_init::zeros);
    stats_.add("stats.running_var", {3}, false, ovo::parameter_init::ones);
    stats_.allocate();
  }
  ovo::parameter_store<backend>& buffers() { return stats_; }
  const ovo::parameter_store<backend>& buffers() const { return stats_; }
  std::vector<ovo::subnet_tensor> subnet_tensors(const ovo::arch& a) const {
    auto out = net_type::subnet_tensors(a);
    out.push_back({"stats.running_mean", {3}, mean_, {{0, 0, 1, 3}}, true});
    return out;
  }
  static std::pair<net_with_buffers, ovo::arch> standalone(const ovo::text_fields& fields,
                                                           const ovo::tensor_shapes& stored,
                                                           int max_batch) {
    auto [net, a] = net_type::standalone(fields, stored, max_batch);
    return {net_with_buffers(net.shape(), max_batch), a};
  }

 private:
  ovo::parameter_store<backend> stats_;
  ovo::parameter_ref mean_;
};
static_assert(ovo::supernet<net_with_buffers>);

}  // namespace

TEST_CASE("buffers: saved and restored by checkpoints, exported, and never seen by the optimiser") {
  const ovo::test::temp_dir dir("checkpoint_buffers");
  net_with_buffers a(space::shape(), 2), b(space::shape(), 2);
  ovo::rng_engine init(3);
  a.initialize(init);
  const std::vector<float> stats{0.5f, -1.0f, 2.0f, 1.5f, 0.25f, 4.0f};
  std::copy(stats.begin(), stats.end(), a.buffers().values());
  ovo::adamw<backend> optimizer(a.parameters(), {});
  a.parameters().zero_grad();
  optimizer.step(1e-3);  // the buffers are not the optimiser's: they stay as they were
  CHECK(std::equal(stats.begin(), stats.end(), a.buffers().values()));

  const auto path = dir / "supernet.safetensors";
  ovo::io::save_checkpoint(path, a, optimizer);
  const auto file = ovo::io::safetensors::load(path);
  CHECK(file.contains("stats.running_var"));
  CHECK_FALSE(file.contains("optimizer.exp_avg.stats.running_var"));
  ovo::io::load_checkpoint(path, b);
  CHECK(std::equal(stats.begin(), stats.end(), b.buffers().values()));

  // A checkpoint without a buffer the network holds is refused, and changes nothing.
  ovo::io::safetensors edited;
  edited.metadata = file.metadata;
  for (const auto& name : file.names())
    if (name != "stats.running_mean") edited.add(name, file.at(name));
  const auto bad = dir / "bad.safetensors";
  edited.save(bad);
  net_with_buffers fresh(space::shape(), 2);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(bad, fresh),
                    doctest::Contains("tensor 'stats.running_mean' is missing"));
  CHECK(fresh.buffers().values()[0] == 0.0f);

  // An exported subnet carries the buffer tensors it names, and loads them back.
  const auto subnet = dir / "subnet.safetensors";
  ovo::io::export_subnet(subnet, a, space::smallest());
  const auto loaded = ovo::io::load_subnet<net_with_buffers>(subnet, 1);
  CHECK(std::equal(stats.begin(), stats.begin() + 3, loaded.network.buffers().values()));
}
