// The CPU back end's memory ops: host transfers, fills and copies (back-end memory is host memory).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <span>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_memory {
  static constexpr bool host_memory = true;
  static void copy_from_host(std::span<const T> host, T* dst) {
    std::copy(host.begin(), host.end(), dst);
  }
  static void copy_to_host(const T* src, std::span<T> host) {
    std::copy(src, src + host.size(), host.begin());
  }
  static void copy_from_host_async(std::span<const T> host, T* dst) {
    std::copy(host.begin(), host.end(), dst);
  }
  static void fill(T* p, std::size_t n, T value) { std::fill(p, p + n, value); }
  static void copy(const T* src, std::size_t n, T* dst) { std::copy(src, src + n, dst); }
  // dst = src, row by row (same shape; each its own ld).
  static void copy(matrix_view<const T> src, matrix_view<T> dst) {
    assert(src.rows == dst.rows && src.cols == dst.cols);
    for (int r = 0; r < src.rows; ++r) std::copy(src.row(r), src.row(r) + src.cols, dst.row(r));
  }
};

}  // namespace ovo
