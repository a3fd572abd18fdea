// The CPU back end's per-image channel scaling of channels-last images (squeeze-excitation's
// gate), forward and backward.
#pragma once

#include <cassert>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_channel_scaling {
  // y[rows of image b, c] = x[same, c] * scale[b, c]: x, y [batch * pixels, C], scale [batch, C];
  // y written.
  static void scale_channels(matrix_view<const T> x, matrix_view<const T> scale, int batch,
                             matrix_view<T> y) {
    assert(x.rows % batch == 0 && scale.rows == batch && scale.cols == x.cols && y.cols == x.cols);
    const int pixels = x.rows / batch;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < x.rows; ++p) {
      const T* s = scale.row(p / pixels);
      const T* xr = x.row(p);
      T* yr = y.row(p);
      for (int c = 0; c < x.cols; ++c) yr[c] = xr[c] * s[c];
    }
  }

  // dx = dy * scale (per image), written; dscale[b, c] = the sum over image b's pixels of
  // dy * x, written.
  static void scale_channels_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                      matrix_view<const T> scale, int batch, matrix_view<T> dx,
                                      matrix_view<T> dscale) {
    assert(x.rows % batch == 0 && dscale.rows == batch && dscale.cols == x.cols);
    const int pixels = x.rows / batch;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      const T* s = scale.row(b);
      T* ds = dscale.row(b);
      for (int c = 0; c < x.cols; ++c) ds[c] = T(0);
      for (int p = b * pixels; p < (b + 1) * pixels; ++p) {
        const T *dyr = dy.row(p), *xr = x.row(p);
        T* dxr = dx.row(p);
        for (int c = 0; c < x.cols; ++c) {
          ds[c] += dyr[c] * xr[c];
          dxr[c] = dyr[c] * s[c];
        }
      }
    }
  }
};

}  // namespace ovo
