// The Thrust back end's layer norm, forward and backward: one row per thread for the statistics
// and the input gradient, one column per thread for gamma's and beta's.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_normalisation {
  // As cpu_normalisation: y written; mean and rstd [rows] written.
  static void layer_norm_forward(matrix_view<const T> x, const T* gamma, const T* beta, T eps,
                                 matrix_view<T> y, T* mean, T* rstd) {
    assert(y.rows == x.rows && y.cols == x.cols);
    const int cols = x.cols;
    for_each_index<System>(x.rows, [=] OVO_HOST_DEVICE(std::ptrdiff_t row) {
      const int r = static_cast<int>(row);
      const T* xr = x.row(r);
      T* yr = y.row(r);
      T sum = 0;
      for (int c = 0; c < cols; ++c) sum += xr[c];
      const T mu = sum / T(cols);
      T var = 0;
      for (int c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
      const T inv = T(1) / std::sqrt(var / T(cols) + eps);
      for (int c = 0; c < cols; ++c) yr[c] = (xr[c] - mu) * inv * gamma[c] + beta[c];
      mean[r] = mu;
      rstd[r] = inv;
    });
  }

  // dx written (+= when accumulate); dgamma, dbeta [cols] accumulate.
  static void layer_norm_backward(matrix_view<const T> dy, matrix_view<const T> x, const T* gamma,
                                  const T* mean, const T* rstd, matrix_view<T> dx, bool accumulate,
                                  T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows, cols = x.cols;
    for_each_index<System>(rows, [=] OVO_HOST_DEVICE(std::ptrdiff_t row) {
      const int r = static_cast<int>(row);
      const T *dyr = dy.row(r), *xr = x.row(r);
      T* dxr = dx.row(r);
      const T mu = mean[r], inv = rstd[r];
      T sum_g = 0, sum_gx = 0;
      for (int c = 0; c < cols; ++c) {
        const T g = dyr[c] * gamma[c];
        sum_g += g;
        sum_gx += g * (xr[c] - mu) * inv;
      }
      const T mean_g = sum_g / T(cols), mean_gx = sum_gx / T(cols);
      for (int c = 0; c < cols; ++c) {
        const T d = inv * (dyr[c] * gamma[c] - mean_g - (xr[c] - mu) * inv * mean_gx);
        dxr[c] = accumulate ? dxr[c] + d : d;
      }
    });
    for_each_index<System>(cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t column) {
      const int c = static_cast<int>(column);
      T sum_gamma = 0, sum_beta = 0;
      for (int r = 0; r < rows; ++r) {
        const T g = dy.row(r)[c];
        sum_gamma += g * (x.row(r)[c] - mean[r]) * rstd[r];
        sum_beta += g;
      }
      dgamma[c] += sum_gamma;
      dbeta[c] += sum_beta;
    });
  }
};

}  // namespace ovo
