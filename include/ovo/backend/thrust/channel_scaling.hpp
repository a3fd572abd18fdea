// The Thrust back end's per-image channel scaling of channels-last images (squeeze-excitation's
// gate), forward and backward.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_channel_scaling {
  // y[rows of image b, c] = x[same, c] * scale[b, c], written.
  static void scale_channels(matrix_view<const T> x, matrix_view<const T> scale, int batch,
                             matrix_view<T> y) {
    assert(x.rows % batch == 0 && scale.rows == batch && scale.cols == x.cols && y.cols == x.cols);
    const int pixels = x.rows / batch, cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{x.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int p = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      y.row(p)[c] = x.row(p)[c] * scale.row(p / pixels)[c];
    });
  }

  // dx = dy * scale (per image), written; dscale[b, c] = the sum over image b's pixels of dy * x,
  // written.
  static void scale_channels_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                      matrix_view<const T> scale, int batch, matrix_view<T> dx,
                                      matrix_view<T> dscale) {
    assert(x.rows % batch == 0 && dscale.rows == batch && dscale.cols == x.cols);
    const int pixels = x.rows / batch, cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{batch} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int b = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      const T s = scale.row(b)[c];
      T sum = 0;
      for (int p = b * pixels; p < (b + 1) * pixels; ++p) {
        sum += dy.row(p)[c] * x.row(p)[c];
        dx.row(p)[c] = dy.row(p)[c] * s;
      }
      dscale.row(b)[c] = sum;
    });
  }
};

}  // namespace ovo
