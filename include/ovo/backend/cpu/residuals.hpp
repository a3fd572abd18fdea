// The CPU back end's residual ops with per-sample drop-path scales, forward and backward.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "ovo/backend/drop_path_draw.hpp"
#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_residuals {
  // keep[b] = drop_path_keep(seed, b, rate) for b < n, written.
  static void drop_path_scales(T* keep, std::size_t n, double rate, std::uint64_t seed) {
    for (std::size_t b = 0; b < n; ++b) keep[b] = drop_path_keep<T>(seed, b, rate);
  }

  // y += x (same shape), accumulated: a residual sum or a gradient reaching a tensor twice.
  static void add_to(matrix_view<const T> x, matrix_view<T> y) {
    assert(x.rows == y.rows && x.cols == y.cols);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < x.rows; ++r) {
      const T* xr = x.row(r);
      T* yr = y.row(r);
      for (int c = 0; c < x.cols; ++c) yr[c] += xr[c];
    }
  }

  // x[rows of sample b] += keep_scale[b] * y[same rows] (keep_scale: 0 or 1 / (1 - rate)); x and
  // y [batch * rows per sample, cols].
  static void add_scaled_residual(matrix_view<T> x, matrix_view<const T> y, const T* keep_scale,
                                  int batch) {
    assert(x.rows == y.rows && x.cols == y.cols && x.rows % batch == 0);
    const int per_sample = x.rows / batch;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      const T s = keep_scale[b];
      for (int r = b * per_sample; r < (b + 1) * per_sample; ++r) {
        T* xr = x.row(r);
        const T* yr = y.row(r);
        for (int c = 0; c < x.cols; ++c) xr[c] += s * yr[c];
      }
    }
  }

  // dy[rows of sample b] = keep_scale[b] * dx[same rows], written (the branch's gradient).
  static void scale_per_sample(matrix_view<const T> dx, const T* keep_scale, int batch,
                               matrix_view<T> dy) {
    assert(dx.rows == dy.rows && dx.cols == dy.cols && dx.rows % batch == 0);
    const int per_sample = dx.rows / batch;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      const T s = keep_scale[b];
      for (int r = b * per_sample; r < (b + 1) * per_sample; ++r) {
        const T* dxr = dx.row(r);
        T* dyr = dy.row(r);
        for (int c = 0; c < dx.cols; ++c) dyr[c] = s * dxr[c];
      }
    }
  }
};

}  // namespace ovo
