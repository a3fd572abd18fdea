// The CUDA GPUs this process can use: how many, and the current one as a line of text.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include <fmt/format.h>

#include "ovo/backend/cuda/check_cuda.hpp"
#include "ovo/backend/cuda/cublas_call.hpp"

namespace ovo::cuda {

// The CUDA devices visible to the process; 0 when there is none or no driver to ask.
inline int device_count() {
  int devices = 0;
  return cudaGetDeviceCount(&devices) == cudaSuccess ? devices : 0;
}

// The current device and the math of its products, as "NVIDIA A100-SXM4-40GB (sm_80, 40.0 GiB),
// cuBLAS products in TF32".
inline std::string describe_current_device(gemm_math math) {
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp p{};
  check_cuda(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
  return fmt::format("{} (sm_{}{}, {:.1f} GiB), cuBLAS products in {}", p.name, p.major, p.minor,
                     static_cast<double>(p.totalGlobalMem) / (1u << 30),
                     math == gemm_math::tf32 ? "TF32" : "FP32");
}

}  // namespace ovo::cuda
