// The supernet training loop: batches from a loader, subnets from a sampler, the matching step,
// a cosine schedule, periodic checkpoints, and a resume that continues exactly where a run stopped.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/io/checkpoint.hpp"
#include "ovo/loss/cross_entropy.hpp"
#include "ovo/loss/loss_values.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/optim/clip.hpp"
#include "ovo/optim/schedule.hpp"
#include "ovo/sample/arch_sampler.hpp"
#include "ovo/sample/focusformer_sampler.hpp"
#include "ovo/search/subnet_accuracy.hpp"
#include "ovo/space/search_space.hpp"
#include "ovo/train/distillation_step.hpp"
#include "ovo/train/step_budget.hpp"
#include "ovo/train/supervised_step.hpp"
#include "ovo/train/touched_gradients.hpp"
#include "ovo/util/json.hpp"
#include "ovo/util/process_group.hpp"
#include "ovo/util/random.hpp"
#include "ovo/util/seeds.hpp"

namespace ovo {

struct trainer_options {
  long total_steps = 1000;  // optimizer steps of the whole run (provisional with a time budget)
  // > 0: train() times steps [budget_skip_steps, budget_probe_end()), all within the warm-up,
  // and sets total_steps so that the run takes about this many seconds. The learning rate of a
  // warm-up step does not depend on total_steps, so the run equals one given that step count from
  // the start. The longer the probe, the more sampled subnets its pace averages over.
  double time_budget_seconds = 0;
  long budget_skip_steps = 3;
  long budget_probe_steps = 0;  // 0: every warm-up step after the skipped ones
  // The step after the timed ones: the step count is known from there on.
  long budget_probe_end() const {
    return ovo::budget_probe_end(budget_skip_steps, budget_probe_steps, warmup_steps);
  }
  double lr = 5e-4, min_lr = 1e-5, warmup_start_lr = 1e-6;
  long warmup_steps = 0;
  double weight_decay = 0.05;
  double max_grad_norm = 0.0;  // global gradient-norm clipping; 0: none
  sampler_options sampler;
  distillation_options distillation;      // alpha and temperature of the students (ovo, sandwich)
  std::filesystem::path checkpoint_path;  // empty: no checkpoints
  long checkpoint_every = 0;              // 0: only at the end
  long log_every = 50;
  std::uint64_t seed = 0;
};

// Means over one logging interval.
struct training_record {
  long step = 0;  // optimizer steps done at the end of the interval
  long epoch = 0;
  double lr = 0;
  double loss = 0;          // the students' loss (uniform: the one subnet's CE)
  double teacher_loss = 0;  // 0 without a teacher
  double kl = 0;            // 0 without a teacher
  double images_per_second = 0;
  double data_wait_fraction = 0;  // share of the interval spent waiting for the loader
};

inline void to_json(nlohmann::json& j, const training_record& r) {
  j = {{"step", r.step},
       {"epoch", r.epoch},
       {"lr", r.lr},
       {"loss", r.loss},
       {"teacher_loss", r.teacher_loss},
       {"kl", r.kl},
       {"images_per_second", r.images_per_second},
       {"data_wait_fraction", r.data_wait_fraction}};
}
inline void from_json(const nlohmann::json& j, training_record& r) {
  r.step = detail::json_int<long>(j.at("step"), "step");
  r.epoch = detail::json_int<long>(j.at("epoch"), "epoch");
  r.lr = j.at("lr");
  r.loss = j.at("loss");
  r.teacher_loss = j.at("teacher_loss");
  r.kl = j.at("kl");
  r.images_per_second = j.at("images_per_second");
  r.data_wait_fraction = j.at("data_wait_fraction");
}

// Step s trains on batch s % batches_per_epoch of epoch s / batches_per_epoch and draws its
// subnets (from Space) and drop-path from an engine seeded by (seed, s): the run is a function of
// the seed and the step count, so a run resumed from any checkpoint ends with the weights of an
// uninterrupted one. Loader: batches_per_epoch(), start(epoch, first_batch), next() -> optional
// batch with host images [b, c, h, w], soft targets [b, classes] and size, and wait_seconds().
// Group: the data-parallel processes (util/process_group.hpp). Each draws the same subnets, trains
// on its shard of every batch and train_step averages their gradients before clipping and the
// update, so that all hold the same weights. A loader with processes() (data::batch_loader) builds
// only this process's shard and must be built for the group's rank and size; from any other the
// trainer takes the shard of each whole batch. Only process 0 writes checkpoints; every process
// reads them, so a run resumes on any number of processes. Logged losses are the processes' means.
template <search_space Space, supernet Net, class Loader, class Group = single_process>
requires std::same_as<space_arch<Space>, arch_of<Net>> && process_group<Group, scalar_of<Net>>
class supernet_trainer {
 public:
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  using progress = std::function<void(const training_record&, long total_steps)>;

