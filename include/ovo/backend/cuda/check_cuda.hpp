// A CUDA runtime error as an exception naming the call that returned it.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace ovo::cuda {

inline void check_cuda(cudaError_t status, const char* call) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(call) + ": " + cudaGetErrorName(status) + " (" +
                             cudaGetErrorString(status) + ")");
}

}  // namespace ovo::cuda
