// The training and evaluation pipelines of one sample as configuration, with the datasets' presets.
#pragma once

#include <cmath>
#include <span>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/geometric.hpp"
#include "ovo/data/image.hpp"
#include "ovo/data/mixing.hpp"
#include "ovo/data/normalize.hpp"
#include "ovo/data/rand_augment.hpp"
#include "ovo/data/random_erasing.hpp"
#include "ovo/util/random.hpp"

namespace ovo::data {

// How a training image is cropped to the output size.
enum class train_crop {
  padded_random_crop,   // images of the output size (others resized to it first): RandomCrop
                        // with zero padding, for small images (MNIST, CIFAR at 32 px)
  random_resized_crop,  // RandomResizedCrop straight to the output size, for larger images
};

struct augment_options {
  int size = 224;    // output height and width
  int channels = 3;  // the images' channels, 1 or 3
  std::vector<float> mean{imagenet_mean.begin(), imagenet_mean.end()};
  std::vector<float> std{imagenet_std.begin(), imagenet_std.end()};

  // Training: crop, flip, RandAugment, normalise, random erasing; mixing is per batch.
  train_crop crop = train_crop::random_resized_crop;
  int crop_padding = 4;                             // padded_random_crop
  double scale_min = 0.08, scale_max = 1.0;         // random_resized_crop
  double ratio_min = 3.0 / 4, ratio_max = 4.0 / 3;  // random_resized_crop
  double flip_prob = 0.5;
  bool use_rand_augment = false;
  rand_augment_options rand_augment;
  random_erasing_options erasing{.prob = 0};
  bool use_mix = false;  // mixup / cutmix of training batches
  mix_options mix;       // mix.label_smoothing smooths every training target, mixed or not

  // Evaluation: the shorter side is resized to floor(size / eval_crop_ratio) (left alone when it
  // already has that length), then the centre size x size is cropped. With ratio 1, an image of
  // the output size passes unchanged.
  double eval_crop_ratio = 0.875;

  // 28 px grayscale: pad-2 random crop and flip, label smoothing 0.1, nothing else.
  static augment_options fashion_mnist() {
    augment_options o;
    o.size = 28;
    o.channels = 1;
    o.mean.assign(fashion_mnist_mean.begin(), fashion_mnist_mean.end());
    o.std.assign(fashion_mnist_std.begin(), fashion_mnist_std.end());
    o.crop = train_crop::padded_random_crop;
    o.crop_padding = 2;
    o.mix.label_smoothing = 0.1;
    o.eval_crop_ratio = 1.0;
    return o;
  }

  // DeiT/AutoFormer's CIFAR recipe with CIFAR-100 statistics. At 32 px (or less): pad-4 random
  // crop and flip, evaluation unchanged; larger: random resized crop of the 32 px image straight
  // to the output size and flip, evaluation resized to size / 0.875 and centre-cropped. Both:
  // RandAugment m9-mstd0.5, random erasing 0.25, mixup 0.8 / cutmix 1.0, label smoothing 0.1.
  static augment_options cifar(int image_size) {
    augment_options o = strong(image_size);
    o.mean.assign(cifar100_mean.begin(), cifar100_mean.end());
    o.std.assign(cifar100_std.begin(), cifar100_std.end());
    if (image_size <= 32) {
      o.crop = train_crop::padded_random_crop;
      o.crop_padding = 4;
      o.eval_crop_ratio = 1.0;
    }
    return o;
  }

  // timm's ImageNet training recipe (AutoFormer's): random resized crop, flip, RandAugment
  // m9-mstd0.5, random erasing 0.25, mixup 0.8 / cutmix 1.0, label smoothing 0.1; evaluation
  // resized to size / 0.875 (256 for 224) and centre-cropped.
  static augment_options imagenet(int image_size = 224) { return strong(image_size); }

  // These options without augmentation: a training image is only normalised (after a resize of
  // its shorter side and a centre crop when it is not of the output size); label smoothing, the
  // statistics and the evaluation transform are kept.
  augment_options without_augmentation() const {
    augment_options o = *this;
    o.crop = train_crop::padded_random_crop;
    o.crop_padding = 0;
    o.flip_prob = 0;
    o.use_rand_augment = false;
    o.erasing.prob = 0;
    o.use_mix = false;
    return o;
  }

 private:
  static augment_options strong(int image_size) {
    augment_options o;
    o.size = image_size;
    o.crop = train_crop::random_resized_crop;
    o.use_rand_augment = true;
    o.erasing.prob = 0.25;
    o.use_mix = true;
    o.eval_crop_ratio = 0.875;
    return o;
  }
};

namespace detail {

inline void require_sample(const image_u8& in, const augment_options& options,
                           std::string_view what) {
  require_image(in, what);
  if (in.channels != options.channels)
    throw std::invalid_argument(fmt::format("{}: expected an image with {} channels, got {}", what,
                                            options.channels, in.channels));
  if (options.size < 1)
    throw std::invalid_argument(
        fmt::format("{}: expected a positive output size, got {}", what, options.size));
}

}  // namespace detail

// One training sample: crop to size x size, random flip, RandAugment when enabled, normalise into
// out_chw [channels, size, size], random erasing when its probability is positive.
inline void train_sample(const image_u8& in, const augment_options& options, rng_engine& rng,
                         float* out_chw) {
  detail::require_sample(in, options, "train_sample");
  image_u8 img;
  if (options.crop == train_crop::padded_random_crop) {
    if (in.height == options.size && in.width == options.size)
      img = random_crop_with_padding(in, options.size, options.crop_padding, rng);
    else
      img =
          random_crop_with_padding(resize_shorter_then_center_crop(in, options.size, options.size),
                                   options.size, options.crop_padding, rng);
  } else {
    img = random_resized_crop(in, options.size, rng, options.scale_min, options.scale_max,
                              options.ratio_min, options.ratio_max);
  }
  random_horizontal_flip(img, options.flip_prob, rng);
  if (options.use_rand_augment) rand_augment(img, options.rand_augment, rng);
  to_normalized_chw(img, options.mean, options.std, out_chw);
  if (options.erasing.prob > 0)
    random_erasing(out_chw, img.channels, img.height, img.width, options.erasing, rng);
}

// One evaluation sample: resize of the shorter side and centre crop (see eval_crop_ratio), then
// normalise into out_chw [channels, size, size].
inline void eval_sample(const image_u8& in, const augment_options& options, float* out_chw) {
  detail::require_sample(in, options, "eval_sample");
  if (!(options.eval_crop_ratio > 0 && options.eval_crop_ratio <= 1))
    throw std::invalid_argument(fmt::format(
        "eval_sample: expected eval_crop_ratio in (0, 1], got {}", options.eval_crop_ratio));
  const int resize_to = static_cast<int>(std::floor(options.size / options.eval_crop_ratio));
  to_normalized_chw(resize_shorter_then_center_crop(in, resize_to, options.size), options.mean,
                    options.std, out_chw);
}

}  // namespace ovo::data
