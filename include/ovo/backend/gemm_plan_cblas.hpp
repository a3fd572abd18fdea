// The column-major calls of gemm_plan.hpp run by CBLAS on the host (opt-in: the ovo::blas target):
// the same plans the GPU back end hands to cuBLAS, executed where there is no GPU.
#pragma once

#include <cblas.h>

#include <type_traits>

#include "ovo/backend/gemm_plan.hpp"

namespace ovo {

// Runs `call` as `call.count` cblas_sgemm / cblas_dgemm calls in column-major order.
template <class T>
void run_on_cblas(const column_major_call<T>& call) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "run_on_cblas: CBLAS multiplies float or double");
  const auto ta = call.transpose_a ? CblasTrans : CblasNoTrans;
  const auto tb = call.transpose_b ? CblasTrans : CblasNoTrans;
  for (int i = 0; i < call.count; ++i) {
    const T* a = call.a + i * call.stride_a;
    const T* b = call.b + i * call.stride_b;
    T* c = call.c + i * call.stride_c;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasColMajor, ta, tb, call.m, call.n, call.k, call.alpha, a, call.lda, b,
                  call.ldb, call.beta, c, call.ldc);
    else
      cblas_dgemm(CblasColMajor, ta, tb, call.m, call.n, call.k, call.alpha, a, call.lda, b,
                  call.ldb, call.beta, c, call.ldc);
  }
}

}  // namespace ovo
