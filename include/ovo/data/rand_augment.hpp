// RandAugment with timm's "increasing" operations (rand-m9-mstd0.5-inc1, AutoFormer's default).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/geometric.hpp"
#include "ovo/data/image.hpp"
#include "ovo/util/random.hpp"

namespace ovo::data {

// The colour that geometric operations give to pixels from outside the image (timm's default).
inline constexpr std::uint8_t rand_augment_fill = 128;

namespace detail {

using lookup_table = std::array<std::uint8_t, 256>;

inline void apply_lookup(image_u8& img, int channel, const lookup_table& lut) {
  for (std::size_t i = static_cast<std::size_t>(channel); i < img.pixels.size();
       i += static_cast<std::size_t>(img.channels))
    img.pixels[i] = lut[img.pixels[i]];
}

inline std::array<std::size_t, 256> histogram(const image_u8& img, int channel) {
  std::array<std::size_t, 256> h{};
  for (std::size_t i = static_cast<std::size_t>(channel); i < img.pixels.size();
       i += static_cast<std::size_t>(img.channels))
    ++h[img.pixels[i]];
  return h;
}

template <class F>
void map_pixels(image_u8& img, F f) {
  lookup_table lut;
  for (int v = 0; v < 256; ++v) lut[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(f(v));
  for (int c = 0; c < img.channels; ++c) apply_lookup(img, c, lut);
}

inline void require_gray_or_rgb(const image_u8& img, std::string_view what) {
  if (img.channels != 1 && img.channels != 3)
    throw std::invalid_argument(
        fmt::format("{}: expected a 1- or 3-channel image, got {} channels", what, img.channels));
}

// PIL's conversion to "L" (ITU-R 601-2 luma in 16-bit fixed point); a 1-channel image is its own.
inline std::uint8_t luma(const image_u8& img, std::size_t pixel) {
  const std::uint8_t* p = img.pixels.data() + pixel * static_cast<std::size_t>(img.channels);
  if (img.channels == 1) return p[0];
  return static_cast<std::uint8_t>((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

// PIL's Image.blend(degenerate, img, factor): degenerate + factor * (img - degenerate) in float,
// clamped to [0, 255] and truncated.
inline void blend_from(image_u8& img, const image_u8& degenerate, double factor) {
  const float f = static_cast<float>(factor);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) {
    const float d = degenerate.pixels[i];
    const float v = d + f * (static_cast<float>(img.pixels[i]) - d);
    img.pixels[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : static_cast<std::uint8_t>(v);
  }
}

// PIL's Image.transform(AFFINE, (a, b, c, d, e, f)) with bilinear sampling: the centre (x + 0.5,
// y + 0.5) of each output pixel maps to the input point (a x' + b y' + c, d x' + e y' + f);
// points outside the input get `fill`, the others are interpolated between the four nearest pixel
// centres (edge pixels repeated) and rounded.
inline void affine_transform(image_u8& img, const std::array<double, 6>& m, std::uint8_t fill) {
  image_u8 out(img.height, img.width, img.channels);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const double xc = x + 0.5, yc = y + 0.5;
      const double u = m[0] * xc + m[1] * yc + m[2], v = m[3] * xc + m[4] * yc + m[5];
      if (!(u >= 0 && u < img.width && v >= 0 && v < img.height)) {
        std::fill_n(&out.at(y, x, 0), img.channels, fill);
        continue;
      }
      const double px = u - 0.5, py = v - 0.5;
      const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
      const double fx = px - x0, fy = py - y0;
      const int xa = std::max(x0, 0), xb = std::min(x0 + 1, img.width - 1);
      const int ya = std::max(y0, 0), yb = std::min(y0 + 1, img.height - 1);
      for (int c = 0; c < img.channels; ++c) {
        const double top = img.at(ya, xa, c) * (1 - fx) + img.at(ya, xb, c) * fx;
        const double bottom = img.at(yb, xa, c) * (1 - fx) + img.at(yb, xb, c) * fx;
        const double value = top * (1 - fy) + bottom * fy;
        out.at(y, x, c) = static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
      }
    }
  }
  img = std::move(out);
}

}  // namespace detail

// PIL's ImageOps.autocontrast: each channel's range [min, max] is stretched to [0, 255]
// (truncating); a constant channel is left as it is.
inline void auto_contrast(image_u8& img) {
  for (int c = 0; c < img.channels; ++c) {
    const auto h = detail::histogram(img, c);
    int lo = 0, hi = 255;
    while (lo < 255 && h[static_cast<std::size_t>(lo)] == 0) ++lo;
    while (hi > 0 && h[static_cast<std::size_t>(hi)] == 0) --hi;
    if (hi <= lo) continue;
    const double scale = 255.0 / (hi - lo), offset = -lo * scale;
    detail::lookup_table lut;
    for (int v = 0; v < 256; ++v)
      lut[static_cast<std::size_t>(v)] =
          static_cast<std::uint8_t>(std::clamp(static_cast<int>(v * scale + offset), 0, 255));
    detail::apply_lookup(img, c, lut);
  }
}

// PIL's ImageOps.equalize: each channel's values are mapped through its cumulative histogram so
// that they spread evenly over [0, 255]; a channel with one value is left as it is.
inline void equalize(image_u8& img) {
  for (int c = 0; c < img.channels; ++c) {
    const auto h = detail::histogram(img, c);
    std::size_t total = 0, last = 0;
    for (const std::size_t n : h) {
      total += n;
      if (n != 0) last = n;
    }
    const std::size_t step = (total - last) / 255;
    if (step == 0) continue;
    detail::lookup_table lut;
    std::size_t n = step / 2;
    for (std::size_t v = 0; v < 256; ++v) {
      lut[v] = static_cast<std::uint8_t>(std::min<std::size_t>(n / step, 255));
      n += h[v];
    }
    detail::apply_lookup(img, c, lut);
  }
}

// ImageOps.invert: 255 - value.
inline void invert(image_u8& img) {
  detail::map_pixels(img, [](int v) { return 255 - v; });
}

// ImageOps.posterize: keeps the `bits` most significant bits of every value (8 or more: no change).
inline void posterize(image_u8& img, int bits) {
  if (bits >= 8) return;
  const int mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1) & 0xff;
  detail::map_pixels(img, [mask](int v) { return v & mask; });
}

// ImageOps.solarize: values at or above the threshold are inverted.
inline void solarize(image_u8& img, int threshold) {
  detail::map_pixels(img, [threshold](int v) { return v < threshold ? v : 255 - v; });
}

// timm's solarize_add: `add` is added (saturating) to values below the threshold.
inline void solarize_add(image_u8& img, int add, int threshold = 128) {
  detail::map_pixels(img, [=](int v) { return v < threshold ? std::min(255, v + add) : v; });
}

// ImageEnhance.Color: blends with the image's grayscale version (factor 0: gray, 1: unchanged).
// A 1-channel image is its own grayscale version, so it does not change.
inline void adjust_color(image_u8& img, double factor) {
  detail::require_gray_or_rgb(img, "adjust_color");
  image_u8 gray(img.height, img.width, img.channels);
  const std::size_t n = static_cast<std::size_t>(img.height) * img.width;
  for (std::size_t p = 0; p < n; ++p)
    std::fill_n(gray.pixels.data() + p * img.channels, img.channels, detail::luma(img, p));
  detail::blend_from(img, gray, factor);
}

// ImageEnhance.Contrast: blends with a constant image of the rounded mean grayscale value.
inline void adjust_contrast(image_u8& img, double factor) {
  detail::require_gray_or_rgb(img, "adjust_contrast");
  const std::size_t n = static_cast<std::size_t>(img.height) * img.width;
  double sum = 0;
  for (std::size_t p = 0; p < n; ++p) sum += detail::luma(img, p);
  image_u8 mean(img.height, img.width, img.channels);
  std::fill(mean.pixels.begin(), mean.pixels.end(),
            static_cast<std::uint8_t>(static_cast<int>(sum / static_cast<double>(n) + 0.5)));
  detail::blend_from(img, mean, factor);
}

// ImageEnhance.Brightness: blends with black.
inline void adjust_brightness(image_u8& img, double factor) {
  detail::blend_from(img, image_u8(img.height, img.width, img.channels), factor);
}

// ImageEnhance.Sharpness: blends with PIL's SMOOTH filter of the image (3x3 kernel 1 1 1 / 1 5 1 /
// 1 1 1 over 13, rounded; border pixels kept), so factors above 1 sharpen.
inline void adjust_sharpness(image_u8& img, double factor) {
  image_u8 smooth = img;
  for (int y = 1; y + 1 < img.height; ++y)
    for (int x = 1; x + 1 < img.width; ++x)
      for (int c = 0; c < img.channels; ++c) {
        int sum = 4 * img.at(y, x, c);
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) sum += img.at(y + dy, x + dx, c);
        smooth.at(y, x, c) = static_cast<std::uint8_t>((sum + 6) / 13);
      }
  detail::blend_from(img, smooth, factor);
}

// PIL's Image.rotate(degrees) about the image centre, counter-clockwise for positive degrees
// (cosine and sine rounded to 15 decimals as PIL does, so multiples of 90 degrees are exact).
inline void rotate(image_u8& img, double degrees, std::uint8_t fill = rand_augment_fill) {
  const double t = -degrees * std::numbers::pi / 180.0;
  auto round15 = [](double v) { return std::round(v * 1e15) / 1e15; };
  const double cs = round15(std::cos(t)), sn = round15(std::sin(t));
  const double cx = img.width / 2.0, cy = img.height / 2.0;
  // input = M (output - centre) + centre with M = [cos t, sin t; -sin t, cos t].
  detail::affine_transform(img, {cs, sn, cx - cs * cx - sn * cy, -sn, cs, cy + sn * cx - cs * cy},
                           fill);
}

// timm's shear_x: the output point (x, y) shows the input point (x + factor y, y).
inline void shear_x(image_u8& img, double factor, std::uint8_t fill = rand_augment_fill) {
  detail::affine_transform(img, {1, factor, 0, 0, 1, 0}, fill);
}

// timm's shear_y: the output point (x, y) shows the input point (x, y + factor x).
inline void shear_y(image_u8& img, double factor, std::uint8_t fill = rand_augment_fill) {
  detail::affine_transform(img, {1, 0, 0, factor, 1, 0}, fill);
}

// timm's translate_x_abs: the output point (x, y) shows the input point (x + pixels, y).
inline void translate_x(image_u8& img, double pixels, std::uint8_t fill = rand_augment_fill) {
  detail::affine_transform(img, {1, 0, pixels, 0, 1, 0}, fill);
}

// timm's translate_y_abs: the output point (x, y) shows the input point (x, y + pixels).
inline void translate_y(image_u8& img, double pixels, std::uint8_t fill = rand_augment_fill) {
  detail::affine_transform(img, {1, 0, 0, 0, 1, pixels}, fill);
}

// timm's _RAND_INCREASING_TRANSFORMS, in its order.
enum class rand_augment_op {
  auto_contrast,
  equalize,
  invert,
  rotate,
  posterize_increasing,
  solarize_increasing,
  solarize_add,
  color_increasing,
  contrast_increasing,
  brightness_increasing,
  sharpness_increasing,
  shear_x,
  shear_y,
  translate_x_rel,
  translate_y_rel,
};
inline constexpr int rand_augment_op_count = 15;

// Applies one operation at a magnitude in [0, 10] with timm's level-to-argument mappings; signed
// operations (rotate, shears, translations, the enhance factors' offsets) draw a random sign.
inline void apply_rand_augment_op(image_u8& img, rand_augment_op op, double magnitude,
                                  rng_engine& rng) {
  const double level = magnitude / 10.0;
  auto signed_level = [&](double scale) {
    const double v = level * scale;
    return uniform_unit(rng) > 0.5 ? -v : v;
  };
  auto enhance_factor = [&] { return std::max(0.1, 1.0 + signed_level(0.9)); };
  switch (op) {
    case rand_augment_op::auto_contrast:
      return auto_contrast(img);
    case rand_augment_op::equalize:
      return equalize(img);
    case rand_augment_op::invert:
      return invert(img);
    case rand_augment_op::rotate:
      return rotate(img, signed_level(30.0));
    case rand_augment_op::posterize_increasing:
      return posterize(img, 4 - static_cast<int>(level * 4));
    case rand_augment_op::solarize_increasing:
      return solarize(img, 256 - std::min(256, static_cast<int>(level * 256)));
    case rand_augment_op::solarize_add:
      return solarize_add(img, std::min(128, static_cast<int>(level * 110)));
    case rand_augment_op::color_increasing:
      return adjust_color(img, enhance_factor());
    case rand_augment_op::contrast_increasing:
      return adjust_contrast(img, enhance_factor());
    case rand_augment_op::brightness_increasing:
      return adjust_brightness(img, enhance_factor());
    case rand_augment_op::sharpness_increasing:
      return adjust_sharpness(img, enhance_factor());
    case rand_augment_op::shear_x:
      return shear_x(img, signed_level(0.3));
    case rand_augment_op::shear_y:
      return shear_y(img, signed_level(0.3));
    case rand_augment_op::translate_x_rel:
      return translate_x(img, signed_level(0.45) * img.width);
    case rand_augment_op::translate_y_rel:
      return translate_y(img, signed_level(0.45) * img.height);
  }
  throw std::invalid_argument(
      fmt::format("apply_rand_augment_op: unknown operation {}", static_cast<int>(op)));
}

struct rand_augment_options {
  int ops = 2;           // operations per image, drawn uniformly with replacement
  double magnitude = 9;  // of 10
  // Per-operation normal noise on the magnitude; infinity: uniform in [0, magnitude].
  double magnitude_std = 0.5;
  double prob = 0.5;  // each chosen operation is applied with this probability
};

// timm's RandAugment: draws `ops` operations, then for each: skip it unless a uniform draw is at
// most prob, draw its magnitude (noise clipped to [0, 10]) and apply it.
inline void rand_augment(image_u8& img, const rand_augment_options& options, rng_engine& rng) {
  if (options.ops < 0)
    throw std::invalid_argument(
        fmt::format("rand_augment: expected ops >= 0, got {}", options.ops));
  detail::require_gray_or_rgb(img, "rand_augment");
  std::vector<rand_augment_op> chosen(static_cast<std::size_t>(options.ops));
  for (auto& op : chosen)
    op = static_cast<rand_augment_op>(uniform_index(rng, rand_augment_op_count));
  for (const auto op : chosen) {
    if (options.prob < 1.0 && uniform_unit(rng) > options.prob) continue;
    double magnitude = options.magnitude;
    if (std::isinf(options.magnitude_std))
      magnitude = options.magnitude * uniform_unit(rng);
    else if (options.magnitude_std > 0)
      magnitude += options.magnitude_std * standard_normal(rng);
    apply_rand_augment_op(img, op, std::clamp(magnitude, 0.0, 10.0), rng);
  }
}

}  // namespace ovo::data
