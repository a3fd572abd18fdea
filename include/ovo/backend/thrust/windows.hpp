// The Thrust back end's window partition of channels-last images and its reverse.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"
#include "ovo/backend/window_geometry.hpp"

namespace ovo {

template <class T, class System>
struct thrust_windows {
  // windows [g.token_rows(), C] written from x [g.pixel_rows(), C], 0 in the padding.
  static void window_partition(matrix_view<const T> x, const window_geometry& g,
                               matrix_view<T> windows) {
    assert(x.rows == g.pixel_rows() && windows.rows == g.token_rows() && x.cols == windows.cols);
    const int cols = x.cols;
    for_each_index<System>(
        std::ptrdiff_t{windows.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int t = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
          const int p = g.token_pixel_row(t);
          windows.row(t)[c] = p < 0 ? T(0) : x.row(p)[c];
        });
  }

  // x [g.pixel_rows(), C] written from windows [g.token_rows(), C]; padding tokens dropped.
  static void window_reverse(matrix_view<const T> windows, const window_geometry& g,
                             matrix_view<T> x) {
    assert(x.rows == g.pixel_rows() && windows.rows == g.token_rows() && x.cols == windows.cols);
    const int cols = x.cols;
    for_each_index<System>(
        std::ptrdiff_t{windows.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int t = static_cast<int>(i / cols), c = static_cast<int>(i % cols);
          const int p = g.token_pixel_row(t);
          if (p >= 0) x.row(p)[c] = windows.row(t)[c];
        });
  }
};

}  // namespace ovo
