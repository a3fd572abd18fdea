// Row-major products of the back-end contract as the column-major BLAS calls that compute them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

// `count` row-major products C_i = alpha op(A_i) op(B_i) + beta C_i (the contract's gemm, op(A)
// C.rows x k and op(B) k x C.cols), where X_i is the view X moved by i * stride_x elements: one
// product when count is 1, the heads of attention as a strided batch otherwise.
template <class T>
struct strided_product {
  bool transpose_a = false, transpose_b = false;
  T alpha = 1, beta = 0;
  matrix_view<const T> a, b;
  matrix_view<T> c;
  int count = 1;
  std::ptrdiff_t stride_a = 0, stride_b = 0, stride_c = 0;
};

// One column-major BLAS call (cuBLAS's cublasGemmStridedBatchedEx, or cublasGemmEx when count is
// 1): for i < count, C_i = alpha op(A_i) op(B_i) + beta C_i with op(A) m x k, op(B) k x n and C
// m x n, each stored column-major with its leading dimension, X_i at x + i * stride_x.
template <class T>
struct column_major_call {
  bool transpose_a = false, transpose_b = false;
  int m = 0, n = 0, k = 0;
  T alpha = 1, beta = 0;
  const T* a = nullptr;
  int lda = 1;
  std::ptrdiff_t stride_a = 0;
  const T* b = nullptr;
  int ldb = 1;
  std::ptrdiff_t stride_b = 0;
  T* c = nullptr;
  int ldc = 1;
  std::ptrdiff_t stride_c = 0;
  int count = 1;
};

// The call computing `p`. A row-major r x c matrix with row stride ld is, read column-major, its
// c x r transpose with leading dimension ld; so C^T = op(B)^T op(A)^T is the column-major
// product with the operands swapped, B's op flag first, m = C.cols and n = C.rows. Leading
// dimensions are at least 1, as BLAS requires even of empty matrices. Throws
// std::invalid_argument when the shapes do not chain.
template <class T>
column_major_call<T> plan_product(const strided_product<T>& p) {
  const int a_rows = p.transpose_a ? p.a.cols : p.a.rows, k = p.transpose_a ? p.a.rows : p.a.cols;
  const int b_rows = p.transpose_b ? p.b.cols : p.b.rows,
            b_cols = p.transpose_b ? p.b.rows : p.b.cols;
  if (a_rows != p.c.rows || b_cols != p.c.cols || k != b_rows || p.count < 1)
    throw std::invalid_argument(fmt::format(
        "plan_product: op(A) {}x{}, op(B) {}x{}, C {}x{}, count {}: expected op(A) C.rows x k, "
        "op(B) k x C.cols and count >= 1",
        a_rows, k, b_rows, b_cols, p.c.rows, p.c.cols, p.count));
  return {.transpose_a = p.transpose_b,
          .transpose_b = p.transpose_a,
          .m = p.c.cols,
          .n = p.c.rows,
          .k = k,
          .alpha = p.alpha,
          .beta = p.beta,
          .a = p.b.data,
          .lda = std::max(p.b.ld, 1),
          .stride_a = p.stride_b,
          .b = p.a.data,
          .ldb = std::max(p.a.ld, 1),
          .stride_b = p.stride_a,
          .c = p.c.data,
          .ldc = std::max(p.c.ld, 1),
          .stride_c = p.stride_c,
          .count = p.count};
}

// The call of the contract's gemm(transpose_a, transpose_b, alpha, a, b, beta, c).
template <class T>
column_major_call<T> plan_gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                               matrix_view<const T> b, T beta, matrix_view<T> c) {
  return plan_product<T>({.transpose_a = transpose_a,
                          .transpose_b = transpose_b,
                          .alpha = alpha,
                          .beta = beta,
                          .a = a,
                          .b = b,
                          .c = c});
}

}  // namespace ovo
