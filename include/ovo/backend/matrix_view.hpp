// A row-major strided matrix in back-end memory: a pointer, a shape and a row stride, never a copy.
#pragma once

#include <cassert>
#include <cstddef>
#include <type_traits>

#include "ovo/backend/host_device.hpp"

namespace ovo {

// rows x cols values; element (r, c) at data[r * ld + c], ld >= cols. A prefix of a larger matrix
// (a subnet's slice of a super-shaped weight) is the same pointer and ld with fewer rows and cols.
template <class T>
struct matrix_view {
  T* data = nullptr;
  int rows = 0, cols = 0, ld = 0;

  OVO_HOST_DEVICE T* row(int r) const { return data + static_cast<std::ptrdiff_t>(r) * ld; }

  // The first `prefix_rows` rows and `prefix_cols` columns.
  OVO_HOST_DEVICE matrix_view prefix(int prefix_rows, int prefix_cols) const {
    assert(0 <= prefix_rows && prefix_rows <= rows && 0 <= prefix_cols && prefix_cols <= cols);
    return {data, prefix_rows, prefix_cols, ld};
  }
  // The block_rows x block_cols block whose first element is (first_row, first_col).
  OVO_HOST_DEVICE matrix_view block(int first_row, int first_col, int block_rows,
                                    int block_cols) const {
    assert(0 <= first_row && first_row + block_rows <= rows && 0 <= first_col &&
           first_col + block_cols <= cols);
    return {row(first_row) + first_col, block_rows, block_cols, ld};
  }

  // A view of const values of the same matrix.
  template <class U = T>
  requires(std::is_same_v<U, T> && !std::is_const_v<U>) OVO_HOST_DEVICE
  operator matrix_view<const U>() const {
    return {data, rows, cols, ld};
  }
};

// A view of rows x cols values with row stride ld (default: packed rows, ld = cols).
template <class T>
matrix_view<T> make_matrix_view(T* data, int rows, int cols, int ld) {
  assert(rows >= 0 && cols >= 0 && ld >= cols);
  return {data, rows, cols, ld};
}
template <class T>
matrix_view<T> make_matrix_view(T* data, int rows, int cols) {
  return make_matrix_view(data, rows, cols, cols);
}

}  // namespace ovo
