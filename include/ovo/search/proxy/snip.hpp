// SNIP (Lee et al., ICLR 2019): the connection sensitivity of a subnet's parameters on one batch.
#pragma once

#include <cmath>
#include <cstddef>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/gradient_pass.hpp"

namespace ovo {

// Sum over the subnet's trainable parameters of |theta * dL/dtheta|, L the mean cross-entropy of
// `batch` (an evaluation pass). Weights and gradients are left as found.
template <supernet Net>
double snip_score(Net& net, const arch_of<Net>& a, const labelled_images<scalar_of<Net>>& batch) {
  double score = 0;
  for (const auto& t : cross_entropy_gradients(net, a, batch))
    for (std::size_t i = 0; i < t.value.size(); ++i) score += std::abs(t.value[i] * t.grad[i]);
  return score;
}

}  // namespace ovo
