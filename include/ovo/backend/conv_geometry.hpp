// The geometry of a convolution over a batch of channels-last images, and its walks over taps.
#pragma once

#include "ovo/backend/host_device.hpp"

namespace ovo {

// A batch of `batch` images of height x width pixels, stored channels-last as a matrix
// [batch * height * width, channels] (row (b * height + y) * width + x is one pixel), convolved
// by a square kernel with the given stride and zero padding on every side.
struct conv_geometry {
  int batch = 0, height = 0, width = 0, kernel = 1, stride = 1, padding = 0;

  OVO_HOST_DEVICE int out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  OVO_HOST_DEVICE int out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  OVO_HOST_DEVICE int in_rows() const { return batch * height * width; }
  OVO_HOST_DEVICE int out_rows() const { return batch * out_height() * out_width(); }
  OVO_HOST_DEVICE int taps() const { return kernel * kernel; }

  // The input row that tap (ky * kernel + kx) of output row o reads, or -1 in the padding.
  OVO_HOST_DEVICE int tap_input_row(int o, int tap) const {
    const int out_w = out_width(), out_per_image = out_height() * out_w;
    const int b = o / out_per_image, oy = o % out_per_image / out_w, ox = o % out_w;
    const int iy = oy * stride - padding + tap / kernel, ix = ox * stride - padding + tap % kernel;
    return iy < 0 || iy >= height || ix < 0 || ix >= width ? -1 : (b * height + iy) * width + ix;
  }

  // Calls body(ky * kernel + kx, input row) for each tap of output row o that falls inside the
  // image, taps in order.
  OVO_HOST_DEVICE_CALLER
  template <class Body>
  OVO_HOST_DEVICE void for_each_tap(int o, Body&& body) const {
    const int out_w = out_width(), out_per_image = out_height() * out_w;
    const int b = o / out_per_image, oy = o % out_per_image / out_w, ox = o % out_w;
    for (int ky = 0; ky < kernel; ++ky) {
      const int iy = oy * stride - padding + ky;
      if (iy < 0 || iy >= height) continue;
      for (int kx = 0; kx < kernel; ++kx) {
        const int ix = ox * stride - padding + kx;
        if (ix < 0 || ix >= width) continue;
        body(ky * kernel + kx, (b * height + iy) * width + ix);
      }
    }
  }

  // Calls body(ky * kernel + kx, output row) for each output pixel whose tap (ky, kx) reads input
  // row i, taps in order.
  OVO_HOST_DEVICE_CALLER
  template <class Body>
  OVO_HOST_DEVICE void for_each_covering_output(int i, Body&& body) const {
    const int per_image = height * width, out_h = out_height(), out_w = out_width();
    const int b = i / per_image, iy = i % per_image / width, ix = i % width;
    for (int ky = 0; ky < kernel; ++ky) {
      const int ny = iy + padding - ky;
      if (ny < 0 || ny % stride != 0 || ny / stride >= out_h) continue;
      for (int kx = 0; kx < kernel; ++kx) {
        const int nx = ix + padding - kx;
        if (nx < 0 || nx % stride != 0 || nx / stride >= out_w) continue;
        body(ky * kernel + kx, (b * out_h + ny / stride) * out_w + nx / stride);
      }
    }
  }
};

}  // namespace ovo
