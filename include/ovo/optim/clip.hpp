// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ over all parameters), computed
// where the gradients are: the norm never travels to the host unless asked for.
#pragma once

#include <cmath>
#include <span>

#include "ovo/nn/parameters.hpp"

namespace ovo {

// Holds the sum of squares of the last clipping in back-end memory.
template <class Backend>
class grad_norm_clipper {
 public:
  using T = typename Backend::scalar;

  // Scales every gradient by max_norm / (norm + 1e-6) when the global L2 norm exceeds max_norm.
  void operator()(parameter_store<Backend>& params, double max_norm) {
    Backend::sum_of_squares_into(params.grads(), params.size(), sum_of_squares_.data());
    Backend::clip_to_norm(params.grads(), params.size(), sum_of_squares_.data(), T(max_norm));
  }

  // The global norm before the last clipping; reading it waits for the back end.
  double last_norm() const {
    T total{};
    Backend::copy_to_host(sum_of_squares_.data(), std::span<T>(&total, 1));
    return std::sqrt(static_cast<double>(total));
  }

 private:
  typename Backend::template buffer<T> sum_of_squares_ = typename Backend::template buffer<T>(1);
};

// Clips as grad_norm_clipper does and returns the norm before clipping (a wait for the back end).
template <class Backend>
double clip_grad_norm(parameter_store<Backend>& params, double max_norm) {
  grad_norm_clipper<Backend> clip;
  clip(params, max_norm);
  return clip.last_norm();
}

}  // namespace ovo
