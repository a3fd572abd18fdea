// timm's RandomErasing in 'pixel' mode on a normalised CHW float image.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/data/geometric.hpp"
#include "ovo/util/random.hpp"

namespace ovo::data {

struct random_erasing_options {
  double prob = 0.25;                            // 0: never erase
  double scale_min = 0.02, scale_max = 1.0 / 3;  // erased area as a fraction of the image
  double ratio_min = 0.3, ratio_max = 1 / 0.3;   // height / width, drawn log-uniformly
  int attempts = 10;
};

// With probability prob, tries up to `attempts` rectangles (area fraction uniform in the scale
// range, log-uniform aspect ratio, placed uniformly) and fills the first one that is smaller than
// the image in both directions with standard normal values, one per pixel and channel.
inline void random_erasing(float* chw, int channels, int height, int width,
                           const random_erasing_options& options, rng_engine& rng) {
  if (channels < 1 || height < 1 || width < 1)
    throw std::invalid_argument(fmt::format(
        "random_erasing: expected a non-empty image, got {}x{}x{}", channels, height, width));
  if (!(0 <= options.scale_min && options.scale_min <= options.scale_max) ||
      !(0 < options.ratio_min && options.ratio_min <= options.ratio_max))
    throw std::invalid_argument(fmt::format(
        "random_erasing: expected 0 <= scale_min <= scale_max and 0 < ratio_min <= ratio_max, "
        "got scale [{}, {}] and ratio [{}, {}]",
        options.scale_min, options.scale_max, options.ratio_min, options.ratio_max));
  if (options.prob <= 0 || uniform_unit(rng) > options.prob) return;
  const double area = static_cast<double>(height) * width;
  const double log_min = std::log(options.ratio_min), log_max = std::log(options.ratio_max);
  for (int attempt = 0; attempt < options.attempts; ++attempt) {
    const double target_area =
        area * (options.scale_min + (options.scale_max - options.scale_min) * uniform_unit(rng));
    const double ratio = std::exp(log_min + (log_max - log_min) * uniform_unit(rng));
    const int h = round_half_even(std::sqrt(target_area * ratio));
    const int w = round_half_even(std::sqrt(target_area / ratio));
    if (w >= width || h >= height) continue;
    const int top = static_cast<int>(uniform_index(rng, static_cast<std::size_t>(height - h + 1)));
    const int left = static_cast<int>(uniform_index(rng, static_cast<std::size_t>(width - w + 1)));
    for (int c = 0; c < channels; ++c)
      for (int y = top; y < top + h; ++y) {
        float* row = chw + (static_cast<std::size_t>(c) * height + y) * width;
        for (int x = left; x < left + w; ++x) row[x] = static_cast<float>(standard_normal(rng));
      }
    return;
  }
}

}  // namespace ovo::data
