// The CPU back end's matrix products: GEMM on the policy's provider, bias and its gradient.
#pragma once

#include <cassert>

#include "ovo/backend/cpu/eigen_map.hpp"
#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T, class Gemm>
struct cpu_products {
  // C = alpha * op(A) * op(B) + beta * C with op(A) C.rows x k and op(B) k x C.cols (op
  // transposes when asked); each matrix a view with its own ld, so a prefix slice of a larger
  // matrix is passed as is. beta == 0 overwrites C (its values are not read).
  static void gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                   matrix_view<const T> b, T beta, matrix_view<T> c) {
    assert((transpose_a ? a.cols : a.rows) == c.rows);
    assert((transpose_b ? b.rows : b.cols) == c.cols);
    assert((transpose_a ? a.rows : a.cols) == (transpose_b ? b.cols : b.rows));
    Gemm::gemm(transpose_a, transpose_b, alpha, a, b, beta, c);
  }

  // Y += bias (bias[c] added to column c of every row).
  static void add_bias(matrix_view<T> y, const T* bias) {
    const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> b(bias, y.cols);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < y.rows; ++r) eigen_map(y.block(r, 0, 1, y.cols)) += b;
  }

  // db[:dY.cols] += column sums of dY (the backward of add_bias).
  static void accumulate_bias_grad(matrix_view<const T> dy, T* db) {
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> out(db, dy.cols);
    out += eigen_map(dy).colwise().sum();
  }
};

}  // namespace ovo
