// The geometry of a convolution over a batch of channels-last images.
#pragma once

namespace ovo {

// A batch of `batch` images of height x width pixels, stored channels-last as a matrix
// [batch * height * width, channels] (row (b * height + y) * width + x is one pixel), convolved
// by a square kernel with the given stride and zero padding on every side.
struct conv_geometry {
  int batch = 0, height = 0, width = 0, kernel = 1, stride = 1, padding = 0;

  int out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  int in_rows() const { return batch * height * width; }
  int out_rows() const { return batch * out_height() * out_width(); }
  int taps() const { return kernel * kernel; }
};

}  // namespace ovo
