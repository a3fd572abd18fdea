// The Thrust back end's activations (exact GELU, ReLU, SiLU, sigmoid), forward and backward,
// elementwise.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_activation {
  // y = gelu(x) = x * Phi(x) for n contiguous values.
  static void gelu_forward(const T* x, T* y, std::size_t n) {
    map(x, y, n, [] OVO_HOST_DEVICE(T v) {
      return T(0.5) * v * (T(1) + std::erf(v * T(std::numbers::sqrt2 / 2)));
    });
  }
  // dx = dy * gelu'(x), written (dx may be dy).
  static void gelu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    map_gradient(x, dy, dx, n, [] OVO_HOST_DEVICE(T v) {
      return T(0.5) * (T(1) + std::erf(v * T(std::numbers::sqrt2 / 2))) +
             v * T(std::numbers::inv_sqrtpi / std::numbers::sqrt2) * std::exp(T(-0.5) * v * v);
    });
  }

  // y = max(x, 0).
  static void relu_forward(const T* x, T* y, std::size_t n) {
    map(x, y, n, [] OVO_HOST_DEVICE(T v) { return v > T(0) ? v : T(0); });
  }
  // dx = dy where x > 0, else 0; written (dx may be dy).
  static void relu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    map_gradient(x, dy, dx, n, [] OVO_HOST_DEVICE(T v) { return v > T(0) ? T(1) : T(0); });
  }

  // y = silu(x) = x * sigmoid(x).
  static void silu_forward(const T* x, T* y, std::size_t n) {
    map(x, y, n, [] OVO_HOST_DEVICE(T v) { return v / (T(1) + std::exp(-v)); });
  }
  // dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))), written (dx may be dy).
  static void silu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    map_gradient(x, dy, dx, n, [] OVO_HOST_DEVICE(T v) {
      const T s = T(1) / (T(1) + std::exp(-v));
      return s * (T(1) + v * (T(1) - s));
    });
  }

  // y = sigmoid(x) = 1 / (1 + exp(-x)).
  static void sigmoid_forward(const T* x, T* y, std::size_t n) {
    map(x, y, n, [] OVO_HOST_DEVICE(T v) { return T(1) / (T(1) + std::exp(-v)); });
  }
  // dx = dy * sigmoid(x) * (1 - sigmoid(x)), written (dx may be dy).
  static void sigmoid_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    map_gradient(x, dy, dx, n, [] OVO_HOST_DEVICE(T v) {
      const T s = T(1) / (T(1) + std::exp(-v));
      return s * (T(1) - s);
    });
  }

  // y[i] = f(x[i]) for n values.
  template <class F>
  static void map(const T* x, T* y, std::size_t n, F f) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n),
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t i) { y[i] = f(x[i]); });
  }
  // dx[i] = dy[i] * derivative(x[i]) for n values (dx may be dy).
  template <class F>
  static void map_gradient(const T* x, const T* dy, T* dx, std::size_t n, F derivative) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n), [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      dx[i] = dy[i] * derivative(x[i]);
    });
  }
};

}  // namespace ovo
