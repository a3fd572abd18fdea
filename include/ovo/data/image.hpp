// 8-bit images and the in-memory labelled image set that the dataset readers return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace ovo::data {

// The most pixels a decoder accepts in one image, 2^26 (8192 x 8192): a larger size read from a
// file is refused before anything is allocated. Decoding an image of this size takes at most about
// 1 GiB (the RGB output, a CMYK intermediate, libjpeg's coefficients of a progressive file), so
// two loader threads, or a fuzzer under its default 2 GiB limit, stay within memory.
inline constexpr std::uint64_t max_decoded_pixels = std::uint64_t{1} << 26;

// Throws, naming the format and `what_for_errors`, unless width x height is a positive size of at
// most max_decoded_pixels.
inline void check_decoded_size(std::string_view format, std::uint64_t width, std::uint64_t height,
                               const std::string& what_for_errors) {
  if (width < 1 || height < 1 || width > max_decoded_pixels || height > max_decoded_pixels ||
      width * height > max_decoded_pixels) {
    throw std::runtime_error(
        fmt::format("{} '{}': {} x {} pixels, expected a positive size of at most {} pixels",
                    format, what_for_errors, width, height, max_decoded_pixels));
  }
}

// One 8-bit image, pixels in HWC order (row-major, channels interleaved).
struct image_u8 {
  int height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> pixels;

  image_u8() = default;
  image_u8(int h, int w, int c)
      : height(h), width(w), channels(c), pixels(static_cast<std::size_t>(h) * w * c) {}
  std::uint8_t& at(int y, int x, int c) {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
  std::uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

// Labelled images of one size held in memory (MNIST, CIFAR): image i's HWC bytes are
// pixels[i * height * width * channels, ...). Labels are 0 .. classes - 1.
struct image_set {
  int height = 0, width = 0, channels = 0, classes = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<int> labels;
  std::vector<std::string> class_names;  // empty when the format has none

  std::size_t size() const { return labels.size(); }
  std::size_t image_bytes() const { return static_cast<std::size_t>(height) * width * channels; }
  int label(std::size_t i) const { return labels[i]; }
  std::span<const std::uint8_t> bytes(std::size_t i) const {
    return {pixels.data() + i * image_bytes(), image_bytes()};
  }
  image_u8 image(std::size_t i) const {
    image_u8 out(height, width, channels);
    const auto b = bytes(i);
    out.pixels.assign(b.begin(), b.end());
    return out;
  }
};

}  // namespace ovo::data
