// The default GEMM policy of the CPU back end: Eigen's products, no other library needed.
#pragma once

#include <string>

#include <fmt/format.h>

#include "ovo/backend/cpu/eigen_map.hpp"
#include "ovo/backend/gemm_provider.hpp"

namespace ovo {

struct eigen_gemm {
  // C = alpha * op(A) * op(B) + beta * C (see cpu_products::gemm for the shapes).
  template <class T>
  static void gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                   matrix_view<const T> b, T beta, matrix_view<T> c) {
    auto C = eigen_map(c);
    if ((transpose_a ? a.rows : a.cols) == 0) {
      if (beta == T(0))
        C.setZero();
      else
        C *= beta;
      return;
    }
    const auto A = eigen_map(a);
    const auto B = eigen_map(b);
    if (beta == T(0)) {
      if (!transpose_a && !transpose_b)
        C.noalias() = alpha * A * B;
      else if (!transpose_a)
        C.noalias() = alpha * A * B.transpose();
      else if (!transpose_b)
        C.noalias() = alpha * A.transpose() * B;
      else
        C.noalias() = alpha * A.transpose() * B.transpose();
      return;
    }
    if (beta != T(1)) C *= beta;
    if (!transpose_a && !transpose_b)
      C.noalias() += alpha * A * B;
    else if (!transpose_a)
      C.noalias() += alpha * A * B.transpose();
    else if (!transpose_b)
      C.noalias() += alpha * A.transpose() * B;
    else
      C.noalias() += alpha * A.transpose() * B.transpose();
  }

  // "Eigen (512-bit vectors)", for logs and reports.
  static std::string description() {
    return fmt::format("Eigen ({}-bit vectors)", eigen_vector_bits());
  }
};

}  // namespace ovo
