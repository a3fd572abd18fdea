// AdamW with torch.optim.AdamW's semantics, applied to whole super-shaped tensors every step.
#pragma once

#include <stdexcept>

#include "ovo/nn/parameters.hpp"

namespace ovo {

// The learning rate is not an option: each step is given the schedule's (step(lr)).
struct adamw_options {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.05;  // applied to parameters whose info says decay (not norms, biases)
};

// Every tensor is updated every step, also the slices (and layers) the step's subnet did not use:
// they see zero gradients, so their moments decay and weight decay shrinks them, as in PyTorch
// with zero_grad(set_to_none=False).
template <class Backend>
class adamw {
 public:
  using T = typename Backend::scalar;

  adamw(parameter_store<Backend>& params, adamw_options options)
      : params_(params), options_(options) {
    exp_avg_.assign(params.size(), T(0));
    exp_avg_sq_.assign(params.size(), T(0));
  }

  // One update at learning rate lr (the schedule's value for this step).
  void step(double lr) {
    ++steps_;
    for (const auto& e : params_.entries())
      Backend::adamw_update(params_.values() + e.offset, params_.grads() + e.offset,
                            exp_avg_.data() + e.offset, exp_avg_sq_.data() + e.offset, e.size, lr,
                            options_.beta1, options_.beta2, options_.eps,
                            e.decay ? options_.weight_decay : 0.0, steps_);
  }

  long steps() const { return steps_; }
  void set_steps(long steps) {
    if (steps < 0) throw std::invalid_argument("adamw: negative step count");
    steps_ = steps;
  }
  const adamw_options& options() const { return options_; }
  T* exp_avg() { return exp_avg_.data(); }
  T* exp_avg_sq() { return exp_avg_sq_.data(); }
  const T* exp_avg() const { return exp_avg_.data(); }
  const T* exp_avg_sq() const { return exp_avg_sq_.data(); }

 private:
  parameter_store<Backend>& params_;
  adamw_options options_;
  typename Backend::template buffer<T> exp_avg_, exp_avg_sq_;
  long steps_ = 0;
};

}  // namespace ovo
