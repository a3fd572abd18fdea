// A loader of synthetic labelled batches that are a function of (epoch, index) alone, as the data
// loader's are: images of a class are noise shifted by 0.3 times the class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <ovo/util/random.hpp>

namespace ovo::test {

struct synthetic_batch {
  int size = 0, channels = 2, height = 8, width = 8, classes = 5;
  std::vector<float> images{}, targets{};
  std::vector<int> labels{};
};

struct synthetic_loader {
  int batch = 4, per_epoch = 3;
  int channels = 2, image_size = 8, classes = 5;
  std::uint64_t epoch = 0;
  std::size_t next_index = 0;
  double waited = 0;

  std::size_t batches_per_epoch() const { return static_cast<std::size_t>(per_epoch); }
  void start(std::uint64_t e, std::size_t first = 0) {
    epoch = e;
    next_index = first;
  }
  double wait_seconds() const { return waited; }
  std::optional<synthetic_batch> next() {
    if (next_index == batches_per_epoch()) return std::nullopt;
    rng_engine rng(derive_seed(77, epoch, next_index++));
    synthetic_batch b{.size = batch,
                      .channels = channels,
                      .height = image_size,
                      .width = image_size,
                      .classes = classes};
    for (int i = 0; i < batch; ++i) {
      const int label = static_cast<int>(uniform_index(rng, b.classes));
      b.labels.push_back(label);
      for (int c = 0; c < b.classes; ++c) b.targets.push_back(c == label ? 0.92f : 0.02f);
      for (int p = 0; p < channels * image_size * image_size; ++p)
        b.images.push_back(static_cast<float>(standard_normal(rng) + 0.3 * label));
    }
    return b;
  }
};

}  // namespace ovo::test
