// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ over all parameters).
#pragma once

#include <cmath>

#include "ovo/nn/parameters.hpp"

namespace ovo {

// Scales every gradient by max_norm / (norm + 1e-6) when the global L2 norm exceeds max_norm;
// returns the norm before clipping.
template <class Backend>
double clip_grad_norm(parameter_store<Backend>& params, double max_norm) {
  using T = typename Backend::scalar;
  const double norm = std::sqrt(Backend::sum_of_squares(params.grads(), params.size()));
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) Backend::scale(params.grads(), params.size(), T(coef));
  return norm;
}

}  // namespace ovo
