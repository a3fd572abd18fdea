// Drop-path's per-sample keep scale as a function of (seed, sample), the same on host and device.
#pragma once

#include <cstdint>

#include "ovo/backend/host_device.hpp"

namespace ovo {

// Element `index` + 1 of the splitmix64 sequence started at `seed`, as a uniform double in [0, 1)
// (its top 53 bits): a counter-based draw, so that any thread computes any sample's.
OVO_HOST_DEVICE inline double uniform_at(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t x = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

// Sample `index`'s scale: 0 with probability rate, else 1 / (1 - rate) (timm's DropPath).
template <class T>
OVO_HOST_DEVICE T drop_path_keep(std::uint64_t seed, std::uint64_t index, double rate) {
  return uniform_at(seed, index) < rate ? T(0) : T(1.0 / (1.0 - rate));
}

}  // namespace ovo
