// The prefetching loader: coverage, determinism across workers and runs, resume, errors, shutdown.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ovo/data/loader.hpp"

using namespace ovo::data;

namespace {

// n images of 8 x 8 x 3 whose label is their index (so batches show which samples they hold);
// image(fail_at) throws.
struct indexed_source {
  std::size_t n = 23;
  std::size_t fail_at = static_cast<std::size_t>(-1);
  int classes() const { return static_cast<int>(n); }
  std::size_t size() const { return n; }
  int label(std::size_t i) const { return static_cast<int>(i); }
  image_u8 image(std::size_t i) const {
    if (i == fail_at) throw std::runtime_error("cannot decode image " + std::to_string(i));
    image_u8 img(8, 8, 3);
    for (std::size_t k = 0; k < img.pixels.size(); ++k)
      img.pixels[k] = static_cast<std::uint8_t>((i * 37 + k * 11) % 256);
    return img;
  }
};

std::vector<std::size_t> all_indices(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// The strong training recipe on 8 px images: crop, flip, RandAugment, erasing, mixup/cutmix.
augment_options small_strong() {
  auto o = augment_options::cifar(8);
  o.crop_padding = 1;
  return o;
}

std::vector<batch> epoch_batches(batch_loader<indexed_source>& loader, std::uint64_t epoch,
                                 std::size_t first = 0) {
  loader.start(epoch, first);
  std::vector<batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

bool same_batches(const std::vector<batch>& a, const std::vector<batch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size != b[i].size || a[i].index != b[i].index || a[i].epoch != b[i].epoch ||
        a[i].images != b[i].images || a[i].targets != b[i].targets || a[i].labels != b[i].labels)
      return false;
  return true;
}

}  // namespace

TEST_CASE("data: loader delivers every index exactly once per epoch") {
  const indexed_source source;
  for (const int workers : {0, 2}) {
    batch_loader loader(source, all_indices(23), small_strong(),
                        {.batch_size = 5, .drop_last = false, .workers = workers, .seed = 3});
    CHECK(loader.batches_per_epoch() == 5);
    for (std::uint64_t epoch = 0; epoch < 2; ++epoch) {
      const auto batches = epoch_batches(loader, epoch);
      REQUIRE(batches.size() == 5);
      std::vector<int> seen(23, 0);
      bool shuffled = false;
      for (std::size_t k = 0; k < batches.size(); ++k) {
        const batch& b = batches[k];
        CHECK(b.index == k);
        CHECK(b.epoch == epoch);
        CHECK(b.size == (k < 4 ? 5 : 3));
        CHECK(b.channels == 3);
        CHECK(b.height == 8);
        CHECK(b.classes == 23);
        CHECK(b.images.size() == static_cast<std::size_t>(b.size) * 3 * 8 * 8);
        CHECK(b.targets.size() == static_cast<std::size_t>(b.size) * 23);
        for (int j = 0; j < b.size; ++j) {
          const int label = b.labels[static_cast<std::size_t>(j)];
          ++seen[static_cast<std::size_t>(label)];
          shuffled = shuffled || label != static_cast<int>(k * 5) + j;
          double sum = 0;
          for (int c = 0; c < 23; ++c) sum += b.targets[static_cast<std::size_t>(j * 23 + c)];
          CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
        }
      }
      for (const int count : seen) CHECK(count == 1);
      CHECK(shuffled);
    }
  }
  // drop_last drops the incomplete batch; a subset of indices is all that is read.
  batch_loader loader(source, {2, 4, 6, 8, 10, 12, 14}, small_strong(),
                      {.batch_size = 3, .workers = 1});
  CHECK(loader.batches_per_epoch() == 2);
  const auto batches = epoch_batches(loader, 0);
  REQUIRE(batches.size() == 2);
  for (const auto& b : batches)
    for (const int label : b.labels) CHECK(label % 2 == 0);
}

TEST_CASE("data: loader batches depend on seed and epoch, not on workers or timing") {
  const indexed_source source;
  auto run = [&](int workers, std::uint64_t seed, std::uint64_t epoch, int prefetch = 4) {
    batch_loader loader(source, all_indices(23), small_strong(),
                        {.batch_size = 4,
                         .drop_last = false,
                         .workers = workers,
                         .prefetch = prefetch,
                         .seed = seed});
    return epoch_batches(loader, epoch);
  };
  const auto reference = run(0, 7, 1);
  CHECK(same_batches(run(1, 7, 1), reference));
  CHECK(same_batches(run(3, 7, 1), reference));
  CHECK(same_batches(run(3, 7, 1, 1), reference));
  CHECK(same_batches(run(0, 7, 1), reference));
  CHECK_FALSE(same_batches(run(3, 8, 1), reference));
  CHECK_FALSE(same_batches(run(3, 7, 2), reference));
  // Mixing happened: some targets are neither smoothed one-hot values.
  bool mixed = false;
  for (const auto& b : reference)
    for (const float t : b.targets)
      mixed =
          mixed || (std::abs(t - 0.1f / 23) > 1e-6f && std::abs(t - (0.9f + 0.1f / 23)) > 1e-6f);
  CHECK(mixed);
}

TEST_CASE("data: loader started at batch k gives the tail of the full epoch") {
  const indexed_source source;
  for (const int workers : {0, 2}) {
    batch_loader loader(source, all_indices(23), small_strong(),
                        {.batch_size = 4, .drop_last = true, .workers = workers, .seed = 11});
    const auto full = epoch_batches(loader, 5);
    REQUIRE(full.size() == 5);
    for (std::size_t k : {1, 3, 5}) {
      const auto tail = epoch_batches(loader, 5, k);
      CHECK(
          same_batches(tail, std::vector<batch>(full.begin() + static_cast<long>(k), full.end())));
    }
    CHECK_THROWS_AS(loader.start(5, 6), std::out_of_range);
  }
}

TEST_CASE("data: evaluation loader keeps the order and gives one-hot targets") {
  const indexed_source source;
  const auto options = augment_options::cifar(8);
  batch_loader loader(
      source, {5, 1, 9, 3}, options,
      {.batch_size = 3, .shuffle = true, .drop_last = false, .train = false, .workers = 2});
  const auto batches = epoch_batches(loader, 4);
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].labels == std::vector<int>{5, 1, 9});
  CHECK(batches[1].labels == std::vector<int>{3});
  std::vector<float> expected(3 * 8 * 8);
  eval_sample(source.image(9), options, expected.data());
  CHECK(std::vector<float>(batches[0].images.begin() + 2 * 3 * 8 * 8, batches[0].images.end()) ==
        expected);
  for (int c = 0; c < 23; ++c)
    CHECK(batches[1].targets[static_cast<std::size_t>(c)] == (c == 3 ? 1.0f : 0.0f));
  CHECK(loader.wait_seconds() >= 0.0);
}

