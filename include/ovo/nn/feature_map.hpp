// A strided view of a batch of feature maps in back-end memory, and its dense copy on the host.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

// batch x channels x height x width values; element (b, c, y, x) at data[b * batch_stride +
// c * channel_stride + y * row_stride + x * column_stride]. NCHW images, channels-last pixel rows
// and a ViT's token rows are each such a view, with their own strides (all non-negative).
template <class T>
struct feature_map {
  const T* data = nullptr;
  int batch = 0, channels = 0, height = 0, width = 0;
  std::ptrdiff_t batch_stride = 0, channel_stride = 0, row_stride = 0, column_stride = 0;

  std::ptrdiff_t offset(int b, int c, int y, int x) const {
    return b * batch_stride + c * channel_stride + y * row_stride + x * column_stride;
  }
  // The values from data to the last element, which a copy of the map spans.
  std::size_t extent() const {
    if (batch == 0 || channels == 0 || height == 0 || width == 0) return 0;
    return static_cast<std::size_t>(offset(batch - 1, channels - 1, height - 1, width - 1)) + 1;
  }
};

// Channels-last pixel rows [batch * height * width, channels] (row stride pixels.ld) as a map.
template <class T>
feature_map<T> channels_last_features(matrix_view<const T> pixels, int batch, int height,
                                      int width) {
  const std::ptrdiff_t pixel = pixels.ld;
  return {.data = pixels.data,
          .batch = batch,
          .channels = pixels.cols,
          .height = height,
          .width = width,
          .batch_stride = height * width * pixel,
          .channel_stride = 1,
          .row_stride = width * pixel,
          .column_stride = pixel};
}

// A network that views the final feature map of its last forward pass (nn/vit_supernet.hpp,
// nn/emo_supernet.hpp, nn/resnet.hpp): what TVT and NASWOT read.
template <class N>
concept feature_network = requires(const N& net) {
  { net.last_features() } -> std::same_as<feature_map<typename N::backend::scalar>>;
};

// A feature map on the host, dense NCHW in double.
struct host_feature_map {
  int batch = 0, channels = 0, height = 0, width = 0;
  std::vector<double> values;  // [batch, channels, height, width]

  double at(int b, int c, int y, int x) const {
    return values[((static_cast<std::size_t>(b) * channels + static_cast<std::size_t>(c)) *
                       static_cast<std::size_t>(height) +
                   static_cast<std::size_t>(y)) *
                      static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
};

// The map's values copied to the host (the span from its first to its last element, then
// gathered into NCHW order).
template <class Backend>
host_feature_map features_to_host(const feature_map<typename Backend::scalar>& f) {
  using T = typename Backend::scalar;
  if (f.batch_stride < 0 || f.channel_stride < 0 || f.row_stride < 0 || f.column_stride < 0)
    throw std::invalid_argument("features_to_host: feature map strides must be non-negative");
  std::vector<T> span(f.extent());
  Backend::copy_to_host(f.data, std::span<T>(span));
  host_feature_map out{f.batch, f.channels, f.height, f.width, {}};
  out.values.reserve(static_cast<std::size_t>(f.batch) * static_cast<std::size_t>(f.channels) *
                     static_cast<std::size_t>(f.height) * static_cast<std::size_t>(f.width));
  for (int b = 0; b < f.batch; ++b)
    for (int c = 0; c < f.channels; ++c)
      for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < f.width; ++x)
          out.values.push_back(
              static_cast<double>(span[static_cast<std::size_t>(f.offset(b, c, y, x))]));
  return out;
}

}  // namespace ovo
