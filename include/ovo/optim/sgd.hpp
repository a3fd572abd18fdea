// SGD with momentum and Nesterov, with torch.optim.SGD's semantics, on a parameter store.
#pragma once

#include <stdexcept>

#include <fmt/format.h>

#include "ovo/nn/parameters.hpp"

namespace ovo {

// The learning rate is not an option: each step is given the schedule's (step(lr)).
struct sgd_options {
  double momentum = 0.9;
  double weight_decay = 5e-4;  // added to the gradient of parameters whose info says decay
  bool nesterov = true;
};

// Every tensor is updated every step; weight decay is L2 (added to the gradient, so it passes
// through the momentum), as in torch.optim.SGD with dampening 0.
template <class Backend>
class sgd {
 public:
  using T = typename Backend::scalar;

  sgd(parameter_store<Backend>& params, sgd_options options) : params_(params), options_(options) {
    if (!(options.momentum >= 0 && options.momentum < 1))
      throw std::invalid_argument(
          fmt::format("sgd_options: momentum is {}, expected a value in [0, 1)", options.momentum));
    if (!(options.weight_decay >= 0))
      throw std::invalid_argument(fmt::format(
          "sgd_options: weight_decay is {}, expected a value >= 0", options.weight_decay));
    if (options.nesterov && options.momentum == 0)
      throw std::invalid_argument("sgd_options: nesterov needs a momentum above 0");
    momentum_buffer_.assign(params.size(), T(0));
  }

  // One update at learning rate lr (the schedule's value for this step).
  void step(double lr) {
    const bool first = steps_ == 0;
    ++steps_;
    for (const auto& e : params_.entries())
      Backend::sgd_update(params_.values() + e.offset, params_.grads() + e.offset,
                          momentum_buffer_.data() + e.offset, e.size, lr, options_.momentum,
                          e.decay ? options_.weight_decay : 0.0, options_.nesterov, first);
  }

  long steps() const { return steps_; }
  void set_steps(long steps) {
    if (steps < 0) throw std::invalid_argument("sgd: negative step count");
    steps_ = steps;
  }
  const sgd_options& options() const { return options_; }
  T* momentum_buffer() { return momentum_buffer_.data(); }
  const T* momentum_buffer() const { return momentum_buffer_.data(); }

 private:
  parameter_store<Backend>& params_;
  sgd_options options_;
  typename Backend::template buffer<T> momentum_buffer_;
  long steps_ = 0;
};

}  // namespace ovo
