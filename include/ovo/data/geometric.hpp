// Geometric transforms of 8-bit images: crops, flips and bilinear resizing, as torchvision does
// them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/util/random.hpp"

namespace ovo::data {

// Python's round(): the nearest integer, halves to the even neighbour.
inline int round_half_even(double x) {
  const double f = std::floor(x);
  const double d = x - f;
  const bool up = d > 0.5 || (d == 0.5 && std::fmod(f, 2.0) != 0.0);
  return static_cast<int>(f) + (up ? 1 : 0);
}

namespace detail {

inline void require_image(const image_u8& img, std::string_view what) {
  if (img.height < 1 || img.width < 1 || img.channels < 1 ||
      img.pixels.size() != static_cast<std::size_t>(img.height) * img.width * img.channels)
    throw std::invalid_argument(fmt::format(
        "{}: expected a non-empty image with height * width * channels pixels, got {}x{}x{} "
        "with {} bytes",
        what, img.height, img.width, img.channels, img.pixels.size()));
}

inline void require_size(int height, int width, std::string_view what) {
  if (height < 1 || width < 1)
    throw std::invalid_argument(
        fmt::format("{}: expected a positive output size, got {}x{}", what, height, width));
}

}  // namespace detail

// The height x width window whose top-left corner is (top, left) in `in`; the parts of the window
// outside the image are zero (torchvision's crop pads the same way).
inline image_u8 crop(const image_u8& in, int top, int left, int height, int width) {
  detail::require_image(in, "crop");
  detail::require_size(height, width, "crop");
  image_u8 out(height, width, in.channels);
  const int c = in.channels;
  const int x_begin = std::clamp(-left, 0, width), x_end = std::clamp(in.width - left, 0, width);
  for (int y = 0; y < height; ++y) {
    const int sy = y + top;
    if (sy < 0 || sy >= in.height || x_begin >= x_end) continue;
    const std::size_t from = (static_cast<std::size_t>(sy) * in.width + x_begin + left) * c;
    std::copy_n(in.pixels.data() + from, static_cast<std::size_t>(x_end - x_begin) * c,
                &out.at(y, x_begin, 0));
  }
  return out;
}

// torchvision's RandomCrop(size, padding): a uniformly placed size x size window of the image
// padded with `padding` zero pixels on every side.
inline image_u8 random_crop_with_padding(const image_u8& in, int size, int padding,
                                         rng_engine& rng) {
  detail::require_image(in, "random_crop_with_padding");
  detail::require_size(size, size, "random_crop_with_padding");
  if (padding < 0 || in.height + 2 * padding < size || in.width + 2 * padding < size)
    throw std::invalid_argument(fmt::format(
        "random_crop_with_padding: expected padding >= 0 and a padded {}x{} image of at least "
        "{}x{}, got padding {}",
        in.height, in.width, size, size, padding));
  const int top = static_cast<int>(
      uniform_index(rng, static_cast<std::size_t>(in.height + 2 * padding - size + 1)));
  const int left = static_cast<int>(
      uniform_index(rng, static_cast<std::size_t>(in.width + 2 * padding - size + 1)));
  return crop(in, top - padding, left - padding, size, size);
}

// Mirrors the image left to right, in place.
inline void horizontal_flip(image_u8& img) {
  const int c = img.channels;
  for (int y = 0; y < img.height; ++y)
    for (int l = 0, r = img.width - 1; l < r; ++l, --r)
      std::swap_ranges(&img.at(y, l, 0), &img.at(y, l, 0) + c, &img.at(y, r, 0));
}

// torchvision's RandomHorizontalFlip(prob): flips when a uniform draw is below prob.
inline void random_horizontal_flip(image_u8& img, double prob, rng_engine& rng) {
  if (uniform_unit(rng) < prob) horizontal_flip(img);
}

// Bilinear resizing with half-pixel centres and no antialiasing (torchvision's tensor resize with
// antialias=False, PyTorch's align_corners=False): output pixel (y, x) samples the input at
// ((y + 0.5) * in_h / h - 0.5, (x + 0.5) * in_w / w - 0.5), clamped to the image; values are
// rounded half to even.
inline image_u8 resize_bilinear(const image_u8& in, int height, int width) {
  detail::require_image(in, "resize_bilinear");
  detail::require_size(height, width, "resize_bilinear");
  struct tap {
    int i0, i1;
    double w1;
  };
  auto taps = [](int out_size, int in_size) {
    std::vector<tap> t(static_cast<std::size_t>(out_size));
    const double scale = static_cast<double>(in_size) / out_size;
    for (int o = 0; o < out_size; ++o) {
      const double s = std::max((o + 0.5) * scale - 0.5, 0.0);
      const int i0 = std::min(static_cast<int>(s), in_size - 1);
      t[static_cast<std::size_t>(o)] = {i0, std::min(i0 + 1, in_size - 1), s - i0};
    }
    return t;
  };
  const auto ty = taps(height, in.height), tx = taps(width, in.width);
  image_u8 out(height, width, in.channels);
  for (int y = 0; y < height; ++y) {
    const tap& a = ty[static_cast<std::size_t>(y)];
    for (int x = 0; x < width; ++x) {
      const tap& b = tx[static_cast<std::size_t>(x)];
      for (int c = 0; c < in.channels; ++c) {
        const double top = in.at(a.i0, b.i0, c) * (1 - b.w1) + in.at(a.i0, b.i1, c) * b.w1;
        const double bottom = in.at(a.i1, b.i0, c) * (1 - b.w1) + in.at(a.i1, b.i1, c) * b.w1;
        const double v = top * (1 - a.w1) + bottom * a.w1;
        out.at(y, x, c) = static_cast<std::uint8_t>(std::clamp(round_half_even(v), 0, 255));
      }
    }
  }
  return out;
}

// torchvision's CenterCrop(size): the centred size x size window (offsets rounded half to even),
// zero-padded where the image is smaller than the crop.
inline image_u8 center_crop(const image_u8& in, int size) {
  detail::require_image(in, "center_crop");
  detail::require_size(size, size, "center_crop");
  auto offset = [size](int extent) {
    return extent >= size ? round_half_even((extent - size) / 2.0) : -((size - extent) / 2);
  };
  return crop(in, offset(in.height), offset(in.width), size, size);
}

// The evaluation transform of folder data (torchvision Resize(resize_to) then CenterCrop(crop),
// e.g. 256 then 224): the shorter side is resized to resize_to (the longer one to
// floor(resize_to * long / short)), unless it already has that length, then the centre is cropped.
inline image_u8 resize_shorter_then_center_crop(const image_u8& in, int resize_to, int crop_size) {
  detail::require_image(in, "resize_shorter_then_center_crop");
  detail::require_size(resize_to, crop_size, "resize_shorter_then_center_crop");
  const int shorter = std::min(in.height, in.width), longer = std::max(in.height, in.width);
  if (shorter == resize_to) return center_crop(in, crop_size);
  const int resized_longer = static_cast<int>(static_cast<long long>(resize_to) * longer / shorter);
  const bool portrait = in.width <= in.height;
  return center_crop(resize_bilinear(in, portrait ? resized_longer : resize_to,
                                     portrait ? resize_to : resized_longer),
                     crop_size);
}

// torchvision's RandomResizedCrop(size, scale, ratio) with bilinear resizing: up to 10 tries of a
// window with area fraction uniform in [scale_min, scale_max] and aspect ratio (width / height)
// log-uniform in [ratio_min, ratio_max] that fits the image, placed uniformly; when none fits, the
// centred window of the image clamped to the ratio range. The window is resized to size x size.
inline image_u8 random_resized_crop(const image_u8& in, int size, rng_engine& rng,
                                    double scale_min = 0.08, double scale_max = 1.0,
                                    double ratio_min = 3.0 / 4, double ratio_max = 4.0 / 3) {
  detail::require_image(in, "random_resized_crop");
  detail::require_size(size, size, "random_resized_crop");
  if (!(0 < scale_min && scale_min <= scale_max) || !(0 < ratio_min && ratio_min <= ratio_max))
    throw std::invalid_argument(fmt::format(
        "random_resized_crop: expected 0 < scale_min <= scale_max and 0 < ratio_min <= ratio_max, "
        "got scale [{}, {}] and ratio [{}, {}]",
        scale_min, scale_max, ratio_min, ratio_max));
  const double area = static_cast<double>(in.height) * in.width;
  const double log_min = std::log(ratio_min), log_max = std::log(ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * (scale_min + (scale_max - scale_min) * uniform_unit(rng));
    const double ratio = std::exp(log_min + (log_max - log_min) * uniform_unit(rng));
    const int w = round_half_even(std::sqrt(target_area * ratio));
    const int h = round_half_even(std::sqrt(target_area / ratio));
    if (0 < w && w <= in.width && 0 < h && h <= in.height) {
      const int top =
          static_cast<int>(uniform_index(rng, static_cast<std::size_t>(in.height - h + 1)));
      const int left =
          static_cast<int>(uniform_index(rng, static_cast<std::size_t>(in.width - w + 1)));
      return resize_bilinear(crop(in, top, left, h, w), size, size);
    }
  }
  const double in_ratio = static_cast<double>(in.width) / in.height;
  int w = in.width, h = in.height;
  if (in_ratio < ratio_min)
    h = round_half_even(w / ratio_min);
  else if (in_ratio > ratio_max)
    w = round_half_even(h * ratio_max);
  return resize_bilinear(crop(in, (in.height - h) / 2, (in.width - w) / 2, h, w), size, size);
}

}  // namespace ovo::data
