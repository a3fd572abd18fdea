// The seeds a run derives: the command's held-out split and initial weights are the library's for
// the same seed, and other seeds give others; the durations the budget options read.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

#include <ovo/ovo.hpp>

#include "../data/format_writers.hpp"
#include "common/pipeline.hpp"

namespace {

template <class Net>
std::vector<float> weights(const Net& net) {
  return {net.parameters().values(), net.parameters().values() + net.parameters().size()};
}

}  // namespace

TEST_CASE("seeds: each purpose's seed is fixed, so that runs replay across versions") {
  CHECK(ovo::seeds::holdout(0) == 0xf25d90e54a44bb45);
  CHECK(ovo::seeds::initial_weights(0) == 0x59d8970641578edf);
  CHECK(ovo::seeds::step(0, 3) == 0x1c463e7433025f34);
  CHECK(ovo::seeds::holdout(1) != ovo::seeds::holdout(0));
  CHECK(ovo::seeds::initial_weights(0) != ovo::seeds::holdout(0));
  CHECK(ovo::seeds::step(0, 4) != ovo::seeds::step(0, 3));
}

TEST_CASE("seeds: the command's held-out split and initial weights are the library's") {
  using space = ovo::fashion_mnist_space;
  const auto train = ovo::test::random_image_set(80, 28, 28, 1, 10, 5);
  ovo::app::run_config c;
  c.holdout_per_class = 3;
  c.batch_size = c.eval_batch = 1;
  std::vector<std::vector<std::size_t>> holdouts;
  std::vector<std::vector<float>> initial;
  for (const std::uint64_t seed : {0, 7}) {
    CAPTURE(seed);
    c.seed = seed;
    const auto split = ovo::app::split_for(c, train);
    const auto library_split = ovo::data::split_holdout(train, 10, 3, ovo::seeds::holdout(seed));
    CHECK(split.holdout == library_split.holdout);
    CHECK(split.train == library_split.train);
    holdouts.push_back(split.holdout);

    const auto net = ovo::app::make_supernet<space>(c);
    ovo::vit_supernet<ovo::cpu<float>> library_net(space::shape(), 1);
    ovo::rng_engine init(ovo::seeds::initial_weights(seed));
    library_net.initialize(init);
    CHECK(weights(net) == weights(library_net));
    initial.push_back(weights(net));
  }
  CHECK(holdouts[0] != holdouts[1]);
  CHECK(initial[0] != initial[1]);
}

TEST_CASE("durations of the budget options: units, sums of parts as printed, and refusals") {
  using ovo::app::parse_duration;
  CHECK(parse_duration("90", "--time-budget") == 90);
  CHECK(parse_duration("90s", "--time-budget") == 90);
  CHECK(parse_duration("7.5m", "--time-budget") == 450);
  CHECK(parse_duration("1h", "--time-budget") == 3600);
  CHECK(parse_duration("13m30s", "--time-budget") == 810);
  CHECK(parse_duration("1h30m", "--time-budget") == 5400);
  CHECK(parse_duration(ovo::app::format_duration(810), "--time-budget") == 810);
  for (const char* bad : {"", "m", "7x", "-5m", "7m-3s", "7 m", "inf", "nan"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_duration(bad, "--search-budget"),
                         doctest::Contains("expected a duration such as 90s, 7m, 13m30s or 1h"),
                         CLI::ValidationError);
  }
}
