// The command-line programs: subcommands run/train/search/eval/export over a list of spaces, and
// check-data.
#pragma once

#include <algorithm>
#include <array>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ovo/data/image_check.hpp>

#include "front_command.hpp"
#include "pipeline.hpp"
#include "processes.hpp"
#include "proxy_run.hpp"
#include "rank_correlation.hpp"
#include "teacher.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

// A space a program offers: its name, the type, and the dataset reader it trains on.
template <class Space, class Source>
struct space_entry {
  using space = Space;
  using source = Source;
  std::string_view name, description;
};

// Whether the program offers the space named `name` (all of them when it names none).
inline bool offers(const program_info& info, std::string_view name) {
  return info.spaces.empty() || std::ranges::find(info.spaces, name) != info.spaces.end();
}

// Calls f(entry) for the entry named `name` among those the program offers; another name lists
// them.
template <class F, class... Entries>
void with_space(const program_info& info, std::string_view name, F&& f, const Entries&... entries) {
  bool found = false;
  (
      [&] {
        if (!found && entries.name == name && offers(info, name)) {
          found = true;
          f(entries);
        }
      }(),
      ...);
  if (!found) {
    std::vector<std::string_view> names;
    ((offers(info, entries.name) ? names.push_back(entries.name) : void()), ...);
    throw std::invalid_argument(
        fmt::format("--space {}: expected one of {}", name, fmt::join(names, ", ")));
  }
}

// Refuses a program that offers a space no entry has: a programming error.
template <class... Entries>
void check_offered_spaces(const program_info& info, const Entries&... entries) {
  for (const auto& name : info.spaces)
    if (((entries.name != name) && ...))
      throw std::logic_error(
          fmt::format("{}: offers space '{}', which no entry has", info.name, name));
}

// The arch an --arch value holds: JSON text, or a JSON file; not yet checked against a space.
template <class Arch>
Arch parse_arch_option(const std::string& value) {
  if (!std::filesystem::exists(value)) return parse_json_as<Arch>(value, "--arch");
  const auto bytes = io::read_file_bytes(value);
  return parse_json_as<Arch>(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                             value);
}

// An arch of `Space` from --arch; refused unless it is in the space.
template <class Space>
typename Space::arch_type read_arch_option(const std::string& value) {
  auto a = parse_arch_option<typename Space::arch_type>(value);
  Space::validate(a);
  return a;
}

// Recalibrates the batch norms of `a` (a network with them) on the configured training batches.
template <class Space, class Source, supernet Net>
void recalibrate_for(const run_config& c, Net& net, const arch_of<Net>& a) {
  if (net.buffers().size() == 0) return;
  const auto train = load_checked_split<Space, Source>(c, true);
  recalibrate_batch_norm(net, a, calibration_batches<Space>(c, net, train, split_for(c, train)));
}

// `check-data DIR`: decodes every file of the image folder, lists those that cannot be decoded
// and ends with a summary line; returns 1 when there are any.
inline int check_data(const std::filesystem::path& dir, unsigned threads) {
  const data::image_folder folder(dir);
  fmt::print("checking {} files of {} classes in {}\n", folder.size(), folder.classes(),
             dir.string());
  std::fflush(stdout);
  const auto undecodable = data::find_undecodable_images(folder, threads, [&](std::size_t checked) {
    fmt::print("checked {}/{} files\n", checked, folder.size());
    std::fflush(stdout);
  });
  for (const auto& bad : undecodable)
    fmt::print("undecodable '{}': {}\n", bad.path.string(), bad.reason);
  fmt::print("{} files, {} classes, {} undecodable\n", folder.size(), folder.classes(),
             undecodable.size());
  return undecodable.empty() ? 0 : 1;
}