  supernet_trainer(Net& net, Loader& loader, trainer_options options, Group group = {})
      : net_(net),
        loader_(loader),
        options_(std::move(options)),
        group_(std::move(group)),
        optimizer_(net.parameters(), {.weight_decay = options_.weight_decay}),
        supervised_(net),
        distillation_(net, options_.distillation),
        images_(static_cast<std::size_t>(net.max_batch()) * net.input().values()),
        schedule_{.base_lr = options_.lr,
                  .min_lr = options_.min_lr,
                  .warmup_steps = options_.warmup_steps,
                  .total_steps = options_.total_steps,
                  .warmup_start_lr = options_.warmup_start_lr} {
    if (options_.total_steps < 1)
      throw std::invalid_argument("trainer_options: total_steps must be positive");
    if (options_.time_budget_seconds > 0) {
      check_budget_probe("trainer_options", options_.budget_skip_steps, options_.budget_probe_steps,
                         options_.warmup_steps);
      set_total_steps(std::max(options_.total_steps, options_.budget_probe_end()));
    }
    if (loader_.batches_per_epoch() == 0)
      throw std::invalid_argument("supernet_trainer: the loader yields no batch per epoch");
    if constexpr (sharding_loader)
      if (loader_.rank() != group_.rank() || loader_.processes() != group_.size())
        throw std::invalid_argument(fmt::format(
            "supernet_trainer: the loader builds shards for process {} of {}, expected process {} "
            "of {} (the group's)",
            loader_.rank(), loader_.processes(), group_.rank(), group_.size()));
  }

  // Distils every later step from `teacher`, a frozen network (a ConvNet, say) that outlives the
  // trainer, with the distillation options' alpha and temperature: a step without a teacher
  // subnet (uniform sampling) trains its students on it directly; an OVO or sandwich step trains
  // its teacher subnet on it, and the students on the teacher subnet as before.
  template <frozen_teacher<T> Teacher>
  void distill_from(Teacher& teacher) {
    frozen_.of = [&teacher](const image_batch<T>& images) { return teacher.logits(images); };
  }

  // Draws every later step's random subnets (see draw_step_archs) from `sampler`, FocusFormer's
  // learned sampler: for each, a bin and options.candidates archs of it, of which the one with the
  // lowest loss on the step's batch (evaluation pass; averaged over the processes) trains. After
  // every options.update_every steps the sampler takes a policy-gradient step per bin on one
  // batch of `held_out` (the held-out split of the training set, its batches in turn). Both outlive
  // the trainer; checkpoints keep the sampler's state and resume() restores it.
  void focus_with(focusformer_sampler<Space>& sampler,
                  const evaluation_set<Backend>& held_out) requires gene_coded_space<Space> {
    if (held_out.batches() == 0)
      throw std::invalid_argument("supernet_trainer::focus_with: the held-out set has no batch");
    focus_ = &sampler;
    held_out_ = &held_out;
    focus_losses_.reserve(static_cast<std::size_t>(
        std::max(sampler.options().candidates, sampler.options().update_samples)));
  }

  // Trains `a` alone at every step in place of the sampler's subnets: stand-alone training of one
  // subnet (the supernet's other weights stay untouched), distilled from a frozen teacher when
  // distill_from() gave one. Checkpoints record the arch and resume() refuses another.
  void train_only(arch_of<Net> a) {
    Space::validate(a);
    only_ = std::move(a);
  }

