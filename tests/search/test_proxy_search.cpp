// Training-free search: a proxy as the fitness of random search and evolution, TVT fused over the
// candidates (random) or against a reference sample (evolution), within the cost constraint.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using space = ovo::test::tiny_space;
using backend = ovo::cpu<float>;
using net_type = ovo::vit_supernet<backend>;

// A tiny ViT at initialisation, a ResNet-8 teacher on its images (both 2 x 2 feature grids), and
// a scorer of four labelled images.
struct proxy_fixture {
  net_type net{space::shape(), 4};
  ovo::resnet<backend> teacher{{.depth = 8, .classes = 5, .channels = 2, .height = 8, .width = 8},
                               4};
  std::vector<float> images;
  std::vector<int> labels{0, 3, 1, 4};
  std::optional<ovo::proxy_scorer<space, net_type>> scorer;

  proxy_fixture() {
    ovo::rng_engine rng(21);
    net.initialize(rng);
    teacher.initialize(rng);
    const auto pixels = ovo::test::random_vector(4 * 2 * 8 * 8, 22);
    images.assign(pixels.begin(), pixels.end());
    scorer.emplace(net, ovo::image_batch<float>{images.data(), 4, 2, 8, 8}, labels);
    scorer->set_teacher(teacher, teacher.arch());
  }
};

}  // namespace

TEST_CASE("proxy search: a proxy's score is the fitness, every candidate within the constraint") {
  proxy_fixture f;
  const ovo::cost_constraint constraint{.max_params = 3000};
  const auto result =
      ovo::proxy_search(*f.scorer, ovo::proxy_kind::params, constraint, {.samples = 30, .seed = 4});
  REQUIRE(result.history.size() == 30);
  double largest = 0;
  for (const auto& c : result.history) {
    CHECK(static_cast<double>(c.params) <= 3000);
    CHECK(c.fitness == static_cast<double>(space::params(c.architecture)));
    largest = std::max(largest, c.fitness);
  }
  CHECK(result.best.fitness == largest);
  // The same search with synflow, evolved: a candidate's fitness is its synflow score.
  const auto evolved = ovo::proxy_search(*f.scorer, ovo::proxy_kind::synflow, constraint,
                                         {.method = ovo::proxy_search_method::evolution,
                                          .evolution = {.population = 8,
                                                        .generations = 3,
                                                        .parents = 3,
                                                        .mutations = 3,
                                                        .crossovers = 2,
                                                        .seed = 5}});
  CHECK(evolved.best_fitness_per_generation.size() == 3);
  for (const auto& c : evolved.history) {
    CHECK(static_cast<double>(c.params) <= 3000);
    CHECK(c.fitness == ovo::synflow_score(f.net, c.architecture));
  }
}

TEST_CASE(
    "proxy search: TVT is fused over the random candidates, and against a reference sample "
    "under evolution") {
  proxy_fixture f;
  const ovo::cost_constraint constraint{.max_params = 3000};
  const auto result =
      ovo::proxy_search(*f.scorer, ovo::proxy_kind::tvt, constraint, {.samples = 12, .seed = 6});
  REQUIRE(result.history.size() == 12);
  std::vector<ovo::arch> archs;
  for (const auto& c : result.history) archs.push_back(c.architecture);
  const auto fused = f.scorer->scores(archs, ovo::proxy_kind::tvt);
  double running = fused.front();
  for (std::size_t i = 0; i < fused.size(); ++i) {
    CHECK(result.history[i].fitness == fused[i]);
    running = std::max(running, fused[i]);
    CHECK(result.best_fitness_per_generation[i] == running);
  }
  CHECK(result.best.fitness == running);
  CHECK(result.best.architecture ==
        archs[static_cast<std::size_t>(std::max_element(fused.begin(), fused.end()) -
                                       fused.begin())]);

  const ovo::proxy_search_options evolution{.method = ovo::proxy_search_method::evolution,
                                            .evolution = {.population = 6,
                                                          .generations = 2,
                                                          .parents = 3,
                                                          .mutations = 2,
                                                          .crossovers = 2,
                                                          .seed = 7},
                                            .seed = 8,
                                            .tvt_reference = 10};
  const auto evolved = ovo::proxy_search(*f.scorer, ovo::proxy_kind::tvt, constraint, evolution);
  // Rank-sum of two scores against 10 reference archs plus itself: between 2 and 22.
  for (const auto& c : evolved.history) {
    CHECK(c.fitness >= 2);
    CHECK(c.fitness <= 22);
  }
  CHECK(ovo::proxy_search(*f.scorer, ovo::proxy_kind::tvt, constraint, evolution) == evolved);
  auto too_small = evolution;
  too_small.tvt_reference = 1;
  CHECK_THROWS_WITH_AS(ovo::proxy_search(*f.scorer, ovo::proxy_kind::tvt, constraint, too_small),
                       doctest::Contains("tvt_reference = 1"), std::invalid_argument);
}
