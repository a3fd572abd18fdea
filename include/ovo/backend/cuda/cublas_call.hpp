// The column-major calls of gemm_plan.hpp run by cuBLAS: the CUDA back end's matrix products.
#pragma once

#include <cublas_v2.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "ovo/backend/gemm_plan.hpp"

namespace ovo::cuda {

// How cuBLAS multiplies fp32 matrices: in fp32, or on TF32 tensor cores (GPUs from sm_80).
enum class gemm_math { fp32, tf32 };

// A cuBLAS status other than success as an exception naming the call.
inline void check_cublas(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + ": " + cublasGetStatusName(status) + " (" +
                             cublasGetStatusString(status) + ")");
}

// Runs `call` on `handle`'s stream: cublasGemmEx for one product, cublasGemmStridedBatchedEx for
// a batch; alpha and beta are read from the host. Doubles multiply in fp64 whatever `math` says.
template <class T>
void run_on_cublas(cublasHandle_t handle, const column_major_call<T>& call, gemm_math math) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "run_on_cublas: float or double");
  if (call.m == 0 || call.n == 0) return;
  constexpr cudaDataType_t type = std::is_same_v<T, float> ? CUDA_R_32F : CUDA_R_64F;
  const cublasComputeType_t compute = std::is_same_v<T, double> ? CUBLAS_COMPUTE_64F
                                      : math == gemm_math::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                : CUBLAS_COMPUTE_32F;
  const auto ta = call.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const auto tb = call.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (call.count == 1)
    check_cublas(cublasGemmEx(handle, ta, tb, call.m, call.n, call.k, &call.alpha, call.a, type,
                              call.lda, call.b, type, call.ldb, &call.beta, call.c, type, call.ldc,
                              compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  else
    check_cublas(cublasGemmStridedBatchedEx(
                     handle, ta, tb, call.m, call.n, call.k, &call.alpha, call.a, type, call.lda,
                     call.stride_a, call.b, type, call.ldb, call.stride_b, &call.beta, call.c, type,
                     call.ldc, call.stride_c, call.count, compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmStridedBatchedEx");
}

}  // namespace ovo::cuda
