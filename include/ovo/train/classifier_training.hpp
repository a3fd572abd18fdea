// Supervised training of one network (one subnet of a supernet, such as a ResNet teacher) with
// SGD: batches from a loader, a cosine schedule, an optional wall-clock budget, progress records.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/loss/loss_values.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/optim/schedule.hpp"
#include "ovo/optim/sgd.hpp"
#include "ovo/train/step_budget.hpp"
#include "ovo/train/step_support.hpp"
#include "ovo/train/supernet_trainer.hpp"
#include "ovo/util/random.hpp"
#include "ovo/util/seeds.hpp"

namespace ovo {

// The CIFAR ResNet recipe by default: SGD lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4 (not
// on batch norms and biases), cosine decay to 0.
struct classifier_training_options {
  long total_steps = 1000;  // optimizer steps of the whole run (provisional with a time budget)
  // > 0: train() times steps [budget_skip_steps, budget_probe_end()), all within the warm-up, and
  // sets total_steps so that the run takes about this many seconds: the run then equals one given
  // that step count from the start (as trainer_options' budget).
  double time_budget_seconds = 0;
  long budget_skip_steps = 3;
  long budget_probe_steps = 0;  // 0: every warm-up step after the skipped ones
  long budget_probe_end() const {
    return ovo::budget_probe_end(budget_skip_steps, budget_probe_steps, warmup_steps);
  }
  double lr = 0.1, min_lr = 0.0, warmup_start_lr = 0.01;
  long warmup_steps = 0;
  sgd_options sgd;
  long log_every = 50;
  std::uint64_t seed = 0;  // a training pass's engine is seeded by (seed, step)
};

// Trains subnet `a` of `net` on cross-entropy with the loader's soft targets. Step s trains on
// batch s % batches_per_epoch of epoch s / batches_per_epoch. Loader: batches_per_epoch(),
// start(epoch, first_batch), next() -> optional batch with host images [b, c, h, w], soft targets
// [b, classes] and size, and wait_seconds() (data::batch_loader). Progress records are
// training_record's (their teacher_loss and kl are 0).
template <supernet Net, class Loader>
class classifier_trainer {
 public:
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  using progress = std::function<void(const training_record&, long total_steps)>;

  classifier_trainer(Net& net, arch_of<Net> a, Loader& loader, classifier_training_options options)
      : net_(net),
        arch_(std::move(a)),
        loader_(loader),
        options_(options),
        optimizer_(net.parameters(), options_.sgd),
        targets_(net.max_batch(), net.classes()),
        dlogits_(static_cast<std::size_t>(net.max_batch()) * net.classes()),
        images_(static_cast<std::size_t>(net.max_batch()) * net.input().values()),
        host_images_(images_.size()),
        schedule_{.base_lr = options_.lr,
                  .min_lr = options_.min_lr,
                  .warmup_steps = options_.warmup_steps,
                  .total_steps = options_.total_steps,
                  .warmup_start_lr = options_.warmup_start_lr} {
    if (options_.total_steps < 1)
      throw std::invalid_argument(
          fmt::format("classifier_training_options: total_steps is {}, expected at least 1",
                      options_.total_steps));
    if (options_.time_budget_seconds > 0) {
      check_budget_probe("classifier_training_options", options_.budget_skip_steps,
                         options_.budget_probe_steps, options_.warmup_steps);
      set_total_steps(std::max(options_.total_steps, options_.budget_probe_end()));
    }
    if (loader_.batches_per_epoch() == 0)
      throw std::invalid_argument("classifier_trainer: the loader yields no batch per epoch");
  }

  sgd<Backend>& optimizer() { return optimizer_; }
  long step() const { return optimizer_.steps(); }
  const std::vector<training_record>& history() const { return history_; }
  // The run's step count: total_steps, or what the time budget made of it once it is measured.
  long total_steps() const { return options_.total_steps; }

