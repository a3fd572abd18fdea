// Geometric transforms, RandAugment, normalisation, random erasing, mixup/cutmix and the pipelines.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

#include "ovo/data/augment.hpp"
#include "ovo/data/geometric.hpp"
#include "ovo/data/mixing.hpp"
#include "ovo/data/normalize.hpp"
#include "ovo/data/rand_augment.hpp"
#include "ovo/data/random_erasing.hpp"

using namespace ovo::data;
using ovo::rng_engine;

namespace {

image_u8 random_image(int h, int w, int c, std::uint64_t seed) {
  rng_engine rng(seed);
  image_u8 img(h, w, c);
  for (auto& p : img.pixels) p = static_cast<std::uint8_t>(ovo::uniform_index(rng, 256));
  return img;
}

// The image surrounded by `padding` zero pixels on every side.
image_u8 zero_padded(const image_u8& in, int padding) {
  image_u8 out(in.height + 2 * padding, in.width + 2 * padding, in.channels);
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(y + padding, x + padding, c) = in.at(y, x, c);
  return out;
}

bool is_window(const image_u8& big, const image_u8& small, int top, int left) {
  for (int y = 0; y < small.height; ++y)
    for (int x = 0; x < small.width; ++x)
      for (int c = 0; c < small.channels; ++c)
        if (small.at(y, x, c) != big.at(y + top, x + left, c)) return false;
  return true;
}

bool same(const image_u8& a, const image_u8& b) {
  return a.height == b.height && a.width == b.width && a.channels == b.channels &&
         a.pixels == b.pixels;
}

}  // namespace

TEST_CASE("data: random crop with padding is a window of the zero-padded image") {
  const image_u8 img = random_image(5, 7, 3, 11);
  const int size = 5, padding = 2;
  const image_u8 padded = zero_padded(img, padding);
  std::set<std::pair<int, int>> seen;
  rng_engine rng(3);
  for (int draw = 0; draw < 2000; ++draw) {
    rng_engine replay = rng;  // the offsets the crop will draw: top, then left
    const int top = static_cast<int>(ovo::uniform_index(replay, 5 + 2 * padding - size + 1));
    const int left = static_cast<int>(ovo::uniform_index(replay, 7 + 2 * padding - size + 1));
    const image_u8 out = random_crop_with_padding(img, size, padding, rng);
    REQUIRE(out.height == size);
    REQUIRE(out.width == size);
    REQUIRE(is_window(padded, out, top, left));
    seen.insert({top, left});
  }
  CHECK(seen.size() == 5 * 7);  // every offset of the padded image
  CHECK_THROWS_AS(random_crop_with_padding(img, 10, 2, rng), std::invalid_argument);
}

TEST_CASE("data: horizontal flip mirrors columns and twice is the identity") {
  const image_u8 img = random_image(4, 5, 3, 1);
  image_u8 f = img;
  horizontal_flip(f);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) CHECK(f.at(y, x, c) == img.at(y, 4 - x, c));
  horizontal_flip(f);
  CHECK(same(f, img));
  rng_engine rng(5);
  image_u8 never = img, always = img;
  random_horizontal_flip(never, 0.0, rng);
  random_horizontal_flip(always, 1.0, rng);
  CHECK(same(never, img));
  horizontal_flip(always);
  CHECK(same(always, img));
}

