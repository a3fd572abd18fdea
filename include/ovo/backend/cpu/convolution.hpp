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
    const std::vector<T> zeros(static_cast<std::size_t>(channels), T(0));
#pragma omp parallel
    {
      std::vector<const T*> sources(static_cast<std::size_t>(taps));
#pragma omp for schedule(static)
      for (int o = 0; o < g.out_rows(); ++o) {
        std::fill(sources.begin(), sources.end(), zeros.data());
        g.for_each_tap(o, [&](int tap, int in_row) { sources[tap] = x.row(in_row); });
        for_taps(taps, [&]<int Taps>(int n) {
          const int count = Taps > 0 ? Taps : n;
          T* dst = columns.row(o);
          for (int c = 0; c < channels; ++c)
            for (int tap = 0; tap < count; ++tap) dst[c * count + tap] = sources[tap][c];
        });
      }
    }
  }

  // The adjoint of im2col: dx[p, c] = the sum of the columns entries im2col copied from (p, c),
  // added in the order of the output pixels; dx [g.in_rows(), C] written. One image per thread,
  // so that no two threads add into the same row.
  static void col2im(matrix_view<const T> columns, const conv_geometry& g, matrix_view<T> dx) {
    const int channels = dx.cols, taps = g.taps();
    assert(dx.rows == g.in_rows() && columns.rows == g.out_rows() &&
           columns.cols == channels * taps);
    const int in_per_image = g.height * g.width, out_per_image = g.out_height() * g.out_width();
#pragma omp parallel
    {
      std::vector<T*> targets(static_cast<std::size_t>(taps));
      std::vector<T> padding(static_cast<std::size_t>(channels));  // what padding taps add up to
#pragma omp for schedule(static)
      for (int b = 0; b < g.batch; ++b) {
        for (int p = b * in_per_image; p < (b + 1) * in_per_image; ++p)
          std::fill(dx.row(p), dx.row(p) + channels, T(0));
        for (int o = b * out_per_image; o < (b + 1) * out_per_image; ++o) {
          std::fill(targets.begin(), targets.end(), padding.data());
          g.for_each_tap(o, [&](int tap, int in_row) { targets[tap] = dx.row(in_row); });
          for_taps(taps, [&]<int Taps>(int n) {
            const int count = Taps > 0 ? Taps : n;
            const T* src = columns.row(o);
            for (int c = 0; c < channels; ++c)
              for (int tap = 0; tap < count; ++tap) targets[tap][c] += src[c * count + tap];
          });
        }
      }
    }
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
#pragma omp parallel
    {
      tap_list taps(g.taps());
#pragma omp for schedule(static)
      for (int o = 0; o < g.out_rows(); ++o) {
        taps.clear();
        g.for_each_tap(o, [&](int tap, int in_row) { taps.add(tap, in_row); });
        weighted_sum(taps, taps_by_channel, x, channels, y.row(o));
      }
    }
  }

  // The backward of depthwise_conv_forward: dx written, dw [C, taps] accumulates.
  static void depthwise_conv_backward(matrix_view<const T> dy, matrix_view<const T> x,
                                      matrix_view<const T> w, const conv_geometry& g,
                                      matrix_view<T> dx, matrix_view<T> dw) {
    const int channels = x.cols, taps_per_pixel = g.taps();
    assert(x.rows == g.in_rows() && dy.rows == g.out_rows() && dy.cols == channels &&
           dx.rows == x.rows && dx.cols == channels && w.rows == channels && w.cols == g.taps() &&
           dw.rows == channels && dw.cols == g.taps());
    const T* taps_by_channel = transposed(w);
    // dx gathered per input pixel from the output pixels whose taps cover it.
#pragma omp parallel
    {
      tap_list taps(taps_per_pixel);
#pragma omp for schedule(static)
      for (int i = 0; i < g.in_rows(); ++i) {
        taps.clear();
        g.for_each_covering_output(i, [&](int tap, int out_row) { taps.add(tap, out_row); });
        weighted_sum(taps, taps_by_channel, dy, channels, dx.row(i));
      }
    }
    // dw: [taps, C] sums over groups of images_per_group images in parallel, then added group by
    // group in order, so that the result does not depend on the thread count.
    constexpr int images_per_group = 8;
    const int groups = (g.batch + images_per_group - 1) / images_per_group;
    const auto per_group = static_cast<std::size_t>(taps_per_pixel) * channels;
    std::vector<T> sums(per_group * groups, T(0));
    const int out_per_image = g.out_height() * g.out_width();
#pragma omp parallel for schedule(static)
    for (int group = 0; group < groups; ++group) {
      T* group_sums = sums.data() + group * per_group;
      const int end = std::min(g.batch, (group + 1) * images_per_group) * out_per_image;
      for (int o = group * images_per_group * out_per_image; o < end; ++o) {
        const T* grad = dy.row(o);
        g.for_each_tap(o, [&](int tap, int in_row) {
          const T* src = x.row(in_row);
          T* sum = group_sums + static_cast<std::size_t>(tap) * channels;
          for (int c = 0; c < channels; ++c) sum[c] += grad[c] * src[c];
        });
      }
    }
    for (int group = 0; group < groups; ++group)
      for (int tap = 0; tap < taps_per_pixel; ++tap) {
        const T* sum = sums.data() + group * per_group + static_cast<std::size_t>(tap) * channels;
        for (int c = 0; c < channels; ++c) dw.row(c)[tap] += sum[c];
      }
  }

 private:
  // The taps of one pixel that fall inside the image, and the row each reads.
  struct tap_list {
    std::vector<int> taps, rows;
    explicit tap_list(int capacity) {
      taps.reserve(static_cast<std::size_t>(capacity));
      rows.reserve(static_cast<std::size_t>(capacity));
    }
    void clear() {
      taps.clear();
      rows.clear();
    }
    void add(int tap, int row) {
      taps.push_back(tap);
      rows.push_back(row);
    }
  };

  // out[c] = the sum over the list of weights[tap, c] * source[row, c], written; channels in
  // blocks held in registers across the taps.
  static void weighted_sum(const tap_list& list, const T* weights, matrix_view<const T> source,
                           int channels, T* out) {
    constexpr int block = 16;
    const auto n = list.taps.size();
    int c0 = 0;
    for (; c0 + block <= channels; c0 += block) {
      T acc[block] = {};
      for (std::size_t t = 0; t < n; ++t) {
        const T* wk = weights + static_cast<std::ptrdiff_t>(list.taps[t]) * channels + c0;
        const T* src = source.row(list.rows[t]) + c0;
        for (int j = 0; j < block; ++j) acc[j] += wk[j] * src[j];
      }
      std::copy(acc, acc + block, out + c0);
    }
    if (c0 == channels) return;
    std::fill(out + c0, out + channels, T(0));
    for (std::size_t t = 0; t < n; ++t) {
      const T* wk = weights + static_cast<std::ptrdiff_t>(list.taps[t]) * channels;
      const T* src = source.row(list.rows[t]);
      for (int c = c0; c < channels; ++c) out[c] += wk[c] * src[c];
    }
  }

  // w [C, taps] as [taps, C] in a buffer of the calling thread, valid until its next call.
  static const T* transposed(matrix_view<const T> w) {
    thread_local std::vector<T> out;
    out.resize(static_cast<std::size_t>(w.rows) * w.cols);
    for (int c = 0; c < w.rows; ++c)
      for (int tap = 0; tap < w.cols; ++tap)
        out[static_cast<std::size_t>(tap) * w.rows + c] = w.row(c)[tap];
    return out.data();
  }

  // body.template operator()<Taps>(taps) with Taps the tap count of a 1x1, 3x3 or 5x5 kernel,
  // so that loops over the taps unroll; Taps 0 (the count is then the argument) for other kernels.
  template <class Body>
  static void for_taps(int taps, Body&& body) {
    switch (taps) {
      case 1:
        return body.template operator()<1>(taps);
      case 9:
        return body.template operator()<9>(taps);
      case 25:
        return body.template operator()<25>(taps);
      default:
        return body.template operator()<0>(taps);
    }
  }
};

}  // namespace ovo
