// The CUDA system of the Thrust back end (backend/thrust.hpp): device memory, and per host thread
// a stream, a cuBLAS handle and a cache of Thrust's temporary storage, on which every op of the
// back end is issued.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/system/cuda/execution_policy.h>
#include <cub/device/device_reduce.cuh>

#include <cuda/std/functional>

#include <cstddef>

#include "ovo/backend/block_cache.hpp"
#include "ovo/backend/cuda/check_cuda.hpp"
#include "ovo/backend/cuda/cublas_call.hpp"
#include "ovo/backend/cuda/device_buffer.hpp"
#include "ovo/backend/cuda/pinned_buffer.hpp"
#include "ovo/backend/gemm_plan.hpp"

namespace ovo::cuda {

// cudaMalloc and cudaFree, for the cache of temporary storage.
struct device_allocation {
  static void* allocate(std::size_t bytes) {
    void* pointer = nullptr;
    check_cuda(cudaMalloc(&pointer, bytes), "cudaMalloc (Thrust's temporary storage)");
    return pointer;
  }
  // Also called at exit, when the runtime may be gone: there is nothing to report then.
  static void deallocate(void* pointer) { cudaFree(pointer); }
};

// A host thread's stream and cuBLAS handle on the current device, how its products multiply
// (TF32 by default on GPUs that have it, sm_80 and later, fp32 otherwise; set_math changes it),
// and the blocks its Thrust algorithms take for temporary storage, kept for the next step so that
// a step allocates nothing after the first.
class context {
 public:
  context() {
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
               "cudaStreamCreateWithFlags");
    check_cublas(cublasCreate(&blas_), "cublasCreate");
    check_cublas(cublasSetStream(blas_, stream_), "cublasSetStream");
    int device = 0, major = 0;
    check_cuda(cudaGetDevice(&device), "cudaGetDevice");
    check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
               "cudaDeviceGetAttribute");
    math_ = major >= 8 ? gemm_math::tf32 : gemm_math::fp32;
  }
  ~context() {
    cublasDestroy(blas_);
    cudaStreamDestroy(stream_);
  }
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t blas() const { return blas_; }
  gemm_math math() const { return math_; }
  block_cache<device_allocation>& temporaries() { return temporaries_; }
  void set_math(gemm_math math) { math_ = math; }
  // Waits for everything issued on the stream.
  void synchronize() const { check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

 private:
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  gemm_math math_ = gemm_math::fp32;
  block_cache<device_allocation> temporaries_;
};

struct system {
  using context = cuda::context;
  // The calling thread's context, created on first use.
  static context& current_context() {
    thread_local context current;
    return current;
  }
  // Thrust's CUDA policy on the context's stream, without a wait after each algorithm, its
  // temporary storage from the context's cache.
  static auto policy() {
    context& c = current_context();
    return thrust::cuda::par_nosync(c.temporaries()).on(c.stream());
  }
  template <class U>
  using buffer = device_buffer<U>;
  template <class U>
  using host_buffer = pinned_buffer<U>;
  static constexpr bool host_memory = false;

  template <class T>
  static void copy_from_host(const T* host, std::size_t n, T* dst) {
    transfer(dst, host, n * sizeof(T), cudaMemcpyHostToDevice);
  }
  template <class T>
  static void copy_to_host(const T* src, std::size_t n, T* host) {
    transfer(host, src, n * sizeof(T), cudaMemcpyDeviceToHost);
  }
  // Issued on the stream, not waited for: from pinned memory the host goes on at once.
  template <class T>
  static void copy_from_host_async(const T* host, std::size_t n, T* dst) {
    if (n == 0) return;
    check_cuda(cudaMemcpyAsync(dst, host, n * sizeof(T), cudaMemcpyHostToDevice,
                               current_context().stream()),
               "cudaMemcpyAsync");
  }
  template <class T>
  static void gemm(const column_major_call<T>& call) {
    const context& c = current_context();
    run_on_cublas(c.blas(), call, c.math());
  }
  // out[0] = sum of f(i) over i < n, in double, stored as T in device memory: one CUB reduction on
  // the stream, its temporary storage from the context's cache, no wait for the host.
  template <class T, class F>
  static void sum_into(std::ptrdiff_t n, F f, T* out) {
    context& c = current_context();
    const auto values =
        thrust::make_transform_iterator(thrust::counting_iterator<std::ptrdiff_t>(0), f);
    std::size_t bytes = 0;
    check_cuda(cub::DeviceReduce::Reduce(nullptr, bytes, values, out, n,
                                         ::cuda::std::plus<double>{}, 0.0, c.stream()),
               "cub::DeviceReduce::Reduce (temporary storage size)");
    char* temporary = c.temporaries().allocate(static_cast<std::ptrdiff_t>(bytes));
    check_cuda(cub::DeviceReduce::Reduce(temporary, bytes, values, out, n,
                                         ::cuda::std::plus<double>{}, 0.0, c.stream()),
               "cub::DeviceReduce::Reduce");
    c.temporaries().deallocate(temporary, bytes);
  }

 private:
  // A copy issued on the stream after the work before it, waited for (the host memory may be
  // reused on return).
  static void transfer(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
    if (bytes == 0) return;
    const context& c = current_context();
    check_cuda(cudaMemcpyAsync(dst, src, bytes, kind, c.stream()), "cudaMemcpyAsync");
    c.synchronize();
  }
};

}  // namespace ovo::cuda
