// Batch-norm recalibration of one subnet before it is evaluated, as Once-for-All does: its running
// statistics become the mean of its batch statistics over a few training batches.
#pragma once

#include <span>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/subnet_accuracy.hpp"

namespace ovo {

// In a weight-sharing supernet the running statistics of a batch norm mix those of every subnet
// that trained last; a subnet evaluated on them is scored on another network's statistics. This
// sets the running mean and variance that `a` reads (its channel prefixes) to the mean, over the
// batches of `calibration`, of the batch mean and unbiased batch variance that `a` computes on
// them (forward_mode::calibration), with no drop-path and no gradient. Channels `a` does not use
// are left as they are; so is a network without buffers. The result depends only on the weights,
// `a` and the batches, never on which subnets ran before.
template <supernet Net>
void recalibrate_batch_norm(Net& net, const arch_of<Net>& a,
                            const evaluation_set<typename Net::backend>& calibration) {
  if (net.buffers().size() == 0) return;
  long pass = 0;
  calibration.for_each_batch([&](const image_batch<scalar_of<Net>>& images, std::span<const int>) {
    net.forward(images, a, forward_mode::calibration(pass++));
  });
}

}  // namespace ovo