  adamw<Backend>& optimizer() { return optimizer_; }
  long step() const { return optimizer_.steps(); }
  const std::vector<training_record>& history() const { return history_; }
  const trainer_options& options() const { return options_; }
  // The run's step count: total_steps, or what the time budget made of it once it is measured.
  long total_steps() const { return options_.total_steps; }

  // Loads the checkpoint at options.checkpoint_path when one exists; returns whether it did.
  // Throws when it belongs to a run with another seed or sampling strategy.
  bool resume() {
    const auto& path = options_.checkpoint_path;
    if (path.empty() || !std::filesystem::exists(path)) return false;
    // Check the run's identity before touching the weights; the file is read once.
    const auto file = io::safetensors::load(path);
    const auto& metadata = file.metadata;
    const auto own = identity();
    for (const auto& [key, expected] : own) {
      const auto it = metadata.find(key);
      if (it == metadata.end() || it->second != expected)
        throw std::runtime_error(
            fmt::format("{}: checkpoint field '{}' is '{}', this run expects '{}'", path.string(),
                        key, it == metadata.end() ? "(missing)" : it->second, expected));
    }
    // Nor may the checkpoint belong to a FocusFormer or one-arch run when this run is neither.
    for (const std::string key : {"trainer.focusformer_options", "trainer.only_arch"})
      if (metadata.contains(key) && !own.contains(key))
        throw std::runtime_error(
            fmt::format("{}: checkpoint field '{}' is '{}', this run expects none", path.string(),
                        key, metadata.at(key)));
    // The trainer's own fields are read before the weights, so that a damaged one changes nothing.
    const auto read_field = [&](const std::string& key, const auto& read) {
      const auto it = metadata.find(key);
      if (it == metadata.end())
        throw std::runtime_error(
            fmt::format("{}: checkpoint field '{}' is missing", path.string(), key));
      try {
        return read(parse_json(it->second));
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(
            fmt::format("{}: checkpoint field '{}': {}", path.string(), key, e.what()));
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(
            fmt::format("{}: checkpoint field '{}': {}", path.string(), key, e.what()));
      }
    };
    auto history = read_field("trainer.history", [](const nlohmann::json& j) {
      return j.get<std::vector<training_record>>();
    });
    const auto interval = read_field("trainer.interval", [](const nlohmann::json& j) {
      return interval_sums{detail::json_int<long>(j.at(0), "steps"),
                           detail::json_int<long>(j.at(1), "images"),
                           j.at(2).get<double>(),
                           j.at(3).get<double>(),
                           j.at(4).get<double>(),
                           j.at(5).get<double>()};
    });
    // A budgeted run resumed after its probe keeps the step count it measured.
    std::optional<long> budgeted_steps;
    if (options_.time_budget_seconds > 0 && metadata.contains("trainer.total_steps"))
      budgeted_steps = read_field("trainer.total_steps", [](const nlohmann::json& j) {
        const long total = detail::json_int<long>(j, "the step count");
        if (total < 1) throw std::invalid_argument(fmt::format("{}, expected at least 1", total));
        return total;
      });
    std::optional<focusformer_sampler<Space>> focus;
    if constexpr (gene_coded_space<Space>)
      if (focus_)
        focus = read_field("trainer.focusformer", [&](const nlohmann::json& j) {
          auto restored = *focus_;
          restored.load_state(j);
          return restored;
        });
    io::load_checkpoint(file, path, net_, &optimizer_);
    if (focus) *focus_ = std::move(*focus);
    history_ = std::move(history);
    interval_ = interval;
    if (budgeted_steps && step() >= options_.budget_probe_end())
      set_total_steps(std::max(*budgeted_steps, step()));
    return true;
  }

