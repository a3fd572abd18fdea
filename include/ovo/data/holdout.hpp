// The search-validation split of a training set: a seeded, fixed number of images per class held
// out.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/util/random.hpp"

namespace ovo::data {

// Indices into a training set: the images left for training and the held-out ones, each ascending.
struct holdout_split {
  std::vector<std::size_t> train, holdout;
};

// Anything with size() images and an integer label(i) per image (image_set, image_folder).
template <class T>
concept labelled_source = requires(const T& source, std::size_t i) {
  { source.size() } -> std::convertible_to<std::size_t>;
  { source.label(i) } -> std::convertible_to<int>;
};

// Holds out `per_class` images of every class (labels 0 .. classes - 1), chosen by a shuffle seeded
// from `seed` and the class, so the same seed always holds out the same images. Every class must
// keep at least one image for training.
inline holdout_split split_holdout(std::span<const int> labels, int classes, int per_class,
                                   std::uint64_t seed) {
  if (classes < 1 || per_class < 0) {
    throw std::invalid_argument(
        fmt::format("split_holdout: {} classes and {} per class, expected at least 1 and 0",
                    classes, per_class));
  }
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) {
      throw std::invalid_argument(fmt::format("split_holdout: label {} of image {}, expected 0..{}",
                                              labels[i], i, classes - 1));
    }
    members[static_cast<std::size_t>(labels[i])].push_back(i);
  }
  std::vector<bool> held_out(labels.size(), false);
  for (int c = 0; c < classes; ++c) {
    auto& indices = members[static_cast<std::size_t>(c)];
    const auto count = static_cast<std::size_t>(per_class);
    if (indices.size() <= count) {
      throw std::invalid_argument(fmt::format(
          "split_holdout: class {} has {} images, expected more than the {} to hold out", c,
          indices.size(), per_class));
    }
    rng_engine rng(derive_seed(seed, static_cast<std::uint64_t>(c)));
    for (std::size_t k = 0; k < count; ++k) {
      std::swap(indices[k], indices[k + uniform_index(rng, indices.size() - k)]);
      held_out[indices[k]] = true;
    }
  }
  holdout_split out;
  const std::size_t holdout_size = static_cast<std::size_t>(classes) * per_class;
  out.holdout.reserve(holdout_size);
  out.train.reserve(labels.size() - holdout_size);
  for (std::size_t i = 0; i < labels.size(); ++i)
    (held_out[i] ? out.holdout : out.train).push_back(i);
  return out;
}

// The same split for a source's labels.
template <labelled_source Source>
holdout_split split_holdout(const Source& source, int classes, int per_class, std::uint64_t seed) {
  std::vector<int> labels(source.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = source.label(i);
  return split_holdout(std::span<const int>(labels), classes, per_class, seed);
}

}  // namespace ovo::data
