// OVO_HOST_DEVICE: marks a function callable from both host and CUDA device code under nvcc.
#pragma once

#if defined(__CUDACC__)
#define OVO_HOST_DEVICE __host__ __device__
#else
#define OVO_HOST_DEVICE
#endif

// Before an OVO_HOST_DEVICE template that calls a callable argument: nvcc then accepts host-only
// callables (the CPU back end's lambdas) where the template is instantiated for the host.
#if defined(__CUDACC__)
#define OVO_HOST_DEVICE_CALLER _Pragma("nv_exec_check_disable")
#else
#define OVO_HOST_DEVICE_CALLER
#endif
