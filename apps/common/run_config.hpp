// The settings of a supernet run (data, training, search, output) and their command-line flags.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace ovo::app {

struct run_config {
  // Data.
  std::string space = "fashion-mnist";
  std::string dataset = "fashion-mnist";
  std::filesystem::path data_dir = "/usr/share/datasets/fashion-mnist";
  bool coarse_labels = false;
  int holdout_per_class = 100;
  int workers = 1;
  std::string bad_images = "replace";    // image folders: "replace" undecodable files, or "fail"
  std::string device = "cpu";            // the back end: "cpu", or "cuda" (apps/common/device.hpp)
  std::string cuda_math = "default";     // --device cuda: products in "tf32", "fp32" or the default
  double process_timeout_seconds = 600;  // mpirun -np N: the longest wait for the other processes

  // Training.
  int batch_size = 128;
  long steps = 2000;
  double time_budget_seconds = 0;  // > 0: training sizes its step count to this wall-clock time
  double lr = 2e-3, min_lr = 1e-5, warmup_start_lr = 1e-6;
  long warmup_steps = 100;
  double weight_decay = 0.05;
  double drop_path = 0.1;
  double max_grad_norm = 5.0;
  std::string sampling = "ovo";
  double train_max_params = std::numeric_limits<double>::infinity();
  std::string teacher = "largest";
  double alpha = 0.5, temperature = 1.0;
  std::filesystem::path teacher_model;  // a frozen ResNet (train-teacher's file); empty: none
  int sandwich_random = 2;
  // FocusFormer's learned sampler (--focusformer) draws every random subnet a step trains.
  bool focusformer = false;
  std::string focus_cost = "params";
  int focus_bins = 4, focus_candidates = 3, focus_update_samples = 4;
  long focus_update_every = 100;
  double focus_lr = 0.5;
  bool augment = true;
  std::uint64_t seed = 0;
  long checkpoint_every = 500;
  long log_every = 50;
  bool resume = false;

  // Search.
  std::string search = "evolution";
  // What scores a candidate: "holdout", the trained supernet's held-out top-1, or a proxy
  // (proxy_kind's names) of the untrained network on one batch of training images.
  std::string fitness = "holdout";
  int proxy_batch = 64;
  std::string tvt_fusion = "rank-sum";
  int tvt_reference = 100;
  int population = 50, generations = 20, parents = 10, mutations = 25, crossovers = 25;
  double depth_prob = 0.4, mutate_prob = 0.2;
  int random_samples = 1000;
  int specialise_draws = 100;
  double search_budget_seconds = 0;  // > 0: evolution starts no generation it cannot finish in time
  double min_params = 0, max_params = std::numeric_limits<double>::infinity();
  double min_flops = 0, max_flops = std::numeric_limits<double>::infinity();
  int eval_batch = 256;
  int calibration_batches = 8;  // batch-norm recalibration: training batches of eval_batch images

  // Output.
  std::filesystem::path out_dir = "out";
  std::filesystem::path checkpoint() const { return out_dir / "supernet.safetensors"; }
};

// A program built on the stages: its name, what it does, its defaults of the settings, and the
// names of the spaces it offers (apps/common/spaces.hpp; empty: all of them).
struct program_info {
  std::string name, description;
  run_config defaults;
  std::vector<std::string> spaces = {};
};