TEST_CASE("data: bilinear resize keeps constants, ramps and sizes") {
  image_u8 constant(9, 13, 3);
  std::fill(constant.pixels.begin(), constant.pixels.end(), std::uint8_t{77});
  for (const auto& [h, w] : {std::pair{4, 5}, std::pair{9, 13}, std::pair{31, 17}}) {
    const image_u8 r = resize_bilinear(constant, h, w);
    CHECK(r.height == h);
    CHECK(r.width == w);
    CHECK(std::all_of(r.pixels.begin(), r.pixels.end(), [](std::uint8_t p) { return p == 77; }));
  }
  // A horizontal ramp 4 x: halving averages neighbours exactly, upscaling follows the half-pixel
  // source positions, the same size is the identity.
  image_u8 ramp(3, 16, 1);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 16; ++x) ramp.at(y, x, 0) = static_cast<std::uint8_t>(4 * x);
  const image_u8 half = resize_bilinear(ramp, 3, 8);
  for (int x = 0; x < 8; ++x) CHECK(half.at(1, x, 0) == 8 * x + 2);
  const image_u8 up = resize_bilinear(ramp, 3, 40);
  for (int x = 0; x < 40; ++x) {
    const double source = std::clamp((x + 0.5) * 16 / 40 - 0.5, 0.0, 15.0);
    CHECK(std::abs(up.at(2, x, 0) - 4 * source) <= 0.5 + 1e-9);
  }
  CHECK(same(resize_bilinear(ramp, 3, 16), ramp));
}

TEST_CASE("data: centre crops and the resize of the shorter side") {
  const image_u8 img = random_image(10, 9, 3, 2);
  // Offsets round half to even: (10 - 4) / 2 = 3, (9 - 4) / 2 = 2.5 -> 2.
  CHECK(same(center_crop(img, 4), crop(img, 3, 2, 4, 4)));
  // A crop larger than the image pads with zeros around the centred image.
  const image_u8 big = center_crop(random_image(2, 2, 1, 3), 4);
  CHECK(big.at(0, 0, 0) == 0);
  CHECK(big.at(3, 3, 0) == 0);
  CHECK(big.at(1, 1, 0) == random_image(2, 2, 1, 3).at(0, 0, 0));
  // Shorter side already of the length: only the crop.
  CHECK(same(resize_shorter_then_center_crop(img, 9, 8), center_crop(img, 8)));
  // 20 x 30 -> shorter 16, longer floor(16 * 30 / 20) = 24, then the centre 14 x 14.
  const image_u8 wide = random_image(20, 30, 3, 4);
  CHECK(same(resize_shorter_then_center_crop(wide, 16, 14),
             center_crop(resize_bilinear(wide, 16, 24), 14)));
  // Upscale then crop (the 256 / 224 evaluation transform).
  const image_u8 eval = resize_shorter_then_center_crop(random_image(8, 12, 3, 5), 256, 224);
  CHECK(eval.height == 224);
  CHECK(eval.width == 224);
  CHECK(round_half_even(2.5) == 2);
  CHECK(round_half_even(3.5) == 4);
  CHECK(round_half_even(-0.5) == 0);
  CHECK(round_half_even(2.6) == 3);
}

TEST_CASE("data: random resized crop sizes, full-scale crops and the fallback") {
  rng_engine rng(7);
  const image_u8 square = random_image(20, 20, 3, 6);
  for (int i = 0; i < 20; ++i) {
    const image_u8 out = random_resized_crop(square, 12, rng);
    CHECK(out.height == 12);
    CHECK(out.width == 12);
    CHECK(out.channels == 3);
  }
  // Scale 1 and ratio 1 of a square image: the whole image, resized.
  CHECK(same(random_resized_crop(square, 12, rng, 1.0, 1.0, 1.0, 1.0),
             resize_bilinear(square, 12, 12)));
  // A 10 x 20 image cannot hold a square of its full area: after 10 tries, the centred window
  // clamped to ratio 1 (10 x 10 at column 5).
  const image_u8 wide = random_image(10, 20, 3, 7);
  CHECK(same(random_resized_crop(wide, 8, rng, 1.0, 1.0, 1.0, 1.0),
             resize_bilinear(crop(wide, 0, 5, 10, 10), 8, 8)));
  CHECK_THROWS_AS(random_resized_crop(wide, 8, rng, 0.5, 0.1), std::invalid_argument);
}

