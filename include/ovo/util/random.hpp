// The library's random engine and the few portable draws built on it (same numbers on every
// platform).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ovo {

using rng_engine = std::mt19937_64;

// A uniform index in [0, n), without the platform-dependent std::uniform_int_distribution.
inline std::size_t uniform_index(rng_engine& rng, std::size_t n) {
  if (n == 0) throw std::invalid_argument("uniform_index: empty range");
  const std::uint64_t limit = rng_engine::max() - (rng_engine::max() % n + 1) % n;
  std::uint64_t x;
  do x = rng();
  while (x > limit);
  return static_cast<std::size_t>(x % n);
}

// A uniform double in [0, 1) from the top 53 bits of one draw.
inline double uniform_unit(rng_engine& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// A standard normal draw (Box-Muller, one value per call).
inline double standard_normal(rng_engine& rng) {
  const double u1 = 1.0 - uniform_unit(rng);  // (0, 1]
  const double u2 = uniform_unit(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// A normal draw with the given std, redrawn until it lies within [-2 std, 2 std] (timm's init).
inline double truncated_normal(rng_engine& rng, double stddev) {
  double x;
  do x = standard_normal(rng);
  while (std::abs(x) > 2.0);
  return x * stddev;
}

// A seed for one purpose and position (epoch, sample, step...) derived from a run's seed by
// splitmix64 rounds: streams for different positions are independent of the order they are used in.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                                 std::uint64_t c = 0) {
  auto mix = [](std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return mix(mix(mix(mix(seed) ^ a) ^ b) ^ c);
}

inline std::string engine_state(const rng_engine& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

inline void restore_engine_state(rng_engine& rng, const std::string& state) {
  std::istringstream in(state);
  in >> rng;
  if (in.fail() || !(in >> std::ws).eof())
    throw std::invalid_argument("random engine state: not a valid mt19937_64 state");
}

}  // namespace ovo