  void save_checkpoint() const {
    if (options_.checkpoint_path.empty() || group_.rank() != 0) return;
    auto fields = identity();
    fields["trainer.history"] = nlohmann::json(history_).dump();
    // The open logging interval, so that a resumed run logs the same means.
    const auto interval = std::make_tuple(interval_.steps, interval_.images, interval_.lr,
                                          interval_.loss, interval_.teacher_loss, interval_.kl);
    fields["trainer.interval"] = nlohmann::json(interval).dump();
    fields["trainer.total_steps"] = std::to_string(options_.total_steps);
    if constexpr (gene_coded_space<Space>)
      if (focus_) fields["trainer.focusformer"] = focus_->state().dump();
    io::save_checkpoint(options_.checkpoint_path, net_, optimizer_, fields);
  }

  // Trains from the current step to total_steps (or stop_at, when smaller). With a time budget,
  // total_steps is set once the probe steps are timed.
  void train(const progress& on_log = {}, std::optional<long> stop_at = std::nullopt) {
    const long per_epoch = static_cast<long>(loader_.batches_per_epoch());
    const bool sizing = options_.time_budget_seconds > 0 && step() < options_.budget_probe_end();
    const auto run_start = std::chrono::steady_clock::now();
    auto probe_start = run_start;
    auto clock_start = run_start;
    double wait_start = loader_.wait_seconds();
    long started_epoch = -1;
    long probe_first = std::max(step(), options_.budget_skip_steps);
    auto end = [&] {
      return std::min(options_.total_steps, stop_at.value_or(options_.total_steps));
    };
    while (step() < end()) {
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
      if (sizing && done == options_.budget_probe_end())
        size_to_budget(run_start, probe_start, options_.budget_probe_end() - probe_first);
      const bool last = done == end();
      if (options_.log_every > 0 &&
          (done % options_.log_every == 0 || done == options_.total_steps)) {
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - clock_start).count();
        const double waited = loader_.wait_seconds() - wait_start;
        history_.push_back(close_interval(done, epoch, seconds, waited));
        if (on_log) on_log(history_.back(), options_.total_steps);
        clock_start = now;
        wait_start = loader_.wait_seconds();
      }
      if (options_.checkpoint_every > 0 && done % options_.checkpoint_every == 0 && !last)
        save_checkpoint();
    }
    save_checkpoint();
  }

 private:
  struct interval_sums {
    long steps = 0, images = 0;
    double lr = 0, loss = 0, teacher_loss = 0, kl = 0;
  };

  // Whether the loader builds this process's shard itself.
  static constexpr bool sharding_loader = requires(const Loader& l) {
    { l.processes() } -> std::convertible_to<int>;
  };

  void set_total_steps(long total) {
    options_.total_steps = total;
    schedule_.total_steps = total;
  }

  // The steps that fit the budget at the probe's pace, counting the time already spent: the
  // slowest process's times, so that every process runs the same count.
  void size_to_budget(std::chrono::steady_clock::time_point run_start,
                      std::chrono::steady_clock::time_point probe_start, long timed_steps) {
    using seconds = std::chrono::duration<double>;
    const auto now = std::chrono::steady_clock::now();
    std::vector<double> spent(2 * static_cast<std::size_t>(group_.size()), 0.0);
    const auto own = 2 * static_cast<std::size_t>(group_.rank());
    spent[own] = seconds(now - run_start).count();
    spent[own + 1] = seconds(now - probe_start).count();
    group_.sum(spent);
    double run = 0, probe = 0;
    for (std::size_t i = 0; i < spent.size(); i += 2) {
      run = std::max(run, spent[i]);
      probe = std::max(probe, spent[i + 1]);
    }
    set_total_steps(
        steps_within_budget(step(), options_.time_budget_seconds, run, probe, timed_steps));
  }

  std::map<std::string, std::string> identity() const {
    std::map<std::string, std::string> fields{
        {"trainer.seed", std::to_string(options_.seed)},
        {"trainer.sampling", to_string(options_.sampler.strategy)}};
    if constexpr (gene_coded_space<Space>)
      if (focus_) fields["trainer.focusformer_options"] = nlohmann::json(focus_->options()).dump();
    if (only_) fields["trainer.only_arch"] = nlohmann::json(*only_).dump();
    return fields;
  }

