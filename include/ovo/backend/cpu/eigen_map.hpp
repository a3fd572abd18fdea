// Eigen maps of matrix views: how the CPU back end's ops compute on back-end memory.
#pragma once

#include <type_traits>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/util/eigen.hpp"

namespace ovo {

// The row-major Eigen matrix over the view's values (read-only for a view of const values).
template <class T>
auto eigen_map(matrix_view<T> m) {
  using matrix =
      Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using mapped = std::conditional_t<std::is_const_v<T>, const matrix, matrix>;
  return Eigen::Map<mapped, 0, Eigen::OuterStride<>>(m.data, m.rows, m.cols,
                                                     Eigen::OuterStride<>(m.ld));
}

}  // namespace ovo
