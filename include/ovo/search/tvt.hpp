// TVT: training-free ViT search for distillation from a ConvNet teacher. The teacher-aware score
// compares the attention maps of the student's and the teacher's last feature maps; the
// capability score is the size of the student's layer weights.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/weight_norm.hpp"

namespace ovo {

// Both scores, each higher for a better student.
struct tvt_scores {
  double teacher_aware = 0, capability = 0;
};

// One scalar map per image on the host: values [images, height, width], row-major.
struct spatial_maps {
  int images = 0, height = 0, width = 0;
  std::vector<double> values;

  std::size_t positions() const {
    return static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  }
  double at(int image, int y, int x) const { return values[index(image, y, x)]; }
  double& at(int image, int y, int x) { return values[index(image, y, x)]; }

 private:
  std::size_t index(int image, int y, int x) const {
    return static_cast<std::size_t>(image) * positions() +
           static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
  }
};

// The mean over channels of f squared at each position of each image.
inline spatial_maps channel_energy(const host_feature_map& f) {
  spatial_maps out{f.batch, f.height, f.width, {}};
  out.values.assign(static_cast<std::size_t>(f.batch) * out.positions(), 0.0);
  for (int b = 0; b < f.batch; ++b)
    for (int c = 0; c < f.channels; ++c)
      for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < f.width; ++x) out.at(b, y, x) += f.at(b, c, y, x) * f.at(b, c, y, x);
  for (auto& v : out.values) v /= f.channels;
  return out;
}

// Each map resized to height x width. When the map's sides are multiples of the target's, each
// target position is the mean of the block of positions it covers (average pooling); otherwise
// bilinear interpolation as PyTorch's F.interpolate(mode="bilinear", align_corners=False) without
// antialiasing: source coordinate (i + 0.5) * in / out - 0.5, clamped at 0 and at the last row and
// column. Throws std::invalid_argument on a target side below 1.
inline spatial_maps resize_maps(const spatial_maps& maps, int height, int width) {
  if (height < 1 || width < 1)
    throw std::invalid_argument(
        fmt::format("resize_maps: target {}x{}, expected sides of at least 1", height, width));
  if (height == maps.height && width == maps.width) return maps;
  spatial_maps out{maps.images, height, width, {}};
  out.values.assign(static_cast<std::size_t>(maps.images) * out.positions(), 0.0);
  if (maps.height % height == 0 && maps.width % width == 0) {
    const int fy = maps.height / height, fx = maps.width / width;
    for (int i = 0; i < maps.images; ++i)
      for (int y = 0; y < maps.height; ++y)
        for (int x = 0; x < maps.width; ++x)
          out.at(i, y / fy, x / fx) += maps.at(i, y, x) / (fy * fx);
    return out;
  }
  // The two source indices and the weight of the second for target index i of n from `in`.
  struct taps {
    int first, second;
    double weight;
  };
  const auto source = [](int i, int in, int n) {
    const double s = std::max((i + 0.5) * in / n - 0.5, 0.0);
    const int first = std::min(static_cast<int>(s), in - 1);
    return taps{first, std::min(first + 1, in - 1), s - first};
  };
  for (int y = 0; y < height; ++y) {
    const auto ty = source(y, maps.height, height);
    for (int x = 0; x < width; ++x) {
      const auto tx = source(x, maps.width, width);
      for (int i = 0; i < maps.images; ++i) {
        const double top = (1 - tx.weight) * maps.at(i, ty.first, tx.first) +
                           tx.weight * maps.at(i, ty.first, tx.second);
        const double bottom = (1 - tx.weight) * maps.at(i, ty.second, tx.first) +
                              tx.weight * maps.at(i, ty.second, tx.second);
        out.at(i, y, x) = (1 - ty.weight) * top + ty.weight * bottom;
      }
    }
  }
  return out;
}

// Each map divided by its L2 norm over the positions (F.normalize: by max(norm, 1e-12)).
inline spatial_maps normalise_maps(spatial_maps maps) {
  const std::size_t n = maps.positions();
  for (int i = 0; i < maps.images; ++i) {
    const auto first =
        maps.values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * n);
    double squares = 0;
    for (auto v = first; v != first + static_cast<std::ptrdiff_t>(n); ++v) squares += *v * *v;
    const double norm = std::max(std::sqrt(squares), 1e-12);
    for (auto v = first; v != first + static_cast<std::ptrdiff_t>(n); ++v) *v /= norm;
  }
  return maps;
}

// The attention map AT(f) on a height x width grid: the channel energy of f, resized, normalised.
inline spatial_maps attention_maps(const spatial_maps& energy, int height, int width) {
  return normalise_maps(resize_maps(energy, height, width));
}

// TVT's teacher-aware score from the channel energies of the student's and the teacher's last
// feature maps on the same images: both resized to the coarser grid (the smaller side in each
// direction), AT as attention_maps, score = -mean over images and positions of (AT_s - AT_t)^2.
// Throws std::invalid_argument when the image counts differ.
inline double teacher_aware_score(const spatial_maps& student_energy,
                                  const spatial_maps& teacher_energy) {
  if (student_energy.images != teacher_energy.images)
    throw std::invalid_argument(
        fmt::format("teacher_aware_score: student maps of {} images, teacher maps of {}, expected "
                    "the same images",
                    student_energy.images, teacher_energy.images));
  const int height = std::min(student_energy.height, teacher_energy.height);
  const int width = std::min(student_energy.width, teacher_energy.width);
  const auto s = attention_maps(student_energy, height, width);
  const auto t = attention_maps(teacher_energy, height, width);
  double squares = 0;
  for (std::size_t i = 0; i < s.values.size(); ++i)
    squares += (s.values[i] - t.values[i]) * (s.values[i] - t.values[i]);
  return -squares / static_cast<double>(s.values.size());
}

// The channel energy of the last feature map of subnet `a` of `net` on `images` (an evaluation
// pass). For the frozen teacher, computed once per batch (a resnet's one arch is net.arch()).
template <supernet Net>
requires feature_network<Net> spatial_maps
last_feature_energy(Net& net, const arch_of<Net>& a, const image_batch<scalar_of<Net>>& images) {
  net.forward(images, a, forward_mode::eval());
  return channel_energy(features_to_host<typename Net::backend>(net.last_features()));
}

// Both TVT scores of student `a` on `images`, given the teacher's energy on the same images
// (last_feature_energy of the teacher). The capability score is weight_norm_score.
template <supernet Net>
requires feature_network<Net> tvt_scores tvt_score(Net& net, const arch_of<Net>& a,
                                                   const image_batch<scalar_of<Net>>& images,
                                                   const spatial_maps& teacher_energy) {
  return {teacher_aware_score(last_feature_energy(net, a, images), teacher_energy),
          weight_norm_score(net, a)};
}

}  // namespace ovo
