// The seeds a run derives from its one seed, one function per purpose, so that a program and the
// library's own code draw the same held-out split, initial weights and steps from the same seed.
#pragma once

#include <cstdint>

#include "ovo/util/random.hpp"

namespace ovo::seeds {

// The held-out split of the training set (data::split_holdout).
inline std::uint64_t holdout(std::uint64_t seed) {
  return derive_seed(seed, 0x484f'4c44);
}

// The supernet's initial weights (vit_supernet::initialize).
inline std::uint64_t initial_weights(std::uint64_t seed) {
  return derive_seed(seed, 0x494e'4954);
}

// The order of the training images whose first batches recalibrate batch norms.
inline std::uint64_t calibration(std::uint64_t seed) {
  return derive_seed(seed, 0x4341'4c49);
}

// Training step `step`'s subnets and drop-path.
inline std::uint64_t step(std::uint64_t seed, long step) {
  return derive_seed(seed, static_cast<std::uint64_t>(step), 0x5354'4550);
}

// The order of the training images whose first batch training-free proxies score archs on.
inline std::uint64_t proxy_batch(std::uint64_t seed) {
  return derive_seed(seed, 0x5052'4f58);
}

// The archs whose costs cut a learned sampler's budget bins.
inline std::uint64_t sampler_bins(std::uint64_t seed) {
  return derive_seed(seed, 0x4249'4e53);
}

// The archs a learned sampler's update at training step `step` scores on held-out images.
inline std::uint64_t sampler_update(std::uint64_t seed, long step) {
  return derive_seed(seed, static_cast<std::uint64_t>(step), 0x5550'4454);
}

}  // namespace ovo::seeds
