// The CPU back end's window partition of channels-last images and its reverse.
#pragma once

#include <algorithm>
#include <cassert>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/window_geometry.hpp"

namespace ovo {

template <class T>
struct cpu_windows {
  // windows [g.token_rows(), C] written from x [g.pixel_rows(), C]: each token the pixel it
  // covers, 0 where it covers the padding.
  static void window_partition(matrix_view<const T> x, const window_geometry& g,
                               matrix_view<T> windows) {
    assert(x.rows == g.pixel_rows() && windows.rows == g.token_rows() && x.cols == windows.cols);
    for_each_token(g, [&](int token_row, int pixel_row) {
      T* out = windows.row(token_row);
      if (pixel_row < 0)
        std::fill(out, out + x.cols, T(0));
      else
        std::copy(x.row(pixel_row), x.row(pixel_row) + x.cols, out);
    });
  }

  // x [g.pixel_rows(), C] written from windows [g.token_rows(), C]: each pixel its token; the
  // padding's tokens are dropped. The adjoint of window_partition, and its inverse on x.
  static void window_reverse(matrix_view<const T> windows, const window_geometry& g,
                             matrix_view<T> x) {
    assert(x.rows == g.pixel_rows() && windows.rows == g.token_rows() && x.cols == windows.cols);
    for_each_token(g, [&](int token_row, int pixel_row) {
      if (pixel_row >= 0)
        std::copy(windows.row(token_row), windows.row(token_row) + x.cols, x.row(pixel_row));
    });
  }

 private:
  // Calls f(token row, pixel row) for every token, the pixel row -1 in the padding.
  template <class F>
  static void for_each_token(const window_geometry& g, F&& f) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < g.token_rows(); ++t) f(t, g.token_pixel_row(t));
  }
};

}  // namespace ovo
