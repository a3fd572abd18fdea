// The stages of a supernet run on this build's back end (device.hpp): train, search, evaluate,
// export, report; shared by the `ovo` command and the example trainers.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ovo/data/augment.hpp>
#include <ovo/data/datasets.hpp>
#include <ovo/data/gzip.hpp>
#include <ovo/data/holdout.hpp>
#include <ovo/data/image_folder.hpp>
#include <ovo/data/image_folder_dataset.hpp>
#include <ovo/data/loader.hpp>
#include <ovo/ovo.hpp>
#include <ovo/report/run_report.hpp>
#include <ovo/search/evolution.hpp>
#include <ovo/search/holdout_fitness.hpp>
#include <ovo/search/random_search.hpp>
#include <ovo/util/seeds.hpp>

#include "device.hpp"
#include "processes.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

using layout = qkv_blocked;

// The supernet of a space: a ViT space's (it has a shape) or an EMO space's (it has a geometry).
template <class Space>
struct supernet_of;
template <class Space>
requires requires {
  Space::shape();
}
struct supernet_of<Space> {
  using type = vit_supernet<backend, layout>;
  static type make(int max_batch) { return type(Space::shape(), max_batch); }
};
template <class Space>
requires requires {
  Space::geometry;
}
struct supernet_of<Space> {
  using type = emo_supernet<backend>;
  static type make(int max_batch) { return type(Space::geometry, Space::largest(), max_batch); }
};
template <class Space>
using supernet_for = typename supernet_of<Space>::type;

