// The `train-teacher` subcommand: trains a CIFAR ResNet (ResNet-56 by default) with SGD, tests it
// and saves it as a standalone file, the frozen teacher of a distillation run.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "pipeline.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

using teacher_network = resnet<backend>;

// The teacher's training settings; the data, output and seed are the run_config's.
struct teacher_config {
  int depth = 56;
  long epochs = 200;
  long steps = 0;                  // > 0: the step count, replacing --epochs and the time budget
  double time_budget_seconds = 0;  // > 0: the step count is sized to this wall-clock time
  int batch_size = 128;
  double lr = 0.1, weight_decay = 5e-4, momentum = 0.9;
  long warmup_steps = 100;  // a time budget times them (classifier_training_options)
  bool augment = true;
  long log_every = 50;
};

inline std::filesystem::path teacher_file(const run_config& c) {
  return c.out_dir / "teacher.safetensors";
}

// The dataset's crop and flip (no RandAugment, erasing or mixing), or none; never label
// smoothing, which makes a worse teacher for distillation (Mueller et al., 2019).
inline data::augment_options teacher_augmentation(const run_config& c, bool augment,
                                                  const data::image_set& train) {
  auto a = data::dataset_augmentation(c.dataset, train.height, train.channels);
  if (!augment) a = a.without_augmentation();
  a.use_rand_augment = false;
  a.erasing.prob = 0;
  a.use_mix = false;
  a.mix.label_smoothing = 0;
  return a;
}

// Trains the teacher on the training split minus the images held out for the search (as `train`
// does), prints progress, tests it on the test split and saves it; returns the exit code.
inline int train_teacher(const run_config& c, const teacher_config& t) {
  const auto split_of = [&](data::dataset_split split) {
    try {
      return data::load_dataset<data::image_set>(
          c.dataset, c.data_dir, split,
          {.labels =
               c.coarse_labels ? data::cifar100_labels::coarse : data::cifar100_labels::fine});
    } catch (const data::unknown_dataset& e) {
      throw std::invalid_argument(
          fmt::format("--dataset {}: train-teacher reads {}", c.dataset, e.expected()));
    }
  };
  const auto train = split_of(data::dataset_split::train);
  const auto test = split_of(data::dataset_split::test);
  const resnet_shape shape{.depth = t.depth,
                           .classes = train.classes,
                           .channels = train.channels,
                           .height = train.height,
                           .width = train.width};
  teacher_network net(shape, std::max(t.batch_size, c.eval_batch));
  rng_engine init(seeds::initial_weights(c.seed));
  net.initialize(init);

  const auto augment = teacher_augmentation(c, t.augment, train);
  const auto split = split_for(c, train);
  data::batch_loader<data::image_set> loader(train, split.train, augment,
                                             {.batch_size = t.batch_size,
                                              .shuffle = true,
                                              .drop_last = true,
                                              .train = true,
                                              .workers = c.workers,
                                              .seed = c.seed});
  const long per_epoch = static_cast<long>(loader.batches_per_epoch());
  classifier_training_options options;
  options.total_steps = t.steps > 0 ? t.steps : std::max(1L, t.epochs * per_epoch);
  options.time_budget_seconds = t.steps > 0 ? 0 : t.time_budget_seconds;
  options.lr = t.lr;
  options.warmup_start_lr = t.lr / 10;
  options.warmup_steps = t.warmup_steps;
  options.sgd = {.momentum = t.momentum, .weight_decay = t.weight_decay, .nesterov = true};
  options.log_every = t.log_every;
  options.seed = c.seed;
  classifier_trainer<teacher_network, data::batch_loader<data::image_set>> trainer(net, net.arch(),
                                                                                   loader, options);

  const std::string length =
      options.time_budget_seconds > 0
          ? fmt::format("for {} (steps sized after the first {})",
                        format_duration(options.time_budget_seconds), options.budget_probe_end())
          : fmt::format("{} steps", options.total_steps);
  fmt::print(
      "training teacher {} ({} params) on {} {}x{}x{} images of {} classes ({} held out), {} of "
      "batch {} ({} batches per epoch), SGD lr {} momentum {} Nesterov, weight decay {}, "
      "products on {}\n",
      to_string(net.arch()), net.parameters().size(), split.train.size(), shape.channels,
      shape.height, shape.width, shape.classes, split.holdout.size(), length, t.batch_size,
      per_epoch, t.lr, t.momentum, t.weight_decay, backend_description());
  std::fflush(stdout);
  bool announced = options.time_budget_seconds <= 0;
  trainer.train([&](const training_record& r, long total) {
    if (!announced && r.step >= options.budget_probe_end()) {
      fmt::print("time budget {}: {} steps (replay with --steps {})\n",
                 format_duration(options.time_budget_seconds), total, total);
      announced = true;
    }
    const double eta =
        static_cast<double>(total - r.step) * t.batch_size / std::max(r.images_per_second, 1e-9);
    fmt::print(
        "step {:>6}/{} | epoch {} | loss {:.4f} | lr {:.2e} | {:.0f} img/s | data wait {:.0f}% | "
        "ETA {}\n",
        r.step, total, r.epoch, r.loss, r.lr, r.images_per_second, 100 * r.data_wait_fraction,
        format_duration(eta));
    std::fflush(stdout);
  });

  auto test_loader = eval_loader(c, test, all_indices(test), augment);
  const double top1 = streamed_top1(net, net.arch(), test_loader);
  std::filesystem::create_directories(c.out_dir);
  io::export_subnet(teacher_file(c), net, net.arch());
  fmt::print("teacher {}: {} steps, test top-1 {:.2f}%, saved to {}\n", to_string(net.arch()),
             trainer.total_steps(), 100 * top1, teacher_file(c).string());
  return 0;
}

