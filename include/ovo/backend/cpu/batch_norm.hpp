// The CPU back end's batch normalisation over channels-last rows: batch and running statistics.
#pragma once

#include <cassert>
#include <cmath>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

// Statistics are per column (channel) over all rows (pixels of every image); each channel is one
// serial pass over the rows, so results do not depend on the thread count.
template <class T>
struct cpu_batch_norm {
  // y = (x - mean) * rstd * gamma + beta with the batch's mean and biased variance, mean and rstd
  // [cols] written; the running statistics [cols] move by `momentum` towards the batch's mean and
  // unbiased variance (PyTorch's update). x and y [rows, cols], rows > 1.
  static void batch_norm_training_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                          T eps, T momentum, matrix_view<T> y, T* mean, T* rstd,
                                          T* running_mean, T* running_var) {
    assert(x.rows > 1 && y.rows == x.rows && y.cols == x.cols);
    const int rows = x.rows;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < x.cols; ++c) {
      T sum = 0;
      for (int r = 0; r < rows; ++r) sum += x.row(r)[c];
      const T mu = sum / T(rows);
      T squares = 0;
      for (int r = 0; r < rows; ++r) squares += (x.row(r)[c] - mu) * (x.row(r)[c] - mu);
      const T inv = T(1) / std::sqrt(squares / T(rows) + eps);
      for (int r = 0; r < rows; ++r) y.row(r)[c] = (x.row(r)[c] - mu) * inv * gamma[c] + beta[c];
      mean[c] = mu;
      rstd[c] = inv;
      running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * mu;
      running_var[c] = (T(1) - momentum) * running_var[c] + momentum * squares / T(rows - 1);
    }
  }

  // y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta, written.
  static void batch_norm_inference_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                           const T* running_mean, const T* running_var, T eps,
                                           matrix_view<T> y) {
    assert(y.rows == x.rows && y.cols == x.cols);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < x.rows; ++r) {
      const T* xr = x.row(r);
      T* yr = y.row(r);
      for (int c = 0; c < x.cols; ++c)
        yr[c] = (xr[c] - running_mean[c]) / std::sqrt(running_var[c] + eps) * gamma[c] + beta[c];
    }
  }

  // The backward of batch_norm_training_forward (through the batch statistics, given its mean and
  // rstd): dx written; dgamma, dbeta [cols] accumulate.
  static void batch_norm_training_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                           const T* gamma, const T* mean, const T* rstd,
                                           matrix_view<T> dx, T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < x.cols; ++c) {
      const T mu = mean[c], inv = rstd[c];
      T sum_dy = 0, sum_dy_xhat = 0;
      for (int r = 0; r < rows; ++r) {
        sum_dy += dy.row(r)[c];
        sum_dy_xhat += dy.row(r)[c] * (x.row(r)[c] - mu) * inv;
      }
      const T mean_dy = sum_dy / T(rows), mean_dy_xhat = sum_dy_xhat / T(rows);
      for (int r = 0; r < rows; ++r) {
        const T xhat = (x.row(r)[c] - mu) * inv;
        dx.row(r)[c] = gamma[c] * inv * (dy.row(r)[c] - mean_dy - xhat * mean_dy_xhat);
      }
      dgamma[c] += sum_dy_xhat;
      dbeta[c] += sum_dy;
    }
  }

  // The backward of batch_norm_inference_forward (the running statistics are constants): dx
  // written; dgamma, dbeta [cols] accumulate.
  static void batch_norm_inference_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                            const T* gamma, const T* running_mean,
                                            const T* running_var, T eps, matrix_view<T> dx,
                                            T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < x.cols; ++c) {
      const T mu = running_mean[c], inv = T(1) / std::sqrt(running_var[c] + eps);
      T sum_dy = 0, sum_dy_xhat = 0;
      for (int r = 0; r < x.rows; ++r) {
        sum_dy += dy.row(r)[c];
        sum_dy_xhat += dy.row(r)[c] * (x.row(r)[c] - mu) * inv;
        dx.row(r)[c] = dy.row(r)[c] * gamma[c] * inv;
      }
      dgamma[c] += sum_dy_xhat;
      dbeta[c] += sum_dy;
    }
  }
};

}  // namespace ovo
