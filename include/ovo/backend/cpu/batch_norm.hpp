// The CPU back end's batch normalisation over channels-last rows: batch and running statistics.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <vector>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

// Statistics are per column (channel) over all rows (pixels of every image), summed row-major in
// fixed blocks of rows that are then added in order, so results do not depend on the thread count.
template <class T>
struct cpu_batch_norm {
  // y = (x - mean) * rstd * gamma + beta with the batch's mean and biased variance, mean and rstd
  // [cols] written; the running statistics [cols] move by `momentum` towards the batch's mean and
  // unbiased variance (PyTorch's update). x and y [rows, cols], rows > 1.
  static void batch_norm_training_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                          T eps, T momentum, matrix_view<T> y, T* mean, T* rstd,
                                          T* running_mean, T* running_var) {
    assert(x.rows > 1 && y.rows == x.rows && y.cols == x.cols);
    const int rows = x.rows, cols = x.cols;
    column_sums(rows, cols, 1, mean, [&](int r, T* sum) {
      const T* xr = x.row(r);
      for (int c = 0; c < cols; ++c) sum[c] += xr[c];
    });
    for (int c = 0; c < cols; ++c) mean[c] /= T(rows);
    column_sums(rows, cols, 1, rstd, [&](int r, T* squares) {
      const T* xr = x.row(r);
      for (int c = 0; c < cols; ++c) squares[c] += (xr[c] - mean[c]) * (xr[c] - mean[c]);
    });
    for (int c = 0; c < cols; ++c) {
      const T squares = rstd[c];
      rstd[c] = T(1) / std::sqrt(squares / T(rows) + eps);
      running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * mean[c];
      running_var[c] = (T(1) - momentum) * running_var[c] + momentum * squares / T(rows - 1);
    }
    normalise(x, mean, rstd, gamma, beta, y);
  }

  // y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta, written.
  static void batch_norm_inference_forward(matrix_view<const T> x, const T* gamma, const T* beta,
                                           const T* running_mean, const T* running_var, T eps,
                                           matrix_view<T> y) {
    assert(y.rows == x.rows && y.cols == x.cols);
    const auto inv = inverse_deviations(running_var, eps, x.cols);
    normalise(x, running_mean, inv.data(), gamma, beta, y);
  }

  // The backward of batch_norm_training_forward (through the batch statistics, given its mean and
  // rstd): dx written; dgamma, dbeta [cols] accumulate.
  static void batch_norm_training_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                           const T* gamma, const T* mean, const T* rstd,
                                           matrix_view<T> dx, T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int rows = x.rows, cols = x.cols;
    const auto sums = gradient_sums(dy, x, mean, rstd);  // sum dy, then sum dy * xhat
    const T* sum_dy = sums.data();
    const T* sum_dy_xhat = sums.data() + cols;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r) {
      const T *dyr = dy.row(r), *xr = x.row(r);
      T* dxr = dx.row(r);
      for (int c = 0; c < cols; ++c) {
        const T xhat = (xr[c] - mean[c]) * rstd[c];
        dxr[c] =
            gamma[c] * rstd[c] * (dyr[c] - sum_dy[c] / T(rows) - xhat * sum_dy_xhat[c] / T(rows));
      }
    }
    for (int c = 0; c < cols; ++c) {
      dgamma[c] += sum_dy_xhat[c];
      dbeta[c] += sum_dy[c];
    }
  }

  // The backward of batch_norm_inference_forward (the running statistics are constants): dx
  // written; dgamma, dbeta [cols] accumulate.
  static void batch_norm_inference_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                            const T* gamma, const T* running_mean,
                                            const T* running_var, T eps, matrix_view<T> dx,
                                            T* dgamma, T* dbeta) {
    assert(dy.rows == x.rows && dy.cols == x.cols && dx.rows == x.rows && dx.cols == x.cols);
    const int cols = x.cols;
    const auto inv = inverse_deviations(running_var, eps, cols);
    const auto sums = gradient_sums(dy, x, running_mean, inv.data());
#pragma omp parallel for schedule(static)
    for (int r = 0; r < x.rows; ++r) {
      const T* dyr = dy.row(r);
      T* dxr = dx.row(r);
      for (int c = 0; c < cols; ++c) dxr[c] = dyr[c] * gamma[c] * inv[c];
    }
    for (int c = 0; c < cols; ++c) {
      dgamma[c] += sums[static_cast<std::size_t>(cols + c)];
      dbeta[c] += sums[static_cast<std::size_t>(c)];
    }
  }

 private:
  static constexpr int block_rows = 256;

  // out[j * cols + c] for j < k, written: the sums over all rows of what add_row(r, sums) adds
  // into its [k * cols] sums for row r. Blocks of block_rows rows are summed in parallel and then
  // added block by block in order.
  template <class AddRow>
  static void column_sums(int rows, int cols, int k, T* out, AddRow&& add_row) {
    const int blocks = (rows + block_rows - 1) / block_rows;
    const auto width = static_cast<std::size_t>(k) * cols;
    std::vector<T> partial(static_cast<std::size_t>(blocks) * width, T(0));
#pragma omp parallel for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      T* sums = partial.data() + static_cast<std::size_t>(b) * width;
      for (int r = b * block_rows; r < std::min(rows, (b + 1) * block_rows); ++r) add_row(r, sums);
    }
    std::fill(out, out + width, T(0));
    for (int b = 0; b < blocks; ++b) {
      const T* sums = partial.data() + static_cast<std::size_t>(b) * width;
      for (std::size_t i = 0; i < width; ++i) out[i] += sums[i];
    }
  }

  // [sum of dy per column, sum of dy * (x - mean) * inv per column].
  static std::vector<T> gradient_sums(matrix_view<const T> dy, matrix_view<const T> x,
                                      const T* mean, const T* inv) {
    const int cols = x.cols;
    std::vector<T> sums(2 * static_cast<std::size_t>(cols));
    column_sums(x.rows, cols, 2, sums.data(), [&](int r, T* acc) {
      const T *dyr = dy.row(r), *xr = x.row(r);
      for (int c = 0; c < cols; ++c) {
        acc[c] += dyr[c];
        acc[cols + c] += dyr[c] * (xr[c] - mean[c]) * inv[c];
      }
    });
    return sums;
  }

  static std::vector<T> inverse_deviations(const T* var, T eps, int cols) {
    std::vector<T> inv(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) inv[c] = T(1) / std::sqrt(var[c] + eps);
    return inv;
  }

  // y = (x - mean) * inv * gamma + beta, row by row.
  static void normalise(matrix_view<const T> x, const T* mean, const T* inv, const T* gamma,
                        const T* beta, matrix_view<T> y) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < x.rows; ++r) {
      const T* xr = x.row(r);
      T* yr = y.row(r);
      for (int c = 0; c < x.cols; ++c) yr[c] = (xr[c] - mean[c]) * inv[c] * gamma[c] + beta[c];
    }
  }
};

}  // namespace ovo