// The subcommand's options, bound to a run_config (data, output, seed) and its own settings.
class teacher_command {
 public:
  teacher_command(CLI::App& app, run_config& c)
      : command_(app.add_subcommand(
            "train-teacher",
            "Train a CIFAR ResNet (ResNet-56 by default) with SGD on the dataset's training split "
            "minus the held-out images, test it and save it to out/teacher.safetensors, a frozen "
            "teacher for distillation")) {
    add_data_options(*command_, c);
    auto& t = config_;
    command_->add_option("--depth", t.depth, "ResNet depth 6n + 2: 20, 32, 44, 56, 110, ...")
        ->capture_default_str();
    command_->add_option("--epochs", t.epochs, "Epochs of training (without --steps or a budget)")
        ->capture_default_str();
    auto* steps = command_->add_option(
        "--steps", t.steps, "Optimizer steps of the whole run (replaces --epochs and the budget)");
    add_budget_option(*command_, "--time-budget", t.time_budget_seconds, steps,
                      "Wall-clock time of training (90s, 7m, 1h; 0: none): the first steps are "
                      "timed within the warm-up and the cosine schedule is sized to the step count "
                      "that fits, printed for --steps");
    command_->add_option("--batch,--batch-size", t.batch_size, "Training batch size")
        ->capture_default_str();
    command_->add_option("--lr", t.lr, "Peak learning rate (SGD), after warm-up")
        ->capture_default_str();
    command_->add_option("--momentum", t.momentum, "SGD momentum (Nesterov)")
        ->capture_default_str();
    command_
        ->add_option("--weight-decay", t.weight_decay,
                     "SGD weight decay, added to the gradient (not on batch norms, biases)")
        ->capture_default_str();
    command_
        ->add_option("--warmup-steps", t.warmup_steps,
                     "Linear warm-up steps from lr / 10, then cosine decay to 0")
        ->capture_default_str();
    command_
        ->add_flag("--augment,!--no-augment", t.augment,
                   "Train with the dataset's random crop and flip, or without")
        ->capture_default_str();
    command_->add_option("--log-every", t.log_every, "Steps between progress lines")
        ->capture_default_str();
  }
  teacher_command(const teacher_command&) = delete;
  teacher_command& operator=(const teacher_command&) = delete;

  bool parsed() const { return command_->parsed(); }
  int run(const run_config& c) const { return train_teacher(c, config_); }

 private:
  CLI::App* command_;
  teacher_config config_;
};

}  // namespace ovo::app::inline OVO_APP_DEVICE
