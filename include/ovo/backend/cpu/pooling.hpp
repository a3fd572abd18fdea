// The CPU back end's global average pooling of channels-last images, forward and backward.
#pragma once

#include <cassert>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_pooling {
  // y[b, c] = the mean of x[rows of image b, c]: x [batch * pixels, C], y [batch, C] written.
  static void global_average_pool(matrix_view<const T> x, int batch, matrix_view<T> y) {
    assert(x.rows % batch == 0 && y.rows == batch && y.cols == x.cols);
    const int pixels = x.rows / batch;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      T* yr = y.row(b);
      for (int c = 0; c < x.cols; ++c) yr[c] = T(0);
      for (int p = b * pixels; p < (b + 1) * pixels; ++p) {
        const T* xr = x.row(p);
        for (int c = 0; c < x.cols; ++c) yr[c] += xr[c];
      }
      for (int c = 0; c < x.cols; ++c) yr[c] /= T(pixels);
    }
  }

  // dx[rows of image b, c] = dy[b, c] / pixels, written (+= when accumulate).
  static void global_average_pool_backward(matrix_view<const T> dy, int batch, matrix_view<T> dx,
                                           bool accumulate = false) {
    assert(dx.rows % batch == 0 && dy.rows == batch && dy.cols == dx.cols);
    const int pixels = dx.rows / batch;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < dx.rows; ++p) {
      const T* dyr = dy.row(p / pixels);
      T* dxr = dx.row(p);
      for (int c = 0; c < dx.cols; ++c) dxr[c] = (accumulate ? dxr[c] : T(0)) + dyr[c] / T(pixels);
    }
  }
};

}  // namespace ovo