inline std::string format_duration(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

// An image folder's handling of undecodable files: --bad-images, with a warning line per file.
inline data::image_folder_options image_folder_options_for(const run_config& c) {
  return {.bad_images = c.bad_images == "fail" ? data::bad_image_policy::fail
                                               : data::bad_image_policy::replace,
          .on_replaced = [](const data::undecodable_image& bad,
                            const std::filesystem::path& replacement) {
            fmt::print(stderr, "warning: undecodable '{}' replaced by '{}': {}\n",
                       bad.path.string(), replacement.string(), bad.reason);
          }};
}

// report.json's record of the files replaced because they could not be decoded: how many, and
// the first 20 with the reader's error.
inline nlohmann::json undecodable_report(const data::image_folder& train,
                                         const data::image_folder& test) {
  auto files = train.undecodable();
  const auto test_files = test.undecodable();
  files.insert(files.end(), test_files.begin(), test_files.end());
  nlohmann::json listed = nlohmann::json::array();
  for (std::size_t i = 0; i < std::min<std::size_t>(files.size(), 20); ++i)
    listed.push_back({{"path", files[i].path.string()}, {"reason", files[i].reason}});
  return {{"count", files.size()}, {"files", listed}};
}

// The training or test split of the configured dataset (data::load_dataset); a dataset name that
// the space's reader does not take is refused naming --dataset and the space.
template <class Source>
Source load_split(const run_config& c, bool train) {
  try {
    return data::load_dataset<Source>(
        c.dataset, c.data_dir, train ? data::dataset_split::train : data::dataset_split::test,
        {.labels = c.coarse_labels ? data::cifar100_labels::coarse : data::cifar100_labels::fine,
         .image_folder = image_folder_options_for(c)});
  } catch (const data::unknown_dataset& e) {
    if constexpr (std::is_same_v<Source, data::image_folder>)
      throw std::invalid_argument(fmt::format(
          "--dataset {}: space '{}' reads ImageNet-style folders, expected --dataset {}", c.dataset,
          c.space, e.expected()));
    else
      throw std::invalid_argument(fmt::format("--dataset {}: expected {} for space '{}'", c.dataset,
                                              e.expected(), c.space));
  }
}

// The split, refused unless its classes and channels are the space's.
template <class Space, class Source>
Source load_checked_split(const run_config& c, bool train) {
  auto source = load_split<Source>(c, train);
  data::check_dataset_fits(source, c.dataset, c.data_dir, data::requirements_of<Space>(c.space));
  return source;
}

template <class Space>
data::augment_options augmentation_for(const run_config& c) {
  const auto a = data::dataset_augmentation(c.dataset, Space::image_size, Space::channels);
  return c.augment ? a : a.without_augmentation();
}

// Whole batches of `batch_size` images of the training data's `indices`, without augmentation,
// shuffled by `seed`: the first `count` of them (all by default).
template <class Space, class Source>
evaluation_set<backend> unaugmented_batches(const run_config& c, const Source& train,
                                            std::vector<std::size_t> indices, int batch_size,
                                            std::uint64_t seed, std::size_t count = SIZE_MAX) {
  data::batch_loader<Source> loader(train, std::move(indices),
                                    augmentation_for<Space>(c).without_augmentation(),
                                    {.batch_size = batch_size,
                                     .shuffle = true,
                                     .drop_last = true,
                                     .train = false,
                                     .workers = c.workers,
                                     .seed = seed});
  return evaluation_set<backend>::from_loader(loader, count);
}

inline trainer_options trainer_options_for(const run_config& c) {
  trainer_options t;
  t.total_steps = c.steps;
  t.time_budget_seconds = c.time_budget_seconds;
  t.lr = c.lr;
  t.min_lr = c.min_lr;
  t.warmup_start_lr = c.warmup_start_lr;
  t.warmup_steps = c.warmup_steps;
  t.weight_decay = c.weight_decay;
  t.max_grad_norm = c.max_grad_norm;
  t.sampler = {.strategy = parse_sampling_strategy(c.sampling),
               .teacher = parse_teacher_rule(c.teacher),
               .sandwich_random = c.sandwich_random,
               .max_params = c.train_max_params};
  t.distillation = {.alpha = c.alpha, .temperature = c.temperature};
  t.checkpoint_path = c.checkpoint();
  t.checkpoint_every = c.checkpoint_every;
  t.log_every = c.log_every;
  t.seed = c.seed;
  return t;
}

inline cost_constraint constraint_for(const run_config& c) {
  return {.min_params = c.min_params,
          .max_params = c.max_params,
          .min_flops = c.min_flops,
          .max_flops = c.max_flops};
}

// The training split without the held-out images, and the held-out images.
template <class Source>
data::holdout_split split_for(const run_config& c, const Source& train) {
  return data::split_holdout(train, data::source_classes(train), c.holdout_per_class,
                             seeds::holdout(c.seed));
}

template <class Source>
data::batch_loader<Source> eval_loader(const run_config& c, const Source& source,
                                       std::vector<std::size_t> indices,
                                       const data::augment_options& augment) {
  return data::batch_loader<Source>(source, std::move(indices), augment,
                                    {.batch_size = c.eval_batch,
                                     .shuffle = false,
                                     .drop_last = false,
                                     .train = false,
                                     .workers = c.workers,
                                     .seed = c.seed});
}

template <class Source>
std::vector<std::size_t> all_indices(const Source& source) {
  std::vector<std::size_t> out(source.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

// What training did: its records and its step count (the time budget's choice, if any).
struct training_outcome {
  std::vector<training_record> history;
  long steps = 0;
};

using frozen_resnet = io::standalone_subnet<resnet<backend>>;

// The frozen ResNet of --teacher-model, refused unless it reads the images and classes of `net`.
template <supernet Net>
std::optional<frozen_resnet> frozen_teacher_for(const run_config& c, const Net& net) {
  if (c.teacher_model.empty()) return std::nullopt;
  auto teacher =
      io::load_subnet<resnet<backend>>(c.teacher_model, std::max(c.batch_size, c.proxy_batch));
  const auto has = teacher.network.input(), wants = net.input();
  if (teacher.network.classes() != net.classes() || has.channels != wants.channels ||
      has.height != wants.height || has.width != wants.width)
    throw std::invalid_argument(fmt::format(
        "--teacher-model {}: a network of {}x{}x{} images and {} classes, expected {}x{}x{} and "
        "{} (space '{}')",
        c.teacher_model.string(), has.channels, has.height, has.width, teacher.network.classes(),
        wants.channels, wants.height, wants.width, net.classes(), c.space));
  return teacher;
}

inline focusformer_options focus_options_for(const run_config& c) {
  return {.cost = parse_cost_measure(c.focus_cost),
          .bins = c.focus_bins,
          .candidates = c.focus_candidates,
          .update_every = c.focus_update_every,
          .update_samples = c.focus_update_samples,
          .learning_rate = c.focus_lr};
}

// The learned sampler of a --focusformer run, its bins cut within --train-max-params.
template <class Space>
std::optional<focusformer_sampler<Space>> focus_sampler_for(const run_config& c) {
  if (!c.focusformer) return std::nullopt;
  return focusformer_sampler<Space>(focus_options_for(c), c.seed, c.train_max_params);
}

// The sampler a --focusformer run left in its checkpoint, for `search --search specialise`.
template <class Space>
focusformer_sampler<Space> trained_sampler(const run_config& c) {
  const auto path = c.checkpoint();
  if (!std::filesystem::exists(path))
    throw std::runtime_error(
        fmt::format("no supernet checkpoint at {} (run `train` first)", path.string()));
  const auto metadata = io::safetensors::load(path).metadata;
  const auto options = metadata.find("trainer.focusformer_options");
  const auto state = metadata.find("trainer.focusformer");
  if (options == metadata.end() || state == metadata.end())
    throw std::invalid_argument(
        fmt::format("--search specialise: {} holds no sampler state, expected the checkpoint of "
                    "a run with --focusformer",
                    path.string()));
  try {
    const auto saved = parse_json(state->second);
    focusformer_sampler<Space> sampler(parse_json(options->second).get<focusformer_options>(),
                                       c.seed, focusformer_sampler<Space>::state_max_params(saved));
    sampler.load_state(saved);
    return sampler;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(
        fmt::format("{}: {} (--seed must be the training run's)", path.string(), e.what()));
  }
}

// What a training run trains besides the defaults: random subnets drawn by FocusFormer's sampler
// (updated on batches of the held-out images), or one arch alone (stand-alone training).
template <class Space>
struct training_plan {
  focusformer_sampler<Space>* focus = nullptr;
  std::optional<space_arch<Space>> only = std::nullopt;
};

// Trains (or resumes) the supernet on the training split minus the held-out images, as `plan`
// says, data-parallel on the job's processes (each loads its shard of every batch); prints
// progress.
template <class Space, class Source, supernet Net>
training_outcome train_supernet(const run_config& c, Net& net, const Source& train,
                                const data::holdout_split& split, job_processes processes,
                                const training_plan<Space>& plan = {}) {
  auto* focus = plan.focus;
  std::filesystem::create_directories(c.out_dir);
  const auto augment = augmentation_for<Space>(c);
  data::batch_loader<Source> loader(train, split.train, augment,
                                    {.batch_size = c.batch_size,
                                     .shuffle = true,
                                     .drop_last = true,
                                     .train = true,
                                     .workers = c.workers,
                                     .seed = c.seed,
                                     .rank = processes.rank(),
                                     .processes = processes.size()});
  const int process_count = processes.size();
  supernet_trainer<Space, Net, data::batch_loader<Source>, job_processes> trainer(
      net, loader, trainer_options_for(c), std::move(processes));
  auto teacher = frozen_teacher_for(c, net);
  if (teacher) {
    trainer.distill_from(teacher->network);
    fmt::print("distilling from {} ({} params, {}), alpha {}, temperature {}\n",
               to_string(teacher->architecture), teacher->network.parameters().size(),
               c.teacher_model.string(), c.alpha, c.temperature);
  }
  std::optional<evaluation_set<backend>> held_out;
  if constexpr (gene_coded_space<Space>)
    if (focus) {
      // Batches of the training batch size: an update scores bins x samples archs on one.
      held_out.emplace(unaugmented_batches<Space>(c, train, split.holdout, c.batch_size, c.seed));
      trainer.focus_with(*focus, *held_out);
      const auto& o = focus->options();
      fmt::print(
          "FocusFormer sampler: {} bins of {} cut at {}, best of {}, an update every {} steps "
          "({} archs per bin on one of {} held-out batches)\n",
          o.bins, to_string(o.cost), focus->edges(), o.candidates, o.update_every, o.update_samples,
          held_out->batches());
    }
  if (plan.only) trainer.train_only(*plan.only);
  if (c.resume && trainer.resume())
    fmt::print("resumed from {} at step {}\n", c.checkpoint().string(), trainer.step());
  else if (!c.resume && std::filesystem::exists(c.checkpoint()))
    fmt::print("{} exists and will be overwritten (pass --resume to continue it)\n",
               c.checkpoint().string());
  const std::string length = c.time_budget_seconds > 0
                                 ? fmt::format("for {} (steps sized after the first {})",
                                               format_duration(c.time_budget_seconds),
                                               trainer.options().budget_probe_end())
                                 : fmt::format("{} steps", c.steps);
  const std::string shards = process_count > 1
                                 ? fmt::format(" on {} processes of {} images each", process_count,
                                               c.batch_size / process_count)
                                 : "";
  fmt::print(
      "training {} of batch {}{} ({} images, {} batches per epoch), {}, {} params in the "
      "supernet, products on {}\n",
      length, c.batch_size, shards, split.train.size(), loader.batches_per_epoch(),
      plan.only ? fmt::format("{} alone", to_string(*plan.only))
                : fmt::format("sampling {}{}", c.sampling, focus ? " (FocusFormer)" : ""),
      net.parameters().size(), backend_description());
  std::fflush(stdout);
  bool announced = c.time_budget_seconds <= 0;  // the step count the budget chose
  trainer.train([&](const training_record& r, long total) {
    if (!announced && r.step >= trainer.options().budget_probe_end()) {
      fmt::print("time budget {}: {} steps (replay with --steps {})\n",
                 format_duration(c.time_budget_seconds), total, total);
      announced = true;
    }
    const double eta =
        static_cast<double>(total - r.step) * c.batch_size / std::max(r.images_per_second, 1e-9);
    std::string losses = fmt::format("loss {:.4f}", r.loss);
    if (r.teacher_loss != 0)
      losses += fmt::format(" (teacher {:.4f}, kl {:.4f})", r.teacher_loss, r.kl);
    fmt::print(
        "step {:>6}/{} | epoch {} | {} | lr {:.2e} | {:.0f} img/s | data wait {:.0f}% | "
        "ETA {}\n",
        r.step, total, r.epoch, losses, r.lr, r.images_per_second, 100 * r.data_wait_fraction,
        format_duration(eta));
    std::fflush(stdout);
  });
  return {trainer.history(), trainer.total_steps()};
}

// Batches of training images (the training split, without augmentation, shuffled by the seed) on
// which a network with batch norms recalibrates a subnet before it is scored, tested or exported;
// none for a network without them.
template <class Space, class Source, supernet Net>
evaluation_set<backend> calibration_batches(const run_config& c, const Net& net,
                                            const Source& train, const data::holdout_split& split) {
  if (net.buffers().size() == 0 || c.calibration_batches == 0) return {};
  return unaugmented_batches<Space>(c, train, split.train, c.eval_batch, seeds::calibration(c.seed),
                                    static_cast<std::size_t>(c.calibration_batches));
}

// The evolutionary search the flags describe.
inline evolution_options evolution_options_for(const run_config& c) {
  return {.population = c.population,
          .generations = c.generations,
          .parents = c.parents,
          .mutations = c.mutations,
          .crossovers = c.crossovers,
          .depth_prob = c.depth_prob,
          .mutate_prob = c.mutate_prob,
          .seed = c.seed,
          .time_budget_seconds = c.search_budget_seconds};
}

// Prints a search's progress from now on: after each generation (random search: every 100
// candidates), the candidates so far, the best fitness (times `scale`, in `fitness_format`), its
// parameters and the time taken.
template <class Arch>
basic_search_progress<Arch> search_printer(const run_config& c, const char* fitness_format,
                                           double scale) {
  const auto start = std::chrono::steady_clock::now();
  return [start, random = c.search == "random", fitness_format, scale](
             int generation, const basic_candidate<Arch>& best, std::size_t evaluated) {
    if (random && evaluated % 100 != 0) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("search {:>4} | {} evaluated | best {} ({:.3f}M params) | {}\n", generation,
               evaluated, fmt::format(fmt::runtime(fitness_format), scale * best.fitness),
               static_cast<double>(best.params) / 1e6, format_duration(secs));
    std::fflush(stdout);
  };
}

// Evolutionary, random or (with FocusFormer's trained sampler `focus`) specialisation search on
// the held-out images with the supernet's inherited weights, each candidate's batch norms
// recalibrated on `calibration` first (when it holds batches). Evolution and random search share
// each generation's candidates among the job's processes; specialisation runs on one.
template <class Space, class Source, supernet Net>
basic_search_result<arch_of<Net>> search_subnet(const run_config& c, Net& net, const Source& train,
                                                const data::holdout_split& split,
                                                const evaluation_set<backend>& calibration,
                                                job_processes processes,
                                                const focusformer_sampler<Space>* focus = nullptr) {
  auto loader = eval_loader(c, train, split.holdout, augmentation_for<Space>(c));
  auto fitness = make_holdout_fitness(net, loader);
  if (calibration.batches() > 0) fitness.recalibrate_on(calibration);
  const auto constraint = constraint_for(c);
  fmt::print("searching ({}) on {} held-out training images under {}{}\n", c.search,
             split.holdout.size(), constraint.describe(),
             processes.size() > 1 ? fmt::format(", on {} processes", processes.size()) : "");
  const auto progress = search_printer<arch_of<Net>>(c, "{:.2f}%", 100);
  if (c.search == "random")
    return random_search<Space>(fitness, constraint, c.random_samples, c.seed, progress, 1000,
                                std::move(processes));
  if (c.search == "specialise") {
    require_one_process(processes, "--search specialise");
    if constexpr (gene_coded_space<Space>) {
      if (!focus)
        throw std::invalid_argument(
            "--search specialise: expected a supernet trained with --focusformer");
      return specialise(*focus, fitness, constraint, c.specialise_draws, c.seed, progress);
    } else {
      throw std::invalid_argument(
          fmt::format("--search specialise: space '{}' does not code its archs as genes", c.space));
    }
  }
  auto result = evolutionary_search<Space>(fitness, constraint, evolution_options_for(c), progress,
                                           std::move(processes));
  const std::size_t generations = result.best_fitness_per_generation.size();
  if (c.search_budget_seconds > 0 && generations < static_cast<std::size_t>(c.generations))
    fmt::print("search budget {}: {} of {} generations (replay with --generations {})\n",
               format_duration(c.search_budget_seconds), generations, c.generations, generations);
  return result;
}

// report.json's record of a trained FocusFormer sampler: its options, bins, update counts and the
// most likely arch of each bin.
template <class Space>
nlohmann::json focus_report(const focusformer_sampler<Space>& sampler) {
  nlohmann::json modes = nlohmann::json::array(), updates = nlohmann::json::array();
  for (int bin = 0; bin < sampler.bins(); ++bin) {
    const auto mode = sampler.mode(bin);
    modes.push_back({{"arch", mode}, {"params", Space::params(mode)}, {"macs", Space::macs(mode)}});
    updates.push_back(sampler.updates(bin));
  }
  return {{"options", sampler.options()},
          {"edges", sampler.edges()},
          {"updates", updates},
          {"most_likely", modes}};
}

template <class Source, class Space, supernet Net>
double test_top1(const run_config& c, Net& net, const Source& test, const arch_of<Net>& a) {
  auto loader = eval_loader(c, test, all_indices(test), augmentation_for<Space>(c));
  return streamed_top1(net, a, loader);
}

template <supernet Net>
void export_chosen(const run_config& c, const Net& net, const arch_of<Net>& a) {
  std::filesystem::create_directories(c.out_dir);
  io::export_subnet(c.out_dir / "subnet.safetensors", net, a);
  io::write_file_atomically(c.out_dir / "subnet.arch.json", nlohmann::json(a).dump() + "\n");
}

template <class Space>
supernet_for<Space> make_supernet(const run_config& c) {
  auto net = supernet_of<Space>::make(std::max({c.batch_size, c.eval_batch, c.proxy_batch}));
  rng_engine init(seeds::initial_weights(c.seed));
  net.initialize(init);
  net.drop_path_rate = c.drop_path;
  return net;
}

template <supernet Net>
void load_trained(const run_config& c, Net& net) {
  if (!std::filesystem::exists(c.checkpoint()))
    throw std::runtime_error(
        fmt::format("no supernet checkpoint at {} (run `train` first)", c.checkpoint().string()));
  io::load_checkpoint(c.checkpoint(), net);
}

// The wall-clock seconds of a run's phases.
struct run_timings {
  double train = 0, search = 0, total = 0;
};

// The fields of report.json that every run has: the chosen subnet's test top-1, costs and limits,
// the settings, the training's steps and the timings; each run adds its own.
template <class Arch>
nlohmann::json run_summary(const run_config& c, const basic_search_result<Arch>& result,
                           const training_outcome& trained, double test_top1,
                           const run_timings& seconds) {
  return {{"test_top1", test_top1},
          {"params", result.best.params},
          {"flops", result.best.flops},
          {"param_limit", std::isfinite(c.max_params) ? nlohmann::json(c.max_params) : nullptr},
          {"flops_limit", std::isfinite(c.max_flops) ? nlohmann::json(c.max_flops) : nullptr},
          {"arch", result.best.architecture},
          {"space", c.space},
          {"dataset", c.dataset},
          {"teacher_model", c.teacher_model.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(c.teacher_model.string())},
          {"steps", trained.steps},
          {"time_budget_seconds",
           c.time_budget_seconds > 0 ? nlohmann::json(c.time_budget_seconds) : nullptr},
          {"gemm", backend_description()},
          {"search_method", c.search},
          {"evaluations", result.history.size()},
          {"batch_size", c.batch_size},
          {"seed", c.seed},
          {"train_seconds", seconds.train},
          {"search_seconds", seconds.search},
          {"total_seconds", seconds.total},
          {"subnet_file", (c.out_dir / "subnet.safetensors").string()}};
}

// The whole run: train, search, test, export, report; the job's processes share training and
// search, and process 0 alone tests, exports and reports. Returns the report's summary (null on
// the other processes).
template <class Space, class Source>
nlohmann::json run_all(const run_config& c, const job_processes& processes) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto train = load_checked_split<Space, Source>(c, true);
  const auto test = load_split<Source>(c, false);
  const auto split = split_for(c, train);
  fmt::print("{}: {} training images ({} held out for the search), {} test images\n", c.dataset,
             train.size(), split.holdout.size(), test.size());
  auto net = make_supernet<Space>(c);
  auto focus = focus_sampler_for<Space>(c);
  const auto trained =
      train_supernet<Space>(c, net, train, split, processes, {.focus = focus ? &*focus : nullptr});
  const double train_seconds = elapsed();
  // The running statistics as training left them, to measure what recalibration changes.
  std::vector<float> trained_buffers(net.buffers().size());
  backend::copy_to_host(net.buffers().values(), trained_buffers);
  const auto calibration = calibration_batches<Space>(c, net, train, split);
  const auto result =
      search_subnet<Space>(c, net, train, split, calibration, processes, focus ? &*focus : nullptr);
  const double search_seconds = elapsed() - train_seconds;
  if (processes.rank() != 0) return nullptr;
  const auto& chosen = result.best.architecture;
  nlohmann::json uncalibrated = nullptr;
  if (calibration.batches() > 0) {
    backend::copy_from_host(std::span<const float>(trained_buffers), net.buffers().values());
    auto holdout = eval_loader(c, train, split.holdout, augmentation_for<Space>(c));
    uncalibrated = streamed_top1(net, chosen, holdout);
    recalibrate_batch_norm(net, chosen, calibration);
  }
  const double top1 = test_top1<Source, Space>(c, net, test, chosen);
  export_chosen(c, net, chosen);
  auto summary =
      run_summary(c, result, trained, top1,
                  {.train = train_seconds, .search = search_seconds, .total = elapsed()});
  summary["holdout_top1"] = result.best.fitness;
  summary["holdout_top1_running_statistics"] = uncalibrated;
  summary["calibration_batches"] = calibration.batches();
  summary["sampling"] = c.sampling;
  summary["focusformer"] = focus ? focus_report(*focus) : nlohmann::json(nullptr);
  summary["generations"] = result.best_fitness_per_generation.size();
  summary["search_budget_seconds"] =
      c.search_budget_seconds > 0 ? nlohmann::json(c.search_budget_seconds) : nullptr;
  summary["supernet_params"] = net.parameters().size();
  std::size_t replaced = 0;
  if constexpr (std::is_same_v<Source, data::image_folder>) {
    summary["undecodable_images"] = undecodable_report(train, test);
    replaced = summary["undecodable_images"]["count"];
  }
  const auto report_dir = c.out_dir / "report";
  write_run_report(report_dir, summary, trained.history, result);
  fmt::print(
      "chosen subnet: {}\n  {:.3f}M params, {:.1f}M multiply-adds, held-out top-1 {:.2f}%, "
      "test top-1 {:.2f}%\n",
      to_string(chosen), static_cast<double>(result.best.params) / 1e6, result.best.flops / 1e6,
      100 * result.best.fitness, 100 * top1);
  if (calibration.batches() > 0)
    fmt::print("  held-out top-1 on the running statistics training left: {:.2f}%\n",
               100 * uncalibrated.get<double>());
  fmt::print("total {} (training {}, search {})\n", format_duration(elapsed()),
             format_duration(train_seconds), format_duration(search_seconds));
  if (replaced > 0) fmt::print("{} undecodable images replaced (listed in the report)\n", replaced);
  fmt::print("report: {}\n", (report_dir / "report.json").string());
  return summary;
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