  // Trains from the current step to total_steps. With a time budget, total_steps is set once the
  // probe steps are timed.
  void train(const progress& on_log = {}) {
    const long per_epoch = static_cast<long>(loader_.batches_per_epoch());
    const bool sizing = options_.time_budget_seconds > 0 && step() < options_.budget_probe_end();
    const auto run_start = std::chrono::steady_clock::now();
    auto probe_start = run_start, clock_start = run_start;
    double wait_start = loader_.wait_seconds();
    long started_epoch = -1;
    const long probe_first = std::max(step(), options_.budget_skip_steps);
    while (step() < options_.total_steps) {
      const long s = step(), epoch = s / per_epoch;
      if (epoch != started_epoch) {
        loader_.start(static_cast<std::uint64_t>(epoch), static_cast<std::size_t>(s % per_epoch));
        started_epoch = epoch;
      }
      auto batch = loader_.next();
      if (!batch)
        throw std::logic_error(fmt::format("loader ended epoch {} before batch {} of {}", epoch,
                                           s % per_epoch, per_epoch));
      if (sizing && s == probe_first) probe_start = std::chrono::steady_clock::now();
      train_step(*batch, s);
      const long done = step();
      if (sizing && done == options_.budget_probe_end()) {
        using seconds = std::chrono::duration<double>;
        const auto now = std::chrono::steady_clock::now();
        set_total_steps(steps_within_budget(
            done, options_.time_budget_seconds, seconds(now - run_start).count(),
            seconds(now - probe_start).count(), done - probe_first));
      }
      if (options_.log_every > 0 &&
          (done % options_.log_every == 0 || done == options_.total_steps)) {
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - clock_start).count();
        history_.push_back(
            close_interval(done, epoch, seconds, loader_.wait_seconds() - wait_start));
        if (on_log) on_log(history_.back(), options_.total_steps);
        clock_start = now;
        wait_start = loader_.wait_seconds();
      }
    }
  }

 private:
  void set_total_steps(long total) {
    options_.total_steps = total;
    schedule_.total_steps = total;
  }

  // Forward in training mode, cross-entropy on the batch's soft targets, backward, SGD update.
  template <class Batch>
  void train_step(const Batch& batch, long s) {
    const image_geometry input = net_.input();
    if (batch.size < 1 || batch.size > net_.max_batch() || batch.channels != input.channels ||
        batch.height != input.height || batch.width != input.width ||
        batch.images.size() != static_cast<std::size_t>(batch.size) * input.values())
      throw std::invalid_argument(fmt::format(
          "classifier_trainer: a batch of {} images of {}x{}x{} ({} values), expected 1..{} "
          "images of {}x{}x{} (channels x height x width)",
          batch.size, batch.channels, batch.height, batch.width, batch.images.size(),
          net_.max_batch(), input.channels, input.height, input.width));
    const auto values = batch.images.size();
    for (std::size_t i = 0; i < values; ++i) host_images_[i] = T(batch.images[i]);
    // Not waited for: the previous step's read of its loss ended the previous upload.
    Backend::copy_from_host_async(std::span<const T>(host_images_.data(), values), images_.data());
    const image_batch<T> images{images_.data(), batch.size, batch.channels, batch.height,
                                batch.width};
    const T* targets = targets_.from_soft(batch.targets);
    rng_engine rng(seeds::step(options_.seed, s));
    net_.parameters().zero_grad();
    const T* logits = net_.forward(images, arch_, forward_mode::train(rng));
    cross_entropy<Backend>(logits, targets, batch.size, net_.classes(), loss_.slot(0),
                           dlogits_.data());
    net_.backward(dlogits_.data());
    const double loss = loss_.read(1)[0];
    detail::require_finite_loss(loss, "cross-entropy", s + 1, arch_);
    const double lr = schedule_(s);
    optimizer_.step(lr);
    interval_.lr += lr;
    interval_.loss += loss;
    interval_.steps += 1;
    interval_.images += batch.size;
  }

  training_record close_interval(long done, long epoch, double seconds, double waited) {
    const double n = static_cast<double>(interval_.steps);
    training_record r{.step = done,
                      .epoch = epoch,
                      .lr = interval_.lr / n,
                      .loss = interval_.loss / n,
                      .images_per_second = static_cast<double>(interval_.images) / seconds,
                      .data_wait_fraction = seconds > 0 ? waited / seconds : 0.0};
    interval_ = {};
    return r;
  }

  struct interval_sums {
    long steps = 0, images = 0;
    double lr = 0, loss = 0;
  };

  Net& net_;
  arch_of<Net> arch_;
  Loader& loader_;
  classifier_training_options options_;
  sgd<Backend> optimizer_;
  detail::staged_targets<Backend> targets_;
  typename Backend::template buffer<T> dlogits_, images_;
  loss_values<Backend> loss_;
  typename Backend::template host_buffer<T> host_images_;
  cosine_schedule schedule_;
  std::vector<training_record> history_;
  interval_sums interval_;
};

}  // namespace ovo
