// The Thrust back end's memory ops: host transfers through the system, fills and strided copies.
#pragma once

#include <cassert>
#include <cstddef>
#include <span>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_memory {
  static constexpr bool host_memory = System::host_memory;
  static void copy_from_host(std::span<const T> host, T* dst) {
    System::copy_from_host(host.data(), host.size(), dst);
  }
  static void copy_to_host(const T* src, std::span<T> host) {
    System::copy_to_host(src, host.size(), host.data());
  }
  static void copy_from_host_async(std::span<const T> host, T* dst) {
    System::copy_from_host_async(host.data(), host.size(), dst);
  }
  static void fill(T* p, std::size_t n, T value) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n),
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t i) { p[i] = value; });
  }
  static void copy(const T* src, std::size_t n, T* dst) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n),
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t i) { dst[i] = src[i]; });
  }
  // dst = src (same shape; each its own ld).
  static void copy(matrix_view<const T> src, matrix_view<T> dst) {
    assert(src.rows == dst.rows && src.cols == dst.cols);
    const int cols = src.cols;
    for_each_index<System>(std::ptrdiff_t{src.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int r = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
      dst.row(r)[c] = src.row(r)[c];
    });
  }
};

}  // namespace ovo
