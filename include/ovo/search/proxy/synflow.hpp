// Synflow (Tanaka et al., NeurIPS 2020): the synaptic flow through a subnet's absolute weights.
#pragma once

#include <cstddef>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/gradient_pass.hpp"

namespace ovo {

// Sum over the subnet's trainable parameters of |theta| * dR/d|theta|, R the sum of the logits of
// an all-ones image through the absolute weights (linearised_gradients: an evaluation pass,
// computed in the network's scalar, summed in double). Weights and gradients are left as found.
template <supernet Net>
double synflow_score(Net& net, const arch_of<Net>& a) {
  double score = 0;
  for (const auto& t : linearised_gradients(net, a))
    for (std::size_t i = 0; i < t.value.size(); ++i) score += t.value[i] * t.grad[i];
  return score;
}

}  // namespace ovo
