// The Thrust back end's residual ops with per-sample drop-path scales, forward and backward.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "ovo/backend/drop_path_draw.hpp"
#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_residuals {
  // As cpu_residuals::drop_path_scales, one sample per thread: nothing to upload.
  static void drop_path_scales(T* keep, std::size_t n, double rate, std::uint64_t seed) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n), [=] OVO_HOST_DEVICE(std::ptrdiff_t b) {
      keep[b] = drop_path_keep<T>(seed, static_cast<std::uint64_t>(b), rate);
    });
  }

  // y += x (same shape).
  static void add_to(matrix_view<const T> x, matrix_view<T> y) {
    assert(x.rows == y.rows && x.cols == y.cols);
    const int cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{x.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int r = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      y.row(r)[c] += x.row(r)[c];
    });
  }

  // x[rows of sample b] += keep_scale[b] * y[same rows].
  static void add_scaled_residual(matrix_view<T> x, matrix_view<const T> y, const T* keep_scale,
                                  int batch) {
    assert(x.rows == y.rows && x.cols == y.cols && x.rows % batch == 0);
    const int per_sample = x.rows / batch, cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{x.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int r = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      x.row(r)[c] += keep_scale[r / per_sample] * y.row(r)[c];
    });
  }

  // dy[rows of sample b] = keep_scale[b] * dx[same rows], written.
  static void scale_per_sample(matrix_view<const T> dx, const T* keep_scale, int batch,
                               matrix_view<T> dy) {
    assert(dx.rows == dy.rows && dx.cols == dy.cols && dx.rows % batch == 0);
    const int per_sample = dx.rows / batch, cols = dx.cols;
    for_each_index<System>(std::ptrdiff_t{dx.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int r = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      dy.row(r)[c] = keep_scale[r / per_sample] * dx.row(r)[c];
    });
  }
};

}  // namespace ovo