inline void add_data_options(CLI::App& app, run_config& c) {
  app.add_option("--space", c.space, "Search space (see `ovo spaces`)")->capture_default_str();
  app.add_option("--dataset", c.dataset,
                 "Dataset format: fashion-mnist or mnist (IDX files, plain or .gz), cifar10, "
                 "cifar100 (binary versions), imagenet (a folder with train/ and val/, one "
                 "subfolder of JPEG or PNG files per class)")
      ->capture_default_str();
  app.add_option("--data", c.data_dir, "Directory of the dataset's files")->capture_default_str();
  app.add_flag("--coarse-labels", c.coarse_labels, "CIFAR-100: the 20 coarse labels");
  app.add_option("--holdout-per-class", c.holdout_per_class,
                 "Training images per class held out for search validation (never trained on; "
                 "the test set is never used for selection)")
      ->capture_default_str();
  app.add_option("--workers", c.workers, "Data loading threads (0: load in the training thread)")
      ->capture_default_str();
  app.add_option("--bad-images", c.bad_images,
                 "Image folders: a file that cannot be decoded is replaced by the next decodable "
                 "image of its class, with a warning and a count in the report (replace), or "
                 "stops the run (fail)")
      ->check(CLI::IsMember({"replace", "fail"}))
      ->capture_default_str();
  app.add_option("--out", c.out_dir, "Output directory: checkpoint, subnet, report")
      ->capture_default_str();
  app.add_option("--process-timeout", c.process_timeout_seconds,
                 "Under mpirun: seconds a process waits for the others in a gradient average or "
                 "a search's exchange before the job fails (docs/distributed.md)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--device", c.device,
                 "Where the networks run: cpu, or cuda (the current GPU; builds with OVO_CUDA)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--cuda-math", c.cuda_math,
                 "--device cuda: the math of matrix products, tf32 or fp32 (default: tf32 on GPUs "
                 "of compute capability 8.0 and later, fp32 before)")
      ->check(CLI::IsMember({"default", "tf32", "fp32"}))
      ->capture_default_str();
  app.add_option("--seed", c.seed, "Seed of everything random: same seed, same run")
      ->capture_default_str();
  app.add_option("--eval-batch", c.eval_batch, "Batch size of evaluation")->capture_default_str();
  app.add_option("--calibration-batches", c.calibration_batches,
                 "Networks with batch norms (EMO): training batches of --eval-batch images on "
                 "which a subnet's batch-norm statistics are recalibrated before it is scored, "
                 "tested or exported (0: use the running statistics training left)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

// Seconds in "90", "90s", "7m", "7.5m", "1h" or a sum of such parts, as "13m30s" or "1h30m" (the
// form the program prints durations in); `option` is named in the error.
inline double parse_duration(const std::string& text, const std::string& option) {
  const auto refuse = [&] {
    return CLI::ValidationError(
        option, "'" + text + "': expected a duration such as 90s, 7m, 13m30s or 1h");
  };
  double total = 0;
  std::size_t at = 0;
  do {
    std::size_t used = 0;
    double value = -1;
    try {
      value = std::stod(text.substr(at), &used);
    } catch (const std::exception&) {
      throw refuse();
    }
    at += used;
    const char unit = at < text.size() ? text[at++] : 's';  // a bare number: seconds
    const double scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : -1;
    if (scale < 0 || !(value >= 0) || !std::isfinite(value)) throw refuse();
    total += value * scale;
  } while (at < text.size());
  return total;
}

// The NAME and VALUE of a "NAME=VALUE" value of a repeated option (`--supernet uniform=out/u`);
// an empty side is refused, naming `option` and the `expected` form.
inline std::pair<std::string, std::string> split_named(const std::string& spec,
                                                       const std::string& option,
                                                       const std::string& expected) {
  const auto at = spec.find('=');
  if (at == std::string::npos || at == 0 || at + 1 == spec.size())
    throw std::invalid_argument(option + " " + spec + ": expected " + expected);
  return {spec.substr(0, at), spec.substr(at + 1)};
}

// A wall-clock budget option ("90s", "7m", "1h"; 0: none) in seconds, which `count` (the count it
// sizes: --steps, --generations) switches off when given, so that the count replays a run exactly.
inline void add_budget_option(CLI::App& app, const std::string& name, double& seconds,
                              CLI::Option* count, const std::string& description) {
  count->each([&seconds](const std::string&) { seconds = 0; });
  app.add_option_function<std::string>(
         name, [&seconds, name](const std::string& text) { seconds = parse_duration(text, name); },
         description)
      ->default_str(seconds > 0 ? std::to_string(static_cast<long>(seconds)) + "s" : "0");
}

inline void add_training_options(CLI::App& app, run_config& c) {
  app.add_option("--batch", c.batch_size, "Training batch size")->capture_default_str();
  auto* steps = app.add_option("--steps", c.steps,
                               "Optimizer steps of the whole run (replaces the time budget)")
                    ->capture_default_str();
  add_budget_option(app, "--time-budget", c.time_budget_seconds, steps,
                    "Wall-clock time of training (90s, 7m, 1h; 0: none): the first steps are timed "
                    "within the warm-up and the cosine schedule is sized to the step count that "
                    "fits; the report records it for --steps");
  app.add_option("--lr", c.lr, "Peak learning rate (AdamW), after warm-up")->capture_default_str();
  app.add_option("--min-lr", c.min_lr, "Learning rate at the end of the cosine decay")
      ->capture_default_str();
  app.add_option("--warmup-steps", c.warmup_steps, "Linear warm-up steps")->capture_default_str();
  app.add_option("--weight-decay", c.weight_decay, "AdamW weight decay (not on norms, biases)")
      ->capture_default_str();
  app.add_option("--drop-path", c.drop_path, "Drop-path rate of the last block")
      ->capture_default_str();
  app.add_option("--max-grad-norm", c.max_grad_norm, "Gradient clipping norm (0: none)")
      ->capture_default_str();
  app.add_option("--sampling", c.sampling,
                 "uniform: one random subnet per step (AutoFormer); sandwich: largest + smallest "
                 "+ k random, in-place distillation; ovo: teacher and student subnets, online "
                 "distillation (OVO)")
      ->check(CLI::IsMember({"uniform", "sandwich", "ovo"}))
      ->capture_default_str();
  app.add_option("--teacher", c.teacher,
                 "OVO's teacher: the largest subnet, or a random one at least as large as the "
                 "student (larger-random)")
      ->check(CLI::IsMember({"largest", "larger-random"}))
      ->capture_default_str();
  app.add_option("--alpha", c.alpha, "Student loss: (1 - alpha) CE + alpha T^2 KL")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--temperature", c.temperature, "Distillation temperature T")
      ->capture_default_str();
  app.add_option("--teacher-model", c.teacher_model,
                 "A frozen ResNet (train-teacher's teacher.safetensors) every step distils from, "
                 "with --alpha and --temperature: uniform's subnet learns from it directly; OVO's "
                 "and sandwich's teacher subnet learns from it and teaches the students");
  app.add_option("--sandwich-random", c.sandwich_random, "Random subnets per sandwich step")
      ->capture_default_str();
  app.add_option("--train-max-params", c.train_max_params,
                 "Training focused on a budget: every random subnet a step trains (students, "
                 "random teachers) has at most this many parameters; the largest teacher stays "
                 "the space's (default: no limit)");
  app.add_flag("--focusformer", c.focusformer,
               "FocusFormer's learned sampler draws every random subnet of --sampling: per step a "
               "budget bin, --focus-candidates archs of it from the bin's learned distributions, "
               "the one of lowest loss on the batch trained; the distributions learn from "
               "held-out loss every --focus-update-every steps");
  app.add_option("--focus-cost", c.focus_cost, "FocusFormer: the cost binned, params or macs")
      ->check(CLI::IsMember({"params", "macs"}))
      ->capture_default_str();
  app.add_option("--focus-bins", c.focus_bins, "FocusFormer: budget bins (equal shares)")
      ->capture_default_str();
  app.add_option("--focus-candidates", c.focus_candidates,
                 "FocusFormer: k of best-of-k, archs drawn per random subnet")
      ->capture_default_str();
  app.add_option("--focus-update-every", c.focus_update_every,
                 "FocusFormer: steps between policy-gradient updates (0: never)")
      ->capture_default_str();
  app.add_option("--focus-update-samples", c.focus_update_samples,
                 "FocusFormer: archs per bin scored on one held-out batch at an update")
      ->capture_default_str();
  app.add_option("--focus-lr", c.focus_lr,
                 "FocusFormer: learning rate of the distributions' logits")
      ->capture_default_str();
  app.add_flag("--augment,!--no-augment", c.augment,
               "Train with the dataset's augmentation (crops, flips; RandAugment, erasing and "
               "mixup/cutmix for CIFAR and ImageNet) or without (label smoothing only)")
      ->capture_default_str();
  app.add_option("--checkpoint-every", c.checkpoint_every,
                 "Steps between checkpoints (out/supernet.safetensors; 0: only at the end)")
      ->capture_default_str();
  app.add_option("--log-every", c.log_every, "Steps between progress lines")->capture_default_str();
  app.add_flag("--resume", c.resume,
               "Continue from out/supernet.safetensors when it exists (same seed and sampling)");
}

inline void add_search_options(CLI::App& app, run_config& c) {
  app.add_option("--search", c.search,
                 "evolution, random (the baseline), or specialise (a supernet trained with "
                 "--focusformer: the best of --specialise-draws archs its sampler proposes for "
                 "the budget's bin)")
      ->check(CLI::IsMember({"evolution", "random", "specialise"}))
      ->capture_default_str();
  app.add_option("--specialise-draws", c.specialise_draws,
                 "Specialisation: archs drawn and evaluated")
      ->capture_default_str();
  app.add_option("--fitness", c.fitness,
                 "What scores a candidate: holdout (the trained supernet's held-out top-1) or a "
                 "training-free proxy of the network at initialisation on one batch of training "
                 "images, with no supernet training: tvt (needs --teacher-model), dss, synflow, "
                 "naswot, snip, grad-norm, l2-norm, params, macs. `run` then trains the chosen "
                 "arch alone for --time-budget (distilled from --teacher-model when given)")
      ->check(CLI::IsMember({"holdout", "tvt", "dss", "synflow", "naswot", "snip", "grad-norm",
                             "l2-norm", "params", "macs"}))
      ->capture_default_str();
  app.add_option("--proxy-batch", c.proxy_batch, "Proxies: training images scored on")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--tvt-fusion", c.tvt_fusion,
                 "TVT: how its teacher-aware and capability scores fuse over the candidates")
      ->check(CLI::IsMember({"rank-sum", "weighted-sum", "product"}))
      ->capture_default_str();
  app.add_option("--tvt-reference", c.tvt_reference,
                 "TVT under evolution: archs of the reference sample a candidate is fused with")
      ->capture_default_str();
  app.add_option("--population", c.population, "Evolution: candidates per generation")
      ->capture_default_str();
  app.add_option("--generations", c.generations, "Evolution: generations")->capture_default_str();
  app.add_option("--parents", c.parents, "Evolution: top candidates kept as parents")
      ->capture_default_str();
  app.add_option("--mutations", c.mutations, "Evolution: children by mutation per generation")
      ->capture_default_str();
  app.add_option("--crossovers", c.crossovers, "Evolution: children by crossover per generation")
      ->capture_default_str();
  app.add_option("--depth-prob", c.depth_prob, "Evolution: pd, redraw depth and embed dim")
      ->capture_default_str();
  app.add_option("--mutate-prob", c.mutate_prob, "Evolution: pm, redraw a layer's heads / ratio")
      ->capture_default_str();
  app.add_option("--random-samples", c.random_samples, "Random search: candidates evaluated")
      ->capture_default_str();
  add_budget_option(app, "--search-budget", c.search_budget_seconds,
                    app.get_option("--generations"),
                    "Evolution: wall-clock time of the search (90s, 3m; 0: none): no generation "
                    "starts that would end after it at the previous one's pace; the report's "
                    "generation count replays it with --generations");
  app.add_option("--min-params", c.min_params, "Smallest parameter count admitted");
  app.add_option("--max-params", c.max_params, "Parameter budget: largest count admitted");
  app.add_option("--min-flops", c.min_flops, "Smallest multiply-accumulates per image admitted");
  app.add_option("--max-flops", c.max_flops, "Largest multiply-accumulates per image admitted");
}

}  // namespace ovo::app