TEST_CASE("data: RandAugment colour operations") {
  const image_u8 img = random_image(6, 7, 3, 8);
  image_u8 x = img;
  invert(x);
  CHECK(x.pixels[0] == 255 - img.pixels[0]);
  invert(x);
  CHECK(same(x, img));

  // Autocontrast stretches each channel's [min, max] to [0, 255].
  image_u8 low(4, 4, 3);
  for (std::size_t i = 0; i < low.pixels.size(); ++i)
    low.pixels[i] = static_cast<std::uint8_t>(50 + (i * 37) % 151);  // values in [50, 200]
  auto_contrast(low);
  for (int c = 0; c < 3; ++c) {
    int lo = 255, hi = 0;
    for (int y = 0; y < 4; ++y)
      for (int xx = 0; xx < 4; ++xx) {
        lo = std::min<int>(lo, low.at(y, xx, c));
        hi = std::max<int>(hi, low.at(y, xx, c));
      }
    CHECK(lo == 0);
    CHECK(hi == 255);
  }

  // Equalize spreads a ramp over the lower half (0, 2, ..., 126) to a near-flat histogram: the
  // fraction of values below t is about t / 256 (the input's is twice that up to 128).
  image_u8 ramp(64, 64, 1);
  for (int y = 0; y < 64; ++y)
    for (int xx = 0; xx < 64; ++xx) ramp.at(y, xx, 0) = static_cast<std::uint8_t>(2 * xx);
  equalize(ramp);
  for (int t = 32; t < 256; t += 32) {
    const auto below = std::count_if(ramp.pixels.begin(), ramp.pixels.end(),
                                     [t](std::uint8_t v) { return v < t; });
    CHECK(std::abs(static_cast<double>(below) / ramp.pixels.size() - t / 256.0) < 0.07);
  }
  CHECK(std::set<std::uint8_t>(ramp.pixels.begin(), ramp.pixels.end()).size() >= 60);
  CHECK(*std::max_element(ramp.pixels.begin(), ramp.pixels.end()) == 255);

  image_u8 p(1, 4, 1);
  p.pixels = {0, 100, 127, 200};
  image_u8 q = p;
  posterize(q, 1);
  CHECK(q.pixels == std::vector<std::uint8_t>{0, 0, 0, 128});
  q = p;
  solarize(q, 128);
  CHECK(q.pixels == std::vector<std::uint8_t>{0, 100, 127, 55});
  q = p;
  solarize_add(q, 50);
  CHECK(q.pixels == std::vector<std::uint8_t>{50, 150, 177, 200});

  x = img;
  adjust_brightness(x, 1.0);
  CHECK(same(x, img));
  adjust_brightness(x, 0.0);
  CHECK(std::all_of(x.pixels.begin(), x.pixels.end(), [](std::uint8_t v) { return v == 0; }));
  x = img;
  adjust_sharpness(x, 1.0);
  CHECK(same(x, img));
  x = img;
  adjust_color(x, 0.0);  // gray: equal channels, PIL's luma
  CHECK(x.at(2, 3, 0) == x.at(2, 3, 1));
  CHECK(x.at(2, 3, 1) == x.at(2, 3, 2));
  CHECK(x.at(2, 3, 0) ==
        (img.at(2, 3, 0) * 19595 + img.at(2, 3, 1) * 38470 + img.at(2, 3, 2) * 7471 + 0x8000) >>
            16);
  image_u8 gray = random_image(5, 5, 1, 9), g = gray;
  adjust_color(g, 0.3);  // a grayscale image is its own gray version
  CHECK(same(g, gray));
  adjust_contrast(g, 0.0);
  const double mean =
      std::accumulate(gray.pixels.begin(), gray.pixels.end(), 0.0) / gray.pixels.size();
  CHECK(std::all_of(g.pixels.begin(), g.pixels.end(),
                    [&](std::uint8_t v) { return v == static_cast<int>(mean + 0.5); }));
}

