// The gradients a step's subnets touched, packed for a data-parallel average of only those: a
// small subnet's step sends a fraction of the supernet's gradients.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <utility>
#include <vector>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"

namespace ovo {

// Blocks of rows of the parameter buffer: for each block of each trainable tensor of the given
// subnets (net.subnet_tensors), the rectangle that covers it in all of them. A parameter's
// gradient is zero outside its subnets' slices (layers accumulate into their slice only), so the
// average of the packed blocks, unpacked, is the average of the whole buffer.
class touched_blocks {
 public:
  template <supernet Net, class Archs>
  void cover(const Net& net, const Archs& archs) {
    blocks_.clear();
    for (const auto& a : archs)
      for (const auto& t : net.subnet_tensors(a)) {
        if (t.buffer) continue;
        for (const auto& b : t.blocks) {
          const auto first = static_cast<std::ptrdiff_t>(t.parameter.offset) + b.first;
          auto& covered = blocks_[{first, b.stride}];
          covered.first = first;
          covered.stride = b.stride;
          covered.rows = std::max(covered.rows, b.rows);
          covered.cols = std::max(covered.cols, b.cols);
        }
      }
  }

  // The number of values the blocks hold.
  std::size_t values() const {
    std::size_t n = 0;
    for (const auto& [key, b] : blocks_) n += static_cast<std::size_t>(b.rows) * b.cols;
    return n;
  }

  // Copies the blocks of `all` into `packed`, one after another (pack), or back (unpack).
  template <class Backend, class T>
  void pack(const T* all, T* packed) const {
    for_each_block([&](const row_block& b, std::size_t at) {
      Backend::copy(matrix_view<const T>{all + b.first, b.rows, b.cols, static_cast<int>(b.stride)},
                    matrix_view<T>{packed + at, b.rows, b.cols, b.cols});
    });
  }
  template <class Backend, class T>
  void unpack(const T* packed, T* all) const {
    for_each_block([&](const row_block& b, std::size_t at) {
      Backend::copy(matrix_view<const T>{packed + at, b.rows, b.cols, b.cols},
                    matrix_view<T>{all + b.first, b.rows, b.cols, static_cast<int>(b.stride)});
    });
  }

 private:
  template <class F>
  void for_each_block(F&& f) const {
    std::size_t at = 0;
    for (const auto& [key, b] : blocks_) {
      f(b, at);
      at += static_cast<std::size_t>(b.rows) * b.cols;
    }
  }

  std::map<std::pair<std::ptrdiff_t, std::ptrdiff_t>, row_block> blocks_;  // by (first, stride)
};

}  // namespace ovo
