// The CPU back end's activations (exact GELU, ReLU, SiLU, sigmoid), forward and backward,
// elementwise.
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

  // y = max(x, 0) for n contiguous values.
  static void relu_forward(const T* x, T* y, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      array_map(y, count).segment(b, s) = const_array_map(x, count).segment(b, s).max(T(0));
    });
  }

  // dx = dy where x > 0, else 0; written (dx may be dy).
  static void relu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      array_map(dx, count).segment(b, s) =
          (const_array_map(x, count).segment(b, s) > T(0))
              .select(const_array_map(dy, count).segment(b, s), T(0));
    });
  }

  // y = silu(x) = x * sigmoid(x) for n contiguous values.
  static void silu_forward(const T* x, T* y, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      const auto xs = const_array_map(x, count).segment(b, s);
      array_map(y, count).segment(b, s) = xs / (T(1) + (-xs).exp());
    });
  }

  // dx = dy * silu'(x) = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))), written (dx may be dy).
  static void silu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      const auto xs = const_array_map(x, count).segment(b, s);
      const auto sigmoid = T(1) / (T(1) + (-xs).exp());
      array_map(dx, count).segment(b, s) =
          const_array_map(dy, count).segment(b, s) * sigmoid * (T(1) + xs * (T(1) - sigmoid));
    });
  }

  // y = sigmoid(x) = 1 / (1 + exp(-x)) for n contiguous values.
  static void sigmoid_forward(const T* x, T* y, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      array_map(y, count).segment(b, s) =
          T(1) / (T(1) + (-const_array_map(x, count).segment(b, s)).exp());
    });
  }

  // dx = dy * sigmoid(x) * (1 - sigmoid(x)), written (dx may be dy).
  static void sigmoid_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    elementwise(n, [&](Eigen::Index b, Eigen::Index s) {
      const auto sigmoid = T(1) / (T(1) + (-const_array_map(x, count).segment(b, s)).exp());
      array_map(dx, count).segment(b, s) =
          const_array_map(dy, count).segment(b, s) * sigmoid * (T(1) - sigmoid);
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

  // Runs body(begin, size) over chunks of [0, n) in Eigen's index type.
  template <class Body>
  static void elementwise(std::size_t n, Body&& body) {
    parallel_chunks(n, [&](std::size_t begin, std::size_t size) {
      body(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(size));
    });
  }
};

}  // namespace ovo
