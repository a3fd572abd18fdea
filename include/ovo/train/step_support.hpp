// Pieces shared by the training steps: soft targets staged into back-end memory, the check that a
// loss is finite, and the clipped optimiser update.
#pragma once

#include <cmath>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/optim/clip.hpp"

namespace ovo {

// How a step called on its own treats hard labels and clips; the trainer gives soft targets (the
// loader's smoothing) and clips with its own trainer_options::max_grad_norm.
struct step_options {
  double label_smoothing = 0.1;  // applied to hard labels
  double max_grad_norm = 0.0;    // 0: no clipping
};

namespace detail {

// Target rows [batch, classes] in back-end memory, from soft targets or smoothed hard labels,
// uploaded without a wait: the host rows are rewritten only by the next call, after the step's
// read of its losses.
template <class Backend>
class staged_targets {
 public:
  using T = typename Backend::scalar;

  staged_targets(int max_batch, int classes)
      : classes_(classes),
        host_(static_cast<std::size_t>(max_batch) * classes),
        device_(host_.size()) {}

  const T* from_labels(std::span<const int> labels, double smoothing) {
    check_rows(labels.size() * static_cast<std::size_t>(classes_));
    const auto n = labels.size() * static_cast<std::size_t>(classes_);
    smoothed_one_hot<T>(labels, classes_, smoothing, std::span<T>(host_.data(), n));
    Backend::copy_from_host_async(std::span<const T>(host_.data(), n), device_.data());
    return device_.data();
  }
  const T* from_soft(std::span<const float> targets) {
    check_rows(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) host_[i] = static_cast<T>(targets[i]);
    Backend::copy_from_host_async(std::span<const T>(host_.data(), targets.size()), device_.data());
    return device_.data();
  }

 private:
  void check_rows(std::size_t n) const {
    if (n > host_.size() || n % static_cast<std::size_t>(classes_) != 0)
      throw std::invalid_argument(
          fmt::format("training step: {} target values, expected a multiple of {} classes for at "
                      "most {} rows",
                      n, classes_, host_.size() / static_cast<std::size_t>(classes_)));
  }
  int classes_;
  typename Backend::template host_buffer<T> host_;
  typename Backend::template buffer<T> device_;
};

// Throws, naming the loss and the step, when a loss is not finite: called before any update.
template <class Arch>
void require_finite_loss(double loss, std::string_view which, long step, const Arch& a) {
  if (!std::isfinite(loss))
    throw std::runtime_error(
        fmt::format("training diverged: {} loss is {} at optimizer step {} "
                    "(arch {})",
                    which, loss, step, to_string(a)));
}

template <class Backend>
void clip_and_update(parameter_store<Backend>& params, adamw<Backend>& optimizer,
                     grad_norm_clipper<Backend>& clip, double max_grad_norm, double lr) {
  if (max_grad_norm > 0) clip(params, max_grad_norm);
  optimizer.step(lr);
}

inline void require_batch(std::size_t rows, int batch, std::string_view what) {
  if (rows != static_cast<std::size_t>(batch))
    throw std::invalid_argument(
        fmt::format("training step: {} {} for {} images", rows, what, batch));
}

}  // namespace detail
}  // namespace ovo
