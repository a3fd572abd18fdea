// The number of CUDA GPUs this process can use.
#pragma once

#include <cuda_runtime.h>

namespace ovo::cuda {

// The CUDA devices visible to the process; 0 when there is none or no driver to ask.
inline int device_count() {
  int devices = 0;
  return cudaGetDeviceCount(&devices) == cudaSuccess ? devices : 0;
}

}  // namespace ovo::cuda
