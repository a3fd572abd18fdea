// The held-out fitness: held in memory up to its size limit, streamed through the loader beyond it,
// with the same top-1 either way.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using ovo::test::tiny_space;
using backend = ovo::cpu<float>;

// A batch_loader that counts its epochs, i.e. its passes over the held-out images.
struct counting_loader {
  ovo::data::batch_loader<ovo::data::image_set>& inner;
  int epochs = 0;

  const std::vector<std::size_t>& indices() const { return inner.indices(); }
  const ovo::data::augment_options& augment() const { return inner.augment(); }
  void start(std::uint64_t epoch) {
    ++epochs;
    inner.start(epoch);
  }
  std::optional<ovo::data::batch> next() { return inner.next(); }
};

ovo::data::image_set random_set(std::size_t count) {
  ovo::rng_engine rng(3);
  ovo::data::image_set set;
  set.height = set.width = 8;
  set.channels = 2;
  set.classes = 5;
  set.pixels.resize(count * set.image_bytes());
  for (auto& p : set.pixels) p = static_cast<std::uint8_t>(rng() >> 56);
  for (std::size_t i = 0; i < count; ++i) set.labels.push_back(static_cast<int>(i % 5));
  return set;
}

}  // namespace

TEST_CASE("holdout fitness: in memory up to the limit, streamed beyond, the same top-1") {
  const auto set = random_set(20);
  std::vector<std::size_t> indices(set.size());
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  ovo::data::augment_options augment;
  augment.size = 8;
  augment.channels = 2;
  augment.mean = {0.5f, 0.5f};
  augment.std = {0.25f, 0.25f};
  augment.eval_crop_ratio = 1.0;
  ovo::data::batch_loader<ovo::data::image_set> loader(
      set, indices, augment, {.batch_size = 6, .drop_last = false, .train = false, .workers = 0});
  ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 6);
  ovo::rng_engine rng(4);
  net.initialize(rng);

  const std::size_t bytes = 20 * 2 * 8 * 8 * sizeof(float);
  counting_loader held_loader{loader}, streamed_loader{loader};
  const auto held = ovo::make_holdout_fitness(net, held_loader, bytes);
  const auto streamed = ovo::make_holdout_fitness(net, streamed_loader, bytes - 1);
  CHECK(held.held_in_memory());
  CHECK_FALSE(streamed.held_in_memory());
  CHECK(held_loader.epochs == 1);  // read once, at construction
  CHECK(streamed_loader.epochs == 0);
  CHECK(ovo::make_holdout_fitness(net, held_loader).held_in_memory());  // 1 GiB

  for (int trial = 0; trial < 3; ++trial) {
    const auto a = tiny_space::sample(rng);
    const double top1 = held(a);
    CHECK(top1 == streamed(a));
    CHECK(top1 == ovo::streamed_top1(net, a, loader));
  }
  CHECK(held_loader.epochs == 2);      // and once more by the default-limit fitness above
  CHECK(streamed_loader.epochs == 3);  // once per candidate
}