  // Writes the loss of `a` (evaluation pass) on images and staged targets into slot i of
  // focus_losses_, without a wait.
  void batch_loss(const arch_of<Net>& a, const image_batch<T>& images, const T* targets,
                  std::size_t i) {
    const T* logits = net_.forward(images, a, forward_mode::eval());
    cross_entropy<Backend>(logits, targets, images.batch, net_.classes(), focus_losses_.slot(i),
                           static_cast<T*>(nullptr));
  }

  // The step's subnets: the one arch of train_only(); otherwise from the learned sampler when there
  // is one, each random one the lowest loss of its candidates on the step's batch.
  step_archs<arch_of<Net>> draw_archs(const image_batch<T>& images, std::span<const float> targets,
                                      rng_engine& rng) {
    if (only_) return {std::nullopt, {*only_}};
    if constexpr (gene_coded_space<Space>) {
      if (focus_) {
        const T* staged = focus_targets_.from_soft(targets);
        return draw_step_archs<Space>(options_.sampler, rng, [&](rng_engine& r) {
          const auto candidates = focus_->draw_step(r).candidates;
          if (candidates.size() == 1) return candidates.front();
          for (std::size_t i = 0; i < candidates.size(); ++i)
            batch_loss(candidates[i], images, staged, i);
          group_.average(focus_losses_.slot(0), candidates.size());
          const auto losses = focus_losses_.read(candidates.size());
          return candidates[static_cast<std::size_t>(
              std::min_element(losses.begin(), losses.end()) - losses.begin())];
        });
      }
    }
    return draw_step_archs<Space>(options_.sampler, rng);
  }

  // The learned sampler's update after `done` steps, when one is due: per bin,
  // options.update_samples archs drawn from it (seeds::sampler_update), each rewarded by its
  // negative loss on one held-out batch.
  void update_focus(long done) {
    if constexpr (gene_coded_space<Space>) {
      if (!focus_) return;
      const auto& o = focus_->options();
      if (o.update_every == 0 || done % o.update_every != 0) return;
      const auto index = static_cast<std::size_t>(done / o.update_every - 1) % held_out_->batches();
      const auto images = held_out_->batch_images(index);
      const T* targets = focus_targets_.from_labels(held_out_->batch_labels(index), 0.0);
      rng_engine rng(seeds::sampler_update(options_.seed, done));
      const auto samples = static_cast<std::size_t>(o.update_samples);
      for (int bin = 0; bin < focus_->bins(); ++bin) {
        std::vector<arch_of<Net>> archs;
        for (std::size_t i = 0; i < samples; ++i) {
          archs.push_back(focus_->draw(bin, rng));
          batch_loss(archs.back(), images, targets, i);
        }
        std::vector<double> rewards;
        for (const T loss : focus_losses_.read(samples)) rewards.push_back(-double(loss));
        focus_->update(bin, archs, rewards);
      }
    }
  }

