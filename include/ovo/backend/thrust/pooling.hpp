// The Thrust back end's global average pooling of channels-last images, forward and backward.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_pooling {
  // y[b, c] = the mean of x[rows of image b, c], written.
  static void global_average_pool(matrix_view<const T> x, int batch, matrix_view<T> y) {
    assert(x.rows % batch == 0 && y.rows == batch && y.cols == x.cols);
    const int pixels = x.rows / batch, cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{batch} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int b = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      T sum = 0;
      for (int p = b * pixels; p < (b + 1) * pixels; ++p) sum += x.row(p)[c];
      y.row(b)[c] = sum / T(pixels);
    });
  }

  // dx[rows of image b, c] = dy[b, c] / pixels, written (+= when accumulate).
  static void global_average_pool_backward(matrix_view<const T> dy, int batch, matrix_view<T> dx,
                                           bool accumulate = false) {
    assert(dx.rows % batch == 0 && dy.rows == batch && dy.cols == dx.cols);
    const int pixels = dx.rows / batch, cols = dx.cols;
    for_each_index<System>(std::ptrdiff_t{dx.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int p = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      T& out = dx.row(p)[c];
      out = (accumulate ? out : T(0)) + dy.row(p / pixels)[c] / T(pixels);
    });
  }
};

}  // namespace ovo