TEST_CASE("data: loader rethrows an exception of Source::image with its message") {
  indexed_source source;
  source.fail_at = 9;
  for (const int workers : {0, 1, 3}) {
    batch_loader loader(source, all_indices(23), small_strong(),
                        {.batch_size = 4, .shuffle = false, .workers = workers});
    loader.start(0);
    CHECK(loader.next().has_value());  // samples 0-3
    CHECK(loader.next().has_value());  // samples 4-7
    CHECK_THROWS_WITH_AS(loader.next(), "cannot decode image 9", std::runtime_error);
    CHECK_THROWS_WITH_AS(loader.next(), "cannot decode image 9", std::runtime_error);
    loader.start(1, 3);  // a new start clears the failure: batches 3 and 4 do not read image 9
    CHECK(loader.next().has_value());
    CHECK(loader.next().has_value());
    CHECK_FALSE(loader.next().has_value());
  }
}

TEST_CASE("data: loader stops cleanly mid-epoch and checks its arguments") {
  const indexed_source source;
  {
    batch_loader loader(source, all_indices(23), small_strong(),
                        {.batch_size = 2, .workers = 3, .prefetch = 2});
    loader.start(0);
    CHECK(loader.next().has_value());
    loader.start(1);  // restarts while workers are busy
    CHECK(loader.next()->epoch == 1);
  }  // destroyed mid-epoch: joins without hanging
  {
    batch_loader loader(source, all_indices(23), small_strong(), {.workers = 2});
    CHECK_THROWS_AS(loader.next(), std::logic_error);  // before start()
  }
  CHECK_THROWS_AS(batch_loader(source, {0, 23}, small_strong(), {}), std::out_of_range);
  CHECK_THROWS_AS(batch_loader(source, {0}, small_strong(), {.batch_size = 0}),
                  std::invalid_argument);
  // image_set is a source (classes as a member).
  image_set set;
  set.height = set.width = 8;
  set.channels = 3;
  set.classes = 2;
  set.labels = {0, 1, 1};
  set.pixels.assign(3 * 8 * 8 * 3, 100);
  batch_loader set_loader(set, {0, 1, 2}, small_strong(), {.batch_size = 3, .workers = 1});
  set_loader.start(0);
  const auto b = set_loader.next();
  REQUIRE(b.has_value());
  CHECK(b->labels.size() == 3);
}

