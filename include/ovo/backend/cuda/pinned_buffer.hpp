// An owning array in page-locked host memory, which the GPU copies from without a staging copy.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>
#include <utility>

#include "ovo/backend/cuda/check_cuda.hpp"

namespace ovo::cuda {

// n values of U in pinned host memory (cudaMallocHost), zeroed on construction: what an
// asynchronous upload reads while the host goes on (a pageable source makes it wait).
template <class U>
class pinned_buffer {
 public:
  pinned_buffer() = default;
  explicit pinned_buffer(std::size_t n) {
    if (n == 0) return;
    check_cuda(cudaMallocHost(reinterpret_cast<void**>(&data_), n * sizeof(U)), "cudaMallocHost");
    size_ = n;
    std::memset(static_cast<void*>(data_), 0, n * sizeof(U));
  }
  pinned_buffer(const pinned_buffer&) = delete;
  pinned_buffer(pinned_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  pinned_buffer& operator=(pinned_buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~pinned_buffer() { cudaFreeHost(data_); }

  U* data() { return data_; }
  const U* data() const { return data_; }
  std::size_t size() const { return size_; }
  U& operator[](std::size_t i) { return data_[i]; }
  const U& operator[](std::size_t i) const { return data_[i]; }

 private:
  U* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ovo::cuda
