// The CPU back end's exact (erf) GELU, forward and backward, elementwise over contiguous values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numbers>

#include "ovo/util/eigen.hpp"

namespace ovo {

template <class T>
struct cpu_activation {
  // y = gelu(x) = x * Phi(x) for n contiguous values.
  static void gelu_forward(const T* x, T* y, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    const_array_map in(x, count);
    array_map out(y, count);
    parallel_chunks(n, [&](std::size_t begin, std::size_t size) {
      const auto xs = in.segment(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(size));
      out.segment(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(size)) =
          T(0.5) * xs * (T(1) + (xs * T(std::numbers::sqrt2 / 2)).erf());
    });
  }

  // dx = dy * gelu'(x), written (dx may be dy).
  static void gelu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    const_array_map in(x, count), grad_out(dy, count);
    array_map grad_in(dx, count);
    const T inv_sqrt_2pi = T(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
    parallel_chunks(n, [&](std::size_t begin, std::size_t size) {
      const auto b = static_cast<Eigen::Index>(begin), s = static_cast<Eigen::Index>(size);
      const auto xs = in.segment(b, s);
      grad_in.segment(b, s) =
          grad_out.segment(b, s) * (T(0.5) * (T(1) + (xs * T(std::numbers::sqrt2 / 2)).erf()) +
                                    xs * inv_sqrt_2pi * (T(-0.5) * xs.square()).exp());
    });
  }

 private:
  using array_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using const_array_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

  // Runs body(begin, size) over chunks of [0, n) on the OpenMP threads.
  template <class Body>
  static void parallel_chunks(std::size_t n, Body&& body) {
    constexpr std::size_t chunk = 16384;
    const auto chunks = static_cast<std::ptrdiff_t>((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < chunks; ++i) {
      const std::size_t begin = static_cast<std::size_t>(i) * chunk;
      body(begin, std::min(chunk, n - begin));
    }
  }
};

}  // namespace ovo
