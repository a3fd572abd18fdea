// Batch-level mixup and cutmix with label-smoothed soft targets (timm's Mixup in 'batch' mode).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "ovo/util/random.hpp"

namespace ovo::data {

// A Gamma(shape, 1) draw by Marsaglia and Tsang's method; a shape below 1 draws Gamma(shape + 1)
// and scales it by U^(1 / shape).
inline double sample_gamma(double shape, rng_engine& rng) {
  if (!(shape > 0))
    throw std::invalid_argument(fmt::format("sample_gamma: expected shape > 0, got {}", shape));
  if (shape < 1) {
    const double g = sample_gamma(shape + 1, rng);
    return g * std::pow(1.0 - uniform_unit(rng), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3, c = 1.0 / std::sqrt(9 * d);
  for (;;) {
    const double x = standard_normal(rng);
    const double t = 1 + c * x;
    if (t <= 0) continue;
    const double v = t * t * t;
    const double u = 1.0 - uniform_unit(rng);  // (0, 1]
    if (u < 1 - 0.0331 * x * x * x * x || std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v)))
      return d * v;
  }
}

// A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
inline double sample_beta(double a, double b, rng_engine& rng) {
  const double x = sample_gamma(a, rng), y = sample_gamma(b, rng);
  return x / (x + y);
}

struct mix_options {
  double mixup_alpha = 0.8;   // Beta(alpha, alpha) of the mixup weight; 0: no mixup
  double cutmix_alpha = 1.0;  // Beta(alpha, alpha) of the cutmix area; 0: no cutmix
  double prob = 1.0;          // probability that a batch is mixed at all
  double switch_prob = 0.5;   // probability of cutmix rather than mixup when both are enabled
  double label_smoothing = 0.1;
};

namespace detail {

inline void require_labels(std::span<const int> labels, int classes, std::string_view what) {
  if (classes < 1)
    throw std::invalid_argument(fmt::format("{}: expected classes >= 1, got {}", what, classes));
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      throw std::invalid_argument(
          fmt::format("{}: label {} of sample {} is not in [0, {})", what, labels[i], i, classes));
}

}  // namespace detail

// Label-smoothed one-hot rows [labels.size(), classes]: off = smoothing / classes everywhere and
// on = 1 - smoothing + off at the label (timm's one_hot with smoothing).
inline void smooth_targets(std::span<const int> labels, int classes, double smoothing,
                           float* targets) {
  detail::require_labels(labels, classes, "smooth_targets");
  const double off = smoothing / classes, on = 1.0 - smoothing + off;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    float* row = targets + i * static_cast<std::size_t>(classes);
    std::fill_n(row, classes, static_cast<float>(off));
    row[labels[i]] = static_cast<float>(on);
  }
}

// Mixes a batch of CHW float images [batch, channels, height, width] in place with the batch in
// reverse order (image i with image batch - 1 - i; the middle image of an odd batch with itself),
// as timm's Mixup(mode='batch'). With probability prob the batch is mixed: by cutmix (probability
// switch_prob when both alphas are positive) or else mixup, with lam ~ Beta(alpha, alpha).
// Mixup: image_i = lam image_i + (1 - lam) image_flip(i). Cutmix: a box of area about (1 - lam) of
// the image, centred uniformly and clipped to it (timm's rand_bbox), is taken from image_flip(i),
// and lam becomes 1 - box area / image area. targets [batch, classes] = lam smooth(y_i) +
// (1 - lam) smooth(y_flip(i)); unmixed batches get the smoothed one-hot rows.
inline void mix_batch(float* images, int batch, int channels, int height, int width,
                      std::span<const int> labels, int classes, const mix_options& options,
                      rng_engine& rng, float* targets) {
  if (batch < 1 || channels < 1 || height < 1 || width < 1 ||
      labels.size() != static_cast<std::size_t>(batch))
    throw std::invalid_argument(fmt::format(
        "mix_batch: expected a non-empty batch with one label per image, got {}x{}x{}x{} images "
        "and {} labels",
        batch, channels, height, width, labels.size()));
  if (!(options.mixup_alpha > 0 || options.cutmix_alpha > 0))
    throw std::invalid_argument(
        fmt::format("mix_batch: expected mixup_alpha > 0 or cutmix_alpha > 0, got {} and {}",
                    options.mixup_alpha, options.cutmix_alpha));
  detail::require_labels(labels, classes, "mix_batch");

  double lam = 1.0;
  bool use_cutmix = false;
  if (uniform_unit(rng) < options.prob) {
    if (options.mixup_alpha > 0 && options.cutmix_alpha > 0)
      use_cutmix = uniform_unit(rng) < options.switch_prob;
    else
      use_cutmix = options.cutmix_alpha > 0;
    const double alpha = use_cutmix ? options.cutmix_alpha : options.mixup_alpha;
    lam = sample_beta(alpha, alpha, rng);
  }

  const std::size_t plane = static_cast<std::size_t>(height) * width;
  const std::size_t image_size = plane * static_cast<std::size_t>(channels);
  if (lam != 1.0 && use_cutmix) {
    const double ratio = std::sqrt(1.0 - lam);
    const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
    const int cy = static_cast<int>(uniform_index(rng, static_cast<std::size_t>(height)));
    const int cx = static_cast<int>(uniform_index(rng, static_cast<std::size_t>(width)));
    const int top = std::clamp(cy - cut_h / 2, 0, height);
    const int bottom = std::clamp(cy + cut_h / 2, 0, height);
    const int left = std::clamp(cx - cut_w / 2, 0, width);
    const int right = std::clamp(cx + cut_w / 2, 0, width);
    // Image i takes the box of image batch - 1 - i and the reverse: the pairs swap their boxes.
    for (int i = 0; i < batch / 2; ++i) {
      float* a = images + static_cast<std::size_t>(i) * image_size;
      float* b = images + static_cast<std::size_t>(batch - 1 - i) * image_size;
      for (int c = 0; c < channels; ++c)
        for (int y = top; y < bottom; ++y) {
          const std::size_t row = c * plane + static_cast<std::size_t>(y) * width;
          std::swap_ranges(a + row + left, a + row + right, b + row + left);
        }
    }
    lam = 1.0 - static_cast<double>(bottom - top) * (right - left) / static_cast<double>(plane);
  } else if (lam != 1.0) {
    const float keep = static_cast<float>(lam), take = static_cast<float>(1.0 - lam);
    for (int i = 0; i < (batch + 1) / 2; ++i) {
      float* a = images + static_cast<std::size_t>(i) * image_size;
      float* b = images + static_cast<std::size_t>(batch - 1 - i) * image_size;
      for (std::size_t k = 0; k < image_size; ++k) {
        const float va = a[k], vb = b[k];
        a[k] = va * keep + vb * take;
        b[k] = vb * keep + va * take;
      }
    }
  }

  const double off = options.label_smoothing / classes;
  const double on = 1.0 - options.label_smoothing + off;
  for (int i = 0; i < batch; ++i) {
    float* row = targets + static_cast<std::size_t>(i) * classes;
    std::fill_n(row, classes, static_cast<float>(off));
    const int own = labels[static_cast<std::size_t>(i)];
    const int other = labels[static_cast<std::size_t>(batch - 1 - i)];
    row[own] = static_cast<float>(lam * on + (1 - lam) * off);
    row[other] = static_cast<float>(own == other ? on : (1 - lam) * on + lam * off);
  }
}

}  // namespace ovo::data