TEST_CASE("data: RandAugment geometric operations") {
  const image_u8 img = random_image(6, 6, 3, 10);
  image_u8 x = img;
  rotate(x, 0.0);
  CHECK(same(x, img));
  shear_x(x, 0.0);
  shear_y(x, 0.0);
  translate_x(x, 0.0);
  translate_y(x, 0.0);
  CHECK(same(x, img));
  // 90 degrees counter-clockwise: the top-right corner goes to the top-left.
  x = img;
  rotate(x, 90.0);
  for (int y = 0; y < 6; ++y)
    for (int xx = 0; xx < 6; ++xx)
      for (int c = 0; c < 3; ++c) CHECK(x.at(y, xx, c) == img.at(xx, 5 - y, c));
  // Whole-pixel translation shows the shifted image and fills the rest with 128.
  x = img;
  translate_x(x, 2.0);
  for (int y = 0; y < 6; ++y)
    for (int xx = 0; xx < 6; ++xx)
      CHECK(x.at(y, xx, 1) == (xx + 2 < 6 ? img.at(y, xx + 2, 1) : rand_augment_fill));
  x = img;
  translate_y(x, -1.0);
  for (int xx = 0; xx < 6; ++xx) {
    CHECK(x.at(0, xx, 0) == rand_augment_fill);
    CHECK(x.at(3, xx, 0) == img.at(2, xx, 0));
  }
}

TEST_CASE("data: RandAugment is deterministic for a seed and keeps the shape") {
  const rand_augment_options options;
  for (const int channels : {1, 3}) {
    const image_u8 img = random_image(12, 10, channels, 12);
    int changed = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      image_u8 a = img, b = img;
      rng_engine ra(seed), rb(seed);
      rand_augment(a, options, ra);
      rand_augment(b, options, rb);
      CHECK(same(a, b));
      CHECK(a.height == 12);
      CHECK(a.width == 10);
      CHECK(a.channels == channels);
      changed += a.pixels != img.pixels;
    }
    CHECK(changed >= 10);  // 2 ops at probability 0.5: untouched in about 1 of 4 images
    for (int op = 0; op < rand_augment_op_count; ++op) {
      image_u8 a = img;
      rng_engine rng(static_cast<std::uint64_t>(op));
      apply_rand_augment_op(a, static_cast<rand_augment_op>(op), 9.0, rng);
      CHECK(a.pixels.size() == img.pixels.size());
    }
  }
  image_u8 two(4, 4, 2);
  rng_engine rng(1);
  CHECK_THROWS_AS(rand_augment(two, options, rng), std::invalid_argument);
}

TEST_CASE("data: normalisation to CHW float") {
  image_u8 img(2, 3, 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i)
    img.pixels[i] = static_cast<std::uint8_t>(i * 13);
  std::vector<float> out(img.pixels.size());
  to_normalized_chw(img, imagenet_mean, imagenet_std, out.data());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        CHECK(out[static_cast<std::size_t>((c * 2 + y) * 3 + x)] ==
              (static_cast<float>(img.at(y, x, c)) / 255.0f - imagenet_mean[c]) / imagenet_std[c]);
  image_u8 gray(1, 1, 1);
  gray.pixels = {255};
  float v = 0;
  to_normalized_chw(gray, fashion_mnist_mean, fashion_mnist_std, &v);
  CHECK(v == (1.0f - 0.2860f) / 0.3530f);
  CHECK_THROWS_AS(to_normalized_chw(gray, imagenet_mean, imagenet_std, &v), std::invalid_argument);
}

TEST_CASE("data: label smoothing rows") {
  const std::vector<int> labels{0, 3, 4};
  std::vector<float> t(3 * 5);
  smooth_targets(labels, 5, 0.1, t.data());
  for (int i = 0; i < 3; ++i) {
    float sum = 0;
    for (int k = 0; k < 5; ++k) {
      const float v = t[static_cast<std::size_t>(i * 5 + k)];
      sum += v;
      CHECK(v == doctest::Approx(k == labels[static_cast<std::size_t>(i)] ? 0.92 : 0.02));
    }
    CHECK(sum == doctest::Approx(1.0));
  }
  const std::vector<int> bad{5};
  CHECK_THROWS_AS(smooth_targets(bad, 5, 0.1, t.data()), std::invalid_argument);
}