TEST_CASE("data: a process's loader builds its shard of every batch, the whole batch's rows") {
  const indexed_source source;
  auto epoch = [&](augment_options augment, int rank, int processes) {
    batch_loader loader(
        source, all_indices(23), std::move(augment),
        {.batch_size = 6, .workers = 2, .seed = 3, .rank = rank, .processes = processes});
    CHECK(loader.rank() == rank);
    CHECK(loader.processes() == processes);
    return epoch_batches(loader, 1);
  };
  auto no_mixing = small_strong();
  no_mixing.use_mix = false;
  const auto whole = epoch(no_mixing, 0, 1);
  REQUIRE(whole.size() == 3);
  for (int rank = 0; rank < 3; ++rank) {
    const auto shard = epoch(no_mixing, rank, 3);
    REQUIRE(shard.size() == whole.size());
    for (std::size_t k = 0; k < whole.size(); ++k) {
      const auto per_image = whole[k].images.size() / 6, per_target = whole[k].targets.size() / 6;
      const auto first = static_cast<std::size_t>(2 * rank);
      CHECK(shard[k].size == 2);
      CHECK(shard[k].labels == std::vector<int>(whole[k].labels.begin() + 2 * rank,
                                                whole[k].labels.begin() + 2 * rank + 2));
      CHECK(std::equal(shard[k].images.begin(), shard[k].images.end(),
                       whole[k].images.begin() + static_cast<std::ptrdiff_t>(first * per_image)));
      CHECK(std::equal(shard[k].targets.begin(), shard[k].targets.end(),
                       whole[k].targets.begin() + static_cast<std::ptrdiff_t>(first * per_target)));
    }
  }
  // Mixing pairs images within the shard: every target row's mass lies on the shard's labels.
  const auto mixed = epoch(small_strong(), 1, 2);
  for (const auto& b : mixed) {
    REQUIRE(b.size == 3);
    for (int r = 0; r < 3; ++r) {
      double on_shard = 0;
      for (const int label : b.labels)
        on_shard += b.targets[static_cast<std::size_t>(r * 23 + label)];
      CHECK(on_shard > 0.9);
    }
  }
  // Shards need whole batches of a size the processes divide.
  CHECK_THROWS_WITH_AS(batch_loader(source, all_indices(23), no_mixing,
                                    {.batch_size = 6, .rank = 0, .processes = 4}),
                       doctest::Contains("a batch of 6 rows for process 0 of 4"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(batch_loader(source, all_indices(23), no_mixing,
                                    {.batch_size = 6, .drop_last = false, .processes = 2}),
                       doctest::Contains("needs drop_last"), std::invalid_argument);
}
