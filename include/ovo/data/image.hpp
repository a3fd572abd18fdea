// 8-bit images and the in-memory labelled image set that the dataset readers return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ovo::data {

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