TEST_CASE("data: Gamma and Beta samplers match their moments") {
  const int n = 40000;
  for (const double shape : {0.5, 0.8, 1.0, 2.5}) {
    rng_engine rng(static_cast<std::uint64_t>(shape * 100));
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += sample_gamma(shape, rng);
    // Gamma(k, 1): mean k, variance k.
    CHECK(std::abs(sum / n - shape) < 5 * std::sqrt(shape / n));
  }
  for (const double a : {0.8, 1.0}) {
    rng_engine rng(42);
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
      const double x = sample_beta(a, a, rng);
      REQUIRE(x >= 0.0);
      REQUIRE(x <= 1.0);
      sum += x;
      sum_sq += x * x;
    }
    const double variance = 1.0 / (4 * (2 * a + 1));  // of Beta(a, a)
    const double mean = sum / n;
    CHECK(std::abs(mean - 0.5) < 5 * std::sqrt(variance / n));
    CHECK(sum_sq / n - mean * mean == doctest::Approx(variance).epsilon(0.05));
  }
}

namespace {

struct mix_case {
  int batch = 4, channels = 2, height = 6, width = 7, classes = 5;
  std::vector<int> labels{0, 1, 2, 3};
  std::vector<float> images, original, targets;

  explicit mix_case(std::uint64_t seed) {
    rng_engine rng(seed);
    images.resize(static_cast<std::size_t>(batch * channels * height * width));
    for (auto& v : images) v = static_cast<float>(ovo::standard_normal(rng));
    original = images;
    targets.resize(static_cast<std::size_t>(batch * classes));
  }
  std::size_t image_size() const { return static_cast<std::size_t>(channels * height * width); }
  float target(int i, int k) const { return targets[static_cast<std::size_t>(i * classes + k)]; }
  void check_rows_sum_to_one() const {
    for (int i = 0; i < batch; ++i) {
      double sum = 0;
      for (int k = 0; k < classes; ++k) sum += target(i, k);
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    }
  }
  // lam from image i's own label weight: lam on + (1 - lam) off.
  double lambda(int i, double smoothing) const {
    const double off = smoothing / classes, on = 1 - smoothing + off;
    return (target(i, labels[static_cast<std::size_t>(i)]) - off) / (on - off);
  }
};

}  // namespace

TEST_CASE("data: mixup mixes each image with its flipped partner by the targets' lambda") {
  const mix_options options{.mixup_alpha = 0.8, .cutmix_alpha = 0.0, .label_smoothing = 0.1};
  std::set<int> lambdas;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    mix_case m(seed);
    rng_engine rng(seed);
    mix_batch(m.images.data(), m.batch, m.channels, m.height, m.width, m.labels, m.classes, options,
              rng, m.targets.data());
    m.check_rows_sum_to_one();
    const double lam = m.lambda(0, 0.1);
    CHECK(lam > 0.0);
    CHECK(lam < 1.0);
    lambdas.insert(static_cast<int>(lam * 1000));
    for (int i = 0; i < m.batch; ++i) {
      CHECK(m.lambda(i, 0.1) == doctest::Approx(lam).epsilon(1e-5));
      const float* a = m.original.data() + static_cast<std::size_t>(i) * m.image_size();
      const float* b = m.original.data() + static_cast<std::size_t>(3 - i) * m.image_size();
      const float* mixed = m.images.data() + static_cast<std::size_t>(i) * m.image_size();
      for (std::size_t k = 0; k < m.image_size(); ++k)
        REQUIRE(mixed[k] == doctest::Approx(lam * a[k] + (1 - lam) * b[k]).epsilon(1e-5));
    }
  }
  CHECK(lambdas.size() >= 8);
}

