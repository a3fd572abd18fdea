// Conversion of 8-bit HWC images to normalised float CHW, and the datasets' channel statistics.
#pragma once

#include <array>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/data/image.hpp"

namespace ovo::data {

inline constexpr std::array<float, 3> imagenet_mean{0.485f, 0.456f, 0.406f};
inline constexpr std::array<float, 3> imagenet_std{0.229f, 0.224f, 0.225f};
inline constexpr std::array<float, 3> cifar100_mean{0.5071f, 0.4865f, 0.4409f};
inline constexpr std::array<float, 3> cifar100_std{0.2673f, 0.2564f, 0.2762f};
inline constexpr std::array<float, 1> fashion_mnist_mean{0.2860f};
inline constexpr std::array<float, 1> fashion_mnist_std{0.3530f};

// out[c][y][x] = (pixel / 255 - mean[c]) / std[c], computed in float (ToTensor then Normalize).
inline void to_normalized_chw(const image_u8& img, std::span<const float> mean,
                              std::span<const float> std, float* out) {
  const auto channels = static_cast<std::size_t>(img.channels);
  if (mean.size() != channels || std.size() != channels)
    throw std::invalid_argument(fmt::format(
        "to_normalized_chw: expected a mean and a std per channel ({}), got {} and {} values",
        channels, mean.size(), std.size()));
  const std::size_t plane = static_cast<std::size_t>(img.height) * img.width;
  if (img.pixels.size() != plane * channels)
    throw std::invalid_argument(
        fmt::format("to_normalized_chw: expected {} bytes for a {}x{}x{} image, got {}",
                    plane * channels, img.height, img.width, channels, img.pixels.size()));
  for (std::size_t c = 0; c < channels; ++c) {
    float* o = out + c * plane;
    for (std::size_t p = 0; p < plane; ++p)
      o[p] = (static_cast<float>(img.pixels[p * channels + c]) / 255.0f - mean[c]) / std[c];
  }
}

}  // namespace ovo::data
