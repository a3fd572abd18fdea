// The gradient-norm proxy: how strongly one batch's loss pulls on a subnet's parameters.
#pragma once

#include <cmath>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/gradient_pass.hpp"

namespace ovo {

// The L2 norm of dL/dtheta over all the subnet's trainable parameters, L the mean cross-entropy
// of `batch` (an evaluation pass). Weights and gradients are left as found.
template <supernet Net>
double grad_norm_score(Net& net, const arch_of<Net>& a,
                       const labelled_images<scalar_of<Net>>& batch) {
  double squares = 0;
  for (const auto& t : cross_entropy_gradients(net, a, batch))
    for (const double g : t.grad) squares += g * g;
  return std::sqrt(squares);
}

}  // namespace ovo
