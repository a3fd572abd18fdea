// An owning array in GPU memory with the part of std::vector's interface the library uses.
#pragma once

#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/fill.h>

#include <cstddef>
#include <utility>

#include "ovo/backend/cuda/check_cuda.hpp"

namespace ovo::cuda {

// n values of U in device memory (cudaMalloc), zeroed on construction as std::vector's are;
// copies copy on the device. The memory ops of the back end read and write it; the host does not.
template <class U>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t n) { allocate(n); }
  device_buffer(std::size_t n, U value) { assign(n, value); }
  device_buffer(const device_buffer& other) {
    allocate(other.size_);
    if (size_ > 0)
      check_cuda(cudaMemcpy(data_, other.data_, size_ * sizeof(U), cudaMemcpyDeviceToDevice),
                 "cudaMemcpy");
  }
  device_buffer(device_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  device_buffer& operator=(device_buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~device_buffer() { cudaFree(data_); }

  U* data() { return data_; }
  const U* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // n copies of value, as std::vector::assign.
  void assign(std::size_t n, U value) {
    device_buffer fresh(n);
    if (n > 0 && value != U(0)) thrust::fill_n(thrust::device, fresh.data_, n, value);
    *this = std::move(fresh);
  }

 private:
  void allocate(std::size_t n) {
    if (n == 0) return;
    check_cuda(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(U)), "cudaMalloc");
    size_ = n;
    check_cuda(cudaMemset(data_, 0, n * sizeof(U)), "cudaMemset");
  }

  U* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ovo::cuda