TEST_CASE("data: cutmix takes a box of the flipped partner whose area is the target weight") {
  const mix_options options{.mixup_alpha = 0.0, .cutmix_alpha = 1.0, .label_smoothing = 0.0};
  int boxes = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    mix_case m(seed);
    rng_engine rng(seed);
    mix_batch(m.images.data(), m.batch, m.channels, m.height, m.width, m.labels, m.classes, options,
              rng, m.targets.data());
    m.check_rows_sum_to_one();
    for (int i = 0; i < m.batch; ++i) {
      const std::size_t base = static_cast<std::size_t>(i) * m.image_size();
      const std::size_t partner = static_cast<std::size_t>(3 - i) * m.image_size();
      int from_partner = 0, top = m.height, bottom = 0, left = m.width, right = 0;
      for (int y = 0; y < m.height; ++y)
        for (int x = 0; x < m.width; ++x) {
          bool own = true, theirs = true;
          for (int c = 0; c < m.channels; ++c) {
            const std::size_t k = static_cast<std::size_t>((c * m.height + y) * m.width + x);
            own = own && m.images[base + k] == m.original[base + k];
            theirs = theirs && m.images[base + k] == m.original[partner + k];
          }
          REQUIRE(own != theirs);  // all channels of a pixel from exactly one of the pair
          if (theirs) {
            ++from_partner;
            top = std::min(top, y);
            bottom = std::max(bottom, y + 1);
            left = std::min(left, x);
            right = std::max(right, x + 1);
          }
        }
      if (from_partner > 0) CHECK(from_partner == (bottom - top) * (right - left));  // a box
      const double partner_weight = m.target(i, m.labels[static_cast<std::size_t>(3 - i)]);
      CHECK(partner_weight ==
            doctest::Approx(static_cast<double>(from_partner) / (m.height * m.width)));
      boxes += from_partner > 0;
    }
  }
  CHECK(boxes > 40);
}

TEST_CASE("data: unmixed batches keep their images and get smoothed one-hot targets") {
  mix_case m(1);
  rng_engine rng(1);
  mix_batch(m.images.data(), m.batch, m.channels, m.height, m.width, m.labels, m.classes,
            {.prob = 0.0, .label_smoothing = 0.1}, rng, m.targets.data());
  CHECK(m.images == m.original);
  std::vector<float> expected(m.targets.size());
  smooth_targets(m.labels, m.classes, 0.1, expected.data());
  CHECK(m.targets == expected);
  CHECK_THROWS_AS(
      mix_batch(m.images.data(), m.batch, m.channels, m.height, m.width, m.labels, m.classes,
                {.mixup_alpha = 0, .cutmix_alpha = 0}, rng, m.targets.data()),
      std::invalid_argument);
}

TEST_CASE("data: random erasing fills one rectangle with fresh values") {
  const int channels = 3, height = 20, width = 24;
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  std::vector<float> image(channels * plane);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i) * 1e-3f;
  const random_erasing_options always{.prob = 1.0};
  int erased = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    std::vector<float> x = image;
    rng_engine rng(seed);
    random_erasing(x.data(), channels, height, width, always, rng);
    int top = height, bottom = 0, left = width, right = 0, changed = 0;
    for (int y = 0; y < height; ++y)
      for (int xx = 0; xx < width; ++xx) {
        const std::size_t k = static_cast<std::size_t>(y) * width + xx;
        if (x[k] == image[k]) continue;
        ++changed;
        top = std::min(top, y);
        bottom = std::max(bottom, y + 1);
        left = std::min(left, xx);
        right = std::max(right, xx + 1);
      }
    if (changed == 0) continue;
    ++erased;
    CHECK(changed == (bottom - top) * (right - left));
    CHECK(changed <= plane / 3 + width);  // area fraction up to 1/3, rounded sides
    CHECK(changed >= static_cast<int>(0.02 * plane) - width);
    for (int c = 0; c < channels; ++c)  // every channel of the box, nothing outside it
      for (int y = 0; y < height; ++y)
        for (int xx = 0; xx < width; ++xx) {
          const std::size_t k = c * plane + static_cast<std::size_t>(y) * width + xx;
          const bool inside = y >= top && y < bottom && xx >= left && xx < right;
          REQUIRE((x[k] != image[k]) == inside);
        }
  }
  CHECK(erased >= 25);
  std::vector<float> x = image;
  rng_engine rng(1);
  random_erasing(x.data(), channels, height, width, {.prob = 0.0}, rng);
  CHECK(x == image);
}

