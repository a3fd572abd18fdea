// EMO's windows over a batch of channels-last images: zero padding to whole windows, windows
// interleaved over the map.
#pragma once

#include "ovo/backend/host_device.hpp"

namespace ovo {

// A batch of `batch` images of height x width pixels ([batch * height * width, C], channels-last)
// cut into windows of `window` x `window` tokens (0: one window over the whole map). The map is
// zero-padded at the bottom and right to whole windows; as in the reference's
// `rearrange('b c (h1 n1) (w1 n2) -> (b n1 n2) c h1 w1')`, window (i, j) of a grid of
// grid_rows() x grid_cols() holds the pixels (h1 * grid_rows() + i, w1 * grid_cols() + j): the
// windows interleave, each spanning the map. Window rows are [windows() * tokens(), C], window
// ((b * grid_rows() + i) * grid_cols() + j), token h1 * window_cols() + w1.
struct window_geometry {
  int batch = 0, height = 0, width = 0, window = 0;

  OVO_HOST_DEVICE int window_rows() const { return window > 0 ? window : height; }
  OVO_HOST_DEVICE int window_cols() const { return window > 0 ? window : width; }
  OVO_HOST_DEVICE int grid_rows() const { return (height + window_rows() - 1) / window_rows(); }
  OVO_HOST_DEVICE int grid_cols() const { return (width + window_cols() - 1) / window_cols(); }
  OVO_HOST_DEVICE int windows() const { return batch * grid_rows() * grid_cols(); }
  OVO_HOST_DEVICE int tokens() const { return window_rows() * window_cols(); }
  OVO_HOST_DEVICE int pixel_rows() const { return batch * height * width; }
  OVO_HOST_DEVICE int token_rows() const { return windows() * tokens(); }

  // The pixel row that window row `token_row` holds, or -1 where it covers the padding.
  OVO_HOST_DEVICE int token_pixel_row(int token_row) const {
    const int w = token_row / tokens(), t = token_row % tokens();
    const int j = w % grid_cols(), i = w / grid_cols() % grid_rows(),
              b = w / (grid_cols() * grid_rows());
    const int y = t / window_cols() * grid_rows() + i, x = t % window_cols() * grid_cols() + j;
    return y < height && x < width ? (b * height + y) * width + x : -1;
  }
};

}  // namespace ovo