  // One optimiser step on this process's shard of the batch: the step's subnets accumulate their
  // gradients, the processes average them (the one place where they meet), then clipping and the
  // update.
  template <class Batch>
  void train_step(const Batch& batch, long s) {
    rng_engine rng(seeds::step(options_.seed, s));
    const batch_shard shard = sharding_loader ? batch_shard{0, batch.size}
                                              : shard_of(batch.size, group_.rank(), group_.size());
    const std::size_t per_image = batch.images.size() / static_cast<std::size_t>(batch.size);
    const std::size_t per_target = batch.targets.size() / static_cast<std::size_t>(batch.size);
    const auto first = static_cast<std::size_t>(shard.first),
               rows = static_cast<std::size_t>(shard.count);
    for (std::size_t i = 0; i < rows * per_image; ++i)
      host_images_[i] = T(batch.images[first * per_image + i]);
    // Not waited for: the previous step's read of its losses ended the previous upload.
    Backend::copy_from_host_async(std::span<const T>(host_images_.data(), rows * per_image),
                                  images_.data());
    const image_batch<T> images{images_.data(), shard.count, batch.channels, batch.height,
                                batch.width};
    const std::span<const float> targets(batch.targets.data() + first * per_target,
                                         rows * per_target);
    const auto archs = draw_archs(images, targets, rng);
    const double lr = schedule_(s);
    const long step = optimizer_.steps() + 1;
    if (archs.teacher || frozen_) {
      distillation_losses losses;
      if (archs.teacher && frozen_)
        losses = distillation_.gradients(net_, images, targets, frozen_, *archs.teacher,
                                         archs.students, step, rng);
      else if (archs.teacher)
        losses = distillation_.gradients(net_, images, targets, *archs.teacher, archs.students,
                                         step, rng);
      else
        losses = distillation_.gradients(net_, images, targets, frozen_, archs.students, step, rng);
      interval_.loss += losses.student;
      interval_.teacher_loss += losses.teacher;
      interval_.kl += losses.kl;
    } else {
      interval_.loss +=
          supervised_.gradients(net_, images, targets, archs.students.front(), step, rng);
    }
    average_gradients(archs);
    auto& params = net_.parameters();
    if (options_.max_grad_norm > 0) clip_(params, options_.max_grad_norm);
    optimizer_.step(lr);
    update_focus(optimizer_.steps());
    interval_.lr += lr;
    interval_.steps += 1;
    interval_.images += sharding_loader ? batch.size * group_.size() : batch.size;
  }

  // The processes' mean of the step's gradients: of the blocks its subnets touched (the rest is
  // zero in every process) when they hold less than 3/4 of the parameters, else of all of them.
  void average_gradients(const step_archs<arch_of<Net>>& archs) {
    auto& params = net_.parameters();
    if (group_.size() == 1) return;
    std::vector<arch_of<Net>> trained = archs.students;
    if (archs.teacher) trained.push_back(*archs.teacher);
    touched_.cover(net_, trained);
    const std::size_t n = touched_.values();
    if (4 * n >= 3 * params.size()) return group_.average(params.grads(), params.size());
    if (packed_.size() < params.size())
      packed_ = typename Backend::template buffer<T>(params.size());
    touched_.pack<Backend>(params.grads(), packed_.data());
    group_.average(packed_.data(), n);
    touched_.unpack<Backend>(packed_.data(), params.grads());
  }

  training_record close_interval(long done, long epoch, double seconds, double waited) {
    const double n = static_cast<double>(interval_.steps) * group_.size();
    std::array<double, 3> losses{interval_.loss, interval_.teacher_loss, interval_.kl};
    group_.sum(losses);
    training_record r{.step = done,
                      .epoch = epoch,
                      .lr = interval_.lr / static_cast<double>(interval_.steps),
                      .loss = losses[0] / n,
                      .teacher_loss = losses[1] / n,
                      .kl = losses[2] / n,
                      .images_per_second = static_cast<double>(interval_.images) / seconds,
                      .data_wait_fraction = seconds > 0 ? waited / seconds : 0.0};
    interval_ = {};
    return r;
  }

  Net& net_;
  Loader& loader_;
  trainer_options options_;
  Group group_;
  adamw<Backend> optimizer_;
  supervised_step<Net> supervised_;
  distillation_step<Net> distillation_;
  frozen_logits<T> frozen_;                      // empty: no frozen teacher
  std::optional<arch_of<Net>> only_;             // train_only()'s arch
  focusformer_sampler<Space>* focus_ = nullptr;  // null: no learned sampler
  const evaluation_set<Backend>* held_out_ = nullptr;
  detail::staged_targets<Backend> focus_targets_{net_.max_batch(), net_.classes()};
  loss_values<Backend> focus_losses_;  // the candidates' or the update's losses
  grad_norm_clipper<Backend> clip_;
  touched_blocks touched_;                       // the step's subnets' gradients
  typename Backend::template buffer<T> packed_;  // ... packed for the average
  typename Backend::template buffer<T> images_;
  typename Backend::template host_buffer<T> host_images_ =
      typename Backend::template host_buffer<T>(images_.size());
  cosine_schedule schedule_;
  std::vector<training_record> history_;
  interval_sums interval_;
};

}  // namespace ovo