TEST_CASE("data: augmentation presets") {
  const auto f = augment_options::fashion_mnist();
  CHECK(f.size == 28);
  CHECK(f.channels == 1);
  CHECK(f.crop == train_crop::padded_random_crop);
  CHECK(f.crop_padding == 2);
  CHECK_FALSE(f.use_rand_augment);
  CHECK_FALSE(f.use_mix);
  CHECK(f.erasing.prob == 0.0);
  CHECK(f.mix.label_smoothing == 0.1);
  const auto c32 = augment_options::cifar(32);
  CHECK(c32.crop == train_crop::padded_random_crop);
  CHECK(c32.crop_padding == 4);
  CHECK(c32.eval_crop_ratio == 1.0);
  const auto c224 = augment_options::cifar(224);
  CHECK(c224.crop == train_crop::random_resized_crop);
  CHECK(c224.eval_crop_ratio == 0.875);
  for (const auto& o : {c32, c224, augment_options::imagenet()}) {
    CHECK(o.channels == 3);
    CHECK(o.use_rand_augment);
    CHECK(o.rand_augment.magnitude == 9.0);
    CHECK(o.rand_augment.magnitude_std == 0.5);
    CHECK(o.erasing.prob == 0.25);
    CHECK(o.use_mix);
    CHECK(o.mix.mixup_alpha == 0.8);
    CHECK(o.mix.cutmix_alpha == 1.0);
    CHECK(o.mix.label_smoothing == 0.1);
  }
  CHECK(augment_options::imagenet().size == 224);
  CHECK(augment_options::imagenet().mean[0] == imagenet_mean[0]);
}

TEST_CASE("data: training and evaluation samples") {
  // Evaluation of an image of the output size with ratio 1 is plain normalisation.
  const auto f = augment_options::fashion_mnist();
  const image_u8 digit = random_image(28, 28, 1, 20);
  std::vector<float> out(28 * 28), expected(28 * 28);
  eval_sample(digit, f, out.data());
  to_normalized_chw(digit, f.mean, f.std, expected.data());
  CHECK(out == expected);
  // Training: a window of the padded image, maybe flipped.
  rng_engine rng(4);
  train_sample(digit, f, rng, out.data());
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return std::isfinite(v); }));

  // ImageNet evaluation: shorter side to 256, centre 224.
  const auto in = augment_options::imagenet();
  const image_u8 photo = random_image(30, 40, 3, 21);
  std::vector<float> big(3 * 224 * 224), big_expected(3 * 224 * 224);
  eval_sample(photo, in, big.data());
  to_normalized_chw(resize_shorter_then_center_crop(photo, 256, 224), in.mean, in.std,
                    big_expected.data());
  CHECK(big == big_expected);

  // CIFAR images for a 224 space; the same seed gives the same sample.
  const auto c = augment_options::cifar(224);
  const image_u8 small = random_image(32, 32, 3, 22);
  std::vector<float> a(3 * 224 * 224), b(3 * 224 * 224);
  rng_engine ra(9), rb(9);
  train_sample(small, c, ra, a.data());
  train_sample(small, c, rb, b.data());
  CHECK(a == b);
  // 32 px CIFAR in a 64 px space with the small-image crop: resized first.
  auto c64 = augment_options::cifar(32);
  c64.size = 64;
  std::vector<float> d(3 * 64 * 64);
  train_sample(small, c64, ra, d.data());
  CHECK(std::all_of(d.begin(), d.end(), [](float v) { return std::isfinite(v); }));

  CHECK_THROWS_AS(train_sample(digit, c, ra, a.data()), std::invalid_argument);  // 1 channel
  CHECK_THROWS_AS(eval_sample(small, f, out.data()), std::invalid_argument);     // 3 channels
}