template <class... Entries>
int run_program(int argc, char** argv, const program_info& info, const Entries&... entries) {
  check_offered_spaces(info, entries...);
  flush_subnormals_to_zero();
  [[maybe_unused]] const auto mpi = start_mpi(argc, argv);  // MPI for the run, when launched by it
  CLI::App app(info.description, info.name);
  app.require_subcommand(0, 1);
  run_config c = info.defaults;
  std::string arch_option, subnet_file;

  auto* run = app.add_subcommand(
      "run",
      "Train the supernet, search it, test the chosen subnet, export it and write the "
      "report (the default when no subcommand is given)");
  auto* train = app.add_subcommand("train", "Train (or --resume) the supernet only");
  auto* search = app.add_subcommand(
      "search",
      "Search the trained supernet (out/supernet.safetensors) on the held-out images; "
      "writes out/search.json and the best arch to out/search_best.arch.json");
  auto* eval = app.add_subcommand(
      "eval",
      "Test-set top-1 of an exported subnet (--subnet) or of an arch of the trained "
      "supernet (--arch)");
  auto* exporter = app.add_subcommand(
      "export", "Export an arch of the trained supernet (--arch) to out/subnet.safetensors");
  auto* ranking = app.add_subcommand(
      "rank-correlation",
      "Draw --archs archs within the cost constraint, score them by every proxy and by the "
      "inherited weights of each --supernet, train each alone (and distilled from "
      "--teacher-model), and report Kendall's tau and Spearman's rho of every predictor against "
      "the stand-alone test top-1 (out/rank_correlation.json and .svg)");
  ranking_config ranking_settings;
  add_ranking_options(*ranking, ranking_settings);
  auto* fronts = app.add_subcommand(
      "fronts",
      "Compare methods by their searches: each --method's held-out Pareto front over all its "
      "search.json files, in one plot (out/fronts.svg, out/fronts.json) and printed as Markdown");
  std::vector<std::string> front_methods;
  fronts
      ->add_option("--method", front_methods,
                   "NAME=FILE[,FILE...]: a method's search.json files (one per budget, say); "
                   "repeat for each method")
      ->required();
  auto* spaces = app.add_subcommand("spaces", "List the search spaces of this program");
  auto* check = app.add_subcommand(
      "check-data",
      "Decode every file of an image folder (DIR/<class>/<files>) and list those that cannot be "
      "decoded, with the reason; exits with 1 when there are any");
  teacher_command teacher(app, c);
  std::filesystem::path check_dir;
  unsigned check_threads = 0;
  check->add_option("dir", check_dir, "The image folder, such as data/imagenet/train")->required();
  check->add_option("--threads", check_threads, "Decoding threads (0: one per core)")
      ->capture_default_str();
  for (auto* sub : std::array{&app, run, train, search, eval, exporter, ranking, fronts})
    add_data_options(*sub, c);
  for (auto* sub : std::array{&app, run, train, ranking}) add_training_options(*sub, c);
  for (auto* sub : std::array{&app, run, search, ranking}) add_search_options(*sub, c);
  search->add_option("--teacher-model", c.teacher_model,
                     "--fitness tvt: the trained ResNet (train-teacher's file) whose feature maps "
                     "TVT compares the candidates' with");
  eval->add_option("--subnet", subnet_file, "An exported subnet (safetensors)");
  for (auto* sub : std::array{eval, exporter})
    sub->add_option("--arch", arch_option, "An arch as JSON text or a JSON file");
  exporter->get_option("--arch")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  job_processes processes(c);
  // Process 0 speaks for the job.
  if (processes.rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    throw std::runtime_error("process " + std::to_string(processes.rank()) +
                             ": cannot silence its standard output");
  try {
    if (spaces->parsed()) {
      ((offers(info, entries.name) ? fmt::print("{:<28} {}\n", entries.name, entries.description)
                                   : void()),
       ...);
      return 0;
    }
    if (check->parsed()) return check_data(check_dir, check_threads);
    for (auto* single : std::array{eval, exporter, fronts, ranking})
      if (single->parsed()) require_one_process(processes, single->get_name());
    if (teacher.parsed()) require_one_process(processes, "train-teacher");
    if (c.device != device_name) {
      const auto offered = [](const auto&) {};
      if (!teacher.parsed()) with_space(info, c.space, offered, entries...);
      return run_program_on(c.device, argc, argv, info);
    }
    configure_device(c);
    if (teacher.parsed()) return teacher.run(c);
    with_space(
        info, c.space,
        [&]<class Entry>(const Entry&) {
          using space = typename Entry::space;
          using source = typename Entry::source;
          using net_type = supernet_for<space>;
          if (train->parsed()) {
            const auto data = load_checked_split<space, source>(c, true);
            auto net = make_supernet<space>(c);
            auto focus = focus_sampler_for<space>(c);
            train_supernet<space>(c, net, data, split_for(c, data), processes,
                                  {.focus = focus ? &*focus : nullptr});
          } else if (search->parsed()) {
            const auto data = load_checked_split<space, source>(c, true);
            auto net = make_supernet<space>(c);
            const auto split = split_for(c, data);
            const auto result = [&] {
              if (c.fitness != "holdout") {
                require_one_process(processes, "a proxy search");
                return proxy_search_for<space>(c, net, data, split);
              }
              load_trained(c, net);
              std::optional<focusformer_sampler<space>> focus;
              if constexpr (gene_coded_space<space>)
                if (c.search == "specialise") focus = trained_sampler<space>(c);
              return search_subnet<space>(c, net, data, split,
                                          calibration_batches<space>(c, net, data, split),
                                          processes, focus ? &*focus : nullptr);
            }();
            if (processes.rank() != 0) return;
            std::filesystem::create_directories(c.out_dir);
            io::write_file_atomically(c.out_dir / "search.json",
                                      nlohmann::json(result).dump(2) + "\n");
            io::write_file_atomically(c.out_dir / "search_best.arch.json",
                                      nlohmann::json(result.best.architecture).dump() + "\n");
            if (c.fitness == "holdout")
              fmt::print("best: {} held-out top-1 {:.2f}%\n", to_string(result.best.architecture),
                         100 * result.best.fitness);
            else
              fmt::print("best: {} {} score {:.6g}\n", to_string(result.best.architecture),
                         c.fitness, result.best.fitness);
          } else if (eval->parsed()) {
            const auto test = load_checked_split<space, source>(c, false);
            double top1 = 0;
            typename space::arch_type a;
            if (!subnet_file.empty()) {
              auto subnet = io::load_subnet<net_type>(subnet_file, c.eval_batch);
              a = subnet.architecture;
              top1 = test_top1<source, space>(c, subnet.network, test, a);
            } else {
              if (arch_option.empty())
                throw std::invalid_argument("eval: give --subnet FILE or --arch JSON");
              a = read_arch_option<space>(arch_option);
              auto net = make_supernet<space>(c);
              load_trained(c, net);
              recalibrate_for<space, source>(c, net, a);
              top1 = test_top1<source, space>(c, net, test, a);
            }
            fmt::print("{}\n", nlohmann::json{{"arch", a},
                                              {"test_top1", top1},
                                              {"params", space::params(a)},
                                              {"flops", space::macs(a)}}
                                   .dump());
          } else if (exporter->parsed()) {
            const auto a = read_arch_option<space>(arch_option);
            auto net = make_supernet<space>(c);
            load_trained(c, net);
            recalibrate_for<space, source>(c, net, a);
            export_chosen(c, net, a);
            fmt::print("exported {} to {}\n", to_string(a),
                       (c.out_dir / "subnet.safetensors").string());
          } else if (fronts->parsed()) {
            compare_fronts<space>(c, front_methods);
          } else if (ranking->parsed()) {
            rank_correlation<space, source>(c, ranking_settings);
          } else if (c.fitness != "holdout") {
            require_one_process(processes, "a proxy run");
            run_proxy<space, source>(c);
          } else {
            run_all<space, source>(c, processes);
          }
        },
        entries...);
  } catch (const std::exception& e) {
    const auto message = fmt::format("{}: error: {}", info.name, e.what());
    // The other processes may be waiting for this one: the whole job ends.
    if (processes.size() > 1) abort_job(message);
    fmt::print(stderr, "{}\n", message);
    return 1;
  }
  return 0;
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
