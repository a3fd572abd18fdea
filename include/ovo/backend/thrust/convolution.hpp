// The Thrust back end's convolutions on channels-last images: NCHW images to rows, im2col and its
// adjoint, depthwise; every sum gathered by the thread that writes it, so no atomics.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_convolution {
  // rows[(b * height + y) * width + x, c] = images[b, c, y, x], written.
  static void images_to_channels_last(const T* images, int batch, int channels, int height,
                                      int width, matrix_view<T> rows) {
    const int pixels = height * width;
    assert(rows.rows == batch * pixels && rows.cols == channels);
    for_each_index<System>(std::ptrdiff_t{batch} * pixels * channels,
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
                             const auto r = i / channels;
                             const int c = static_cast<int>(i % channels);
                             rows.row(static_cast<int>(r))[c] =
                                 images[(r / pixels * channels + c) * pixels + r % pixels];
                           });
  }

  // As cpu_convolution::im2col: columns [g.out_rows(), C * taps] written, 0 in the padding.
  static void im2col(matrix_view<const T> x, const conv_geometry& g, matrix_view<T> columns) {
    const int channels = x.cols, taps = g.taps();
    assert(x.rows == g.in_rows() && columns.rows == g.out_rows() &&
           columns.cols == channels * taps);
    const int width = channels * taps;
    for_each_index<System>(
        std::ptrdiff_t{columns.rows} * width, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int o = static_cast<int>(i / width), j = static_cast<int>(i % width);
          const int in_row = g.tap_input_row(o, j % taps);
          columns.row(o)[j] = in_row < 0 ? T(0) : x.row(in_row)[j / taps];
        });
  }

  // The adjoint of im2col: dx[p, c] = the sum of the columns entries im2col copied from (p, c),
  // written.
  static void col2im(matrix_view<const T> columns, const conv_geometry& g, matrix_view<T> dx) {
    const int channels = dx.cols, taps = g.taps();
    assert(dx.rows == g.in_rows() && columns.rows == g.out_rows() &&
           columns.cols == channels * taps);
    for_each_index<System>(
        std::ptrdiff_t{dx.rows} * channels, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int p = static_cast<int>(i / channels);
          const int c = static_cast<int>(i % channels);
          T sum = 0;
          g.for_each_covering_output(
              p, [&](int tap, int out_row) { sum += columns.row(out_row)[c * taps + tap]; });
          dx.row(p)[c] = sum;
        });
  }

  // y[o, c] = sum over taps of w[c, tap] * x[input pixel of o at tap, c]; y written.
  static void depthwise_conv_forward(matrix_view<const T> x, matrix_view<const T> w,
                                     const conv_geometry& g, matrix_view<T> y) {
    const int channels = x.cols;
    assert(x.rows == g.in_rows() && y.rows == g.out_rows() && y.cols == channels &&
           w.rows == channels && w.cols == g.taps());
    for_each_index<System>(
        std::ptrdiff_t{y.rows} * channels, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int o = static_cast<int>(i / channels);
          const int c = static_cast<int>(i % channels);
          T sum = 0;
          g.for_each_tap(o, [&](int tap, int in_row) { sum += w.row(c)[tap] * x.row(in_row)[c]; });
          y.row(o)[c] = sum;
        });
  }

  // The backward of depthwise_conv_forward: dx written, dw [C, taps] accumulates (one weight per
  // thread, output pixels in order).
  static void depthwise_conv_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                      matrix_view<const T> w, const conv_geometry& g,
                                      matrix_view<T> dx, matrix_view<T> dw) {
    const int channels = x.cols, taps = g.taps();
    assert(x.rows == g.in_rows() && dy.rows == g.out_rows() && dy.cols == channels &&
           dx.rows == x.rows && dx.cols == channels && w.rows == channels && w.cols == taps &&
           dw.rows == channels && dw.cols == taps);
    for_each_index<System>(
        std::ptrdiff_t{dx.rows} * channels, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int p = static_cast<int>(i / channels);
          const int c = static_cast<int>(i % channels);
          T sum = 0;
          g.for_each_covering_output(
              p, [&](int tap, int out_row) { sum += w.row(c)[tap] * dy.row(out_row)[c]; });
          dx.row(p)[c] = sum;
        });
    const int out_rows = dy.rows;
    for_each_index<System>(std::ptrdiff_t{channels} * taps, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int c = static_cast<int>(i / taps), tap = static_cast<int>(i % taps);
      T sum = 0;
      for (int o = 0; o < out_rows; ++o) {
        const int in_row = g.tap_input_row(o, tap);
        if (in_row >= 0) sum += dy.row(o)[c] * x.row(in_row)[c];
      }
      dw.row(c)[tap] += sum;
    });
  }
};

}  // namespace ovo
