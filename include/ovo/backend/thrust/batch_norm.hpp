// The Thrust back end's batch normalisation over channels-last rows: one channel per thread, which
// computes its statistics and then writes its column, so no storage between the two.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_batch_norm {
  // As cpu_batch_norm: y written; mean, rstd [cols] written; running statistics updated.
  static void batch_norm_training_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                          T eps, T momentum, matrix_view<T> y, T* mean, T* rstd,
                                          T* running_mean, T* running_var) {
    assert(x.rows > 1 && y.rows == x.rows && y.cols == x.cols);
    const int rows = x.rows;
    for_each_index<System>(x.cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t column) {
      const int c = static_cast<int>(column);
      T sum = 0;
      for (int r = 0; r < rows; ++r) sum += x.row(r)[c];
      const T mu = sum / T(rows);
      T squares = 0;
      for (int r = 0; r < rows; ++r) squares += (x.row(r)[c] - mu) * (x.row(r)[c] - mu);
      const T inv = T(1) / std::sqrt(squares / T(rows) + eps);
      mean[c] = mu;
      rstd[c] = inv;
      running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * mu;
      running_var[c] = (T(1) - momentum) * running_var[c] + momentum * squares / T(rows - 1);
      for (int r = 0; r < rows; ++r) y.row(r)[c] = (x.row(r)[c] - mu) * inv * gamma[c] + beta[c];
    });
  }

  // y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta, written.
  static void batch_norm_inference_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                           const T* running_mean, const T* running_var, T eps,
                                           matrix_view<T> y) {
    assert(y.rows == x.rows && y.cols == x.cols);
    const int cols = x.cols;
    for_each_index<System>(std::ptrdiff_t{x.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int r = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      const T inv = T(1) / std::sqrt(running_var[c] + eps);
      y.row(r)[c] = (x.row(r)[c] - running_mean[c]) * inv * gamma[c] + beta[c];
    });
  }

  // The backward through the batch statistics: dx written; dgamma, dbeta accumulate.
  static void batch_norm_training_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                           const T* gamma, const T* mean, const T* rstd,
                                           matrix_view<T> dx, T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows;
    for_each_index<System>(x.cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t column) {
      const int c = static_cast<int>(column);
      const T mu = mean[c], inv = rstd[c];
      T sum_dy = 0, sum_dy_xhat = 0;
      for (int r = 0; r < rows; ++r) {
        sum_dy += dy.row(r)[c];
        sum_dy_xhat += dy.row(r)[c] * (x.row(r)[c] - mu) * inv;
      }
      for (int r = 0; r < rows; ++r) {
        const T xhat = (x.row(r)[c] - mu) * inv;
        dx.row(r)[c] =
            gamma[c] * inv * (dy.row(r)[c] - sum_dy / T(rows) - xhat * sum_dy_xhat / T(rows));
      }
      dgamma[c] += sum_dy_xhat;
      dbeta[c] += sum_dy;
    });
  }

  // The backward with the running statistics as constants: dx written; dgamma, dbeta accumulate.
  static void batch_norm_inference_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                            const T* gamma, const T* running_mean,
                                            const T* running_var, T eps, matrix_view<T> dx,
                                            T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows;
    for_each_index<System>(x.cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t column) {
      const int c = static_cast<int>(column);
      const T inv = T(1) / std::sqrt(running_var[c] + eps);
      T sum_dy = 0, sum_dy_xhat = 0;
      for (int r = 0; r < rows; ++r) {
        const T g = dy.row(r)[c];
        sum_dy += g;
        sum_dy_xhat += g * (x.row(r)[c] - running_mean[c]) * inv;
        dx.row(r)[c] = g * gamma[c] * inv;
      }
      dgamma[c] += sum_dy_xhat;
      dbeta[c] += sum_dy;
    });
  }
};

}  // namespace ovo
