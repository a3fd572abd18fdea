// The capability score of TVT, also the "L2-norm" proxy: how large a subnet's layer weights are.
#pragma once

#include <cmath>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/subnet_values.hpp"

namespace ovo {

// Sum over the subnet's linear and convolution weights (subnet_values::is_layer_weight: rank 2 or
// more, named "...weight"; no biases, norms, class token or position embedding) of their Frobenius
// norms, on the weights as they are (at initialisation, for a training-free search). No forward.
template <supernet Net>
double weight_norm_score(const Net& net, const arch_of<Net>& a) {
  double score = 0;
  for (const auto& t : gather_subnet_values(net, a, false)) {
    if (!t.is_layer_weight()) continue;
    double squares = 0;
    for (const double v : t.value) squares += v * v;
    score += std::sqrt(squares);
  }
  return score;
}

}  // namespace ovo
