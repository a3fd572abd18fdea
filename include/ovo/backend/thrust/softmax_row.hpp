// One row's softmax, callable on host and device: the Thrust back end's losses and attention.
#pragma once

#include <cmath>

#include "ovo/backend/host_device.hpp"

namespace ovo {

// p[:n] = softmax(z[:n] / temperature), the maximum subtracted first; p may be z.
template <class T>
OVO_HOST_DEVICE void softmax_row(const T* z, int n, T temperature, T* p) {
  T max = z[0];
  for (int c = 1; c < n; ++c) max = z[c] > max ? z[c] : max;
  T sum = 0;
  for (int c = 0; c < n; ++c) sum += p[c] = std::exp((z[c] - max) / temperature);
  for (int c = 0; c < n; ++c) p[c] /= sum;
}

}  // namespace ovo
