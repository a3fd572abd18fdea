// The CPU back end's convolutions on channels-last images: NCHW images to rows, im2col and its
// adjoint, depthwise.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <vector>

#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_convolution {
  // rows[(b * height + y) * width + x, c] = images[b, c, y, x]: a batch of NCHW images as
  // channels-last rows [batch * height * width, channels], written. Images get no gradient.
  static void images_to_channels_last(const T* images, int batch, int channels, int height,
                                      int width, matrix_view<T> rows) {
    const int pixels = height * width;
    assert(rows.rows == batch * pixels && rows.cols == channels);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < batch * pixels; ++r) {
      const T* src =
          images + static_cast<std::ptrdiff_t>(r / pixels) * channels * pixels + r % pixels;
      T* dst = rows.row(r);
      for (int c = 0; c < channels; ++c) dst[c] = src[static_cast<std::ptrdiff_t>(c) * pixels];
    }
  }

  // columns[o, c * taps + ky * k + kx] = x[input pixel of output pixel o at tap (ky, kx), c], 0
  // where the tap falls in the padding: x [g.in_rows(), C], columns [g.out_rows(), C * taps]
  // written. Column order (channel, ky, kx) is PyTorch's weight layout [Cout, Cin, k, k] flattened,
  // so the active Cin is a column prefix of the super weight.
  static void im2col(matrix_view<const T> x, const conv_geometry& g, matrix_view<T> columns) {
    const int channels = x.cols, taps = g.taps();
    assert(x.rows == g.in_rows() && columns.rows == g.out_rows() &&
           columns.cols == channels * taps);
#pragma omp parallel for schedule(static)
    for (int o = 0; o < g.out_rows(); ++o) {
      T* dst = columns.row(o);
      std::fill(dst, dst + columns.cols, T(0));
      for_each_tap(g, o, [&](int tap, int in_row) {
        const T* src = x.row(in_row);
        for (int c = 0; c < channels; ++c) dst[c * taps + tap] = src[c];
      });
    }
  }

  // The adjoint of im2col: dx[p, c] = the sum of the columns entries im2col copied from (p, c);
  // dx [g.in_rows(), C] written.
  static void col2im(matrix_view<const T> columns, const conv_geometry& g, matrix_view<T> dx) {
    const int channels = dx.cols, taps = g.taps();
    assert(dx.rows == g.in_rows() && columns.rows == g.out_rows() &&
           columns.cols == channels * taps);
    scatter_to_inputs(g, dx, [&](int o, int tap, T* dst) {
      const T* src = columns.row(o);
      for (int c = 0; c < channels; ++c) dst[c] += src[c * taps + tap];
    });
  }

  // y[o, c] = sum over taps of w[c, tap] * x[input pixel of o at tap, c] (zero padding): x
  // [g.in_rows(), C], w [C, taps] (PyTorch's [C, 1, k, k]; the active C is a row prefix), y
  // [g.out_rows(), C] written.
  static void depthwise_conv_forward(matrix_view<const T> x, matrix_view<const T> w,
                                     const conv_geometry& g, matrix_view<T> y) {
    const int channels = x.cols;
    assert(x.rows == g.in_rows() && y.rows == g.out_rows() && y.cols == channels &&
           w.rows == channels && w.cols == g.taps());
    const T* taps_by_channel = transposed(w);
#pragma omp parallel for schedule(static)
    for (int o = 0; o < g.out_rows(); ++o) {
      T* dst = y.row(o);
      std::fill(dst, dst + channels, T(0));
      for_each_tap(g, o, [&](int tap, int in_row) {
        const T* src = x.row(in_row);
        const T* weight = taps_by_channel + static_cast<std::ptrdiff_t>(tap) * channels;
        for (int c = 0; c < channels; ++c) dst[c] += weight[c] * src[c];
      });
    }
  }

  // The backward of depthwise_conv_forward: dx written, dw [C, taps] accumulates.
  static void depthwise_conv_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                      matrix_view<const T> w, const conv_geometry& g,
                                      matrix_view<T> dx, matrix_view<T> dw) {
    const int channels = x.cols;
    assert(x.rows == g.in_rows() && dy.rows == g.out_rows() && dy.cols == channels &&
           dx.rows == x.rows && dx.cols == channels && w.rows == channels && w.cols == g.taps() &&
           dw.rows == channels && dw.cols == g.taps());
    const int taps = g.taps();
    const T* taps_by_channel = transposed(w);
    scatter_to_inputs(g, dx, [&](int o, int tap, T* dst) {
      const T* grad = dy.row(o);
      const T* weight = taps_by_channel + static_cast<std::ptrdiff_t>(tap) * channels;
      for (int c = 0; c < channels; ++c) dst[c] += weight[c] * grad[c];
    });
    // Per image [taps, C] sums in parallel, then added image by image in order: the result does
    // not depend on the thread count.
    const auto per_image = static_cast<std::size_t>(taps) * channels;
    thread_local std::vector<T> buffer;
    buffer.assign(per_image * g.batch, T(0));
    T* const sums = buffer.data();  // the calling thread's buffer, shared with the team
    const int out_per_image = g.out_height() * g.out_width();
#pragma omp parallel for schedule(static)
    for (int b = 0; b < g.batch; ++b)
      for (int o = b * out_per_image; o < (b + 1) * out_per_image; ++o) {
        const T* grad = dy.row(o);
        for_each_tap(g, o, [&](int tap, int in_row) {
          const T* src = x.row(in_row);
          T* sum = sums + b * per_image + static_cast<std::size_t>(tap) * channels;
          for (int c = 0; c < channels; ++c) sum[c] += grad[c] * src[c];
        });
      }
    for (int b = 0; b < g.batch; ++b)
      for (int tap = 0; tap < taps; ++tap) {
        const T* sum = sums + b * per_image + static_cast<std::size_t>(tap) * channels;
        for (int c = 0; c < channels; ++c) dw.row(c)[tap] += sum[c];
      }
  }

 private:
  // w [C, taps] as [taps, C] in a buffer of the calling thread, valid until its next call.
  static const T* transposed(matrix_view<const T> w) {
    thread_local std::vector<T> out;
    out.resize(static_cast<std::size_t>(w.rows) * w.cols);
    for (int c = 0; c < w.rows; ++c)
      for (int tap = 0; tap < w.cols; ++tap)
        out[static_cast<std::size_t>(tap) * w.rows + c] = w.row(c)[tap];
    return out.data();
  }

  // Writes dx [g.in_rows(), C]: zero, then add(o, tap, dx row of the input pixel of output pixel o
  // at that tap) for every output pixel and tap inside the image. One image per thread, so that
  // no two threads add into the same row.
  template <class Add>
  static void scatter_to_inputs(const conv_geometry& g, matrix_view<T> dx, Add&& add) {
    const int in_per_image = g.height * g.width, out_per_image = g.out_height() * g.out_width();
#pragma omp parallel for schedule(static)
    for (int b = 0; b < g.batch; ++b) {
      for (int p = b * in_per_image; p < (b + 1) * in_per_image; ++p)
        std::fill(dx.row(p), dx.row(p) + dx.cols, T(0));
      for (int o = b * out_per_image; o < (b + 1) * out_per_image; ++o)
        for_each_tap(g, o, [&](int tap, int in_row) { add(o, tap, dx.row(in_row)); });
    }
  }

  // Calls body(ky * k + kx, input row) for each tap of output row o that falls inside the image.
  template <class Body>
  static void for_each_tap(const conv_geometry& g, int o, Body&& body) {
    const int out_w = g.out_width(), out_per_image = g.out_height() * out_w;
    const int b = o / out_per_image, oy = o % out_per_image / out_w, ox = o % out_w;
    for (int ky = 0; ky < g.kernel; ++ky) {
      const int iy = oy * g.stride - g.padding + ky;
      if (iy < 0 || iy >= g.height) continue;
      for (int kx = 0; kx < g.kernel; ++kx) {
        const int ix = ox * g.stride - g.padding + kx;
        if (ix < 0 || ix >= g.width) continue;
        body(ky * g.kernel + kx, (b * g.height + iy) * g.width + ix);
      }
    }
  }
};

}  // namespace ovo
