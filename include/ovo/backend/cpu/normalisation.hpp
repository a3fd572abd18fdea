// The CPU back end's layer norm, forward and backward, over the first columns of strided rows.
#pragma once

#include <cassert>
#include <cmath>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_normalisation {
  // y = (x - mean) * rstd * gamma + beta per row of x (statistics over x.cols channels); mean
  // and rstd (one per row) are written for the backward pass.
  static void layer_norm_forward(matrix_view<const T> x, const T* gamma, const T* beta, T eps,
                                 matrix_view<T> y, T* mean, T* rstd) {
    assert(y.rows == x.rows && y.cols == x.cols);
    const int cols = x.cols;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < x.rows; ++r) {
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
    }
  }

  // dx = (or +=, when accumulate) the input gradient; dgamma, dbeta += their gradients.
  static void layer_norm_backward(matrix_view<const T> dy, matrix_view<const T> x, const T* gamma,
                                  const T* mean, const T* rstd, matrix_view<T> dx, bool accumulate,
                                  T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows, cols = x.cols;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r) {
      const T* dyr = dy.row(r);
      const T* xr = x.row(r);
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
        const T xhat = (xr[c] - mu) * inv;
        const T d = inv * (dyr[c] * gamma[c] - mean_g - xhat * mean_gx);
        dxr[c] = accumulate ? dxr[c] + d : d;
      }
    }
    for (int r = 0; r < rows; ++r) {
      const T* dyr = dy.row(r);
      const T* xr = x.row(r);
      const T mu = mean[r], inv = rstd[r];
      for (int c = 0; c < cols; ++c) {
        dgamma[c] += dyr[c] * (xr[c] - mu) * inv;
        dbeta[c] += dyr[c];
      }
    }
  }
};

}  // namespace ovo
