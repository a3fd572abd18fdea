// Archs as genes, and FocusFormer's learned sampler: bins, draws, policy-gradient updates towards a
// planted region, state round trips, and specialisation within a budget.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using ovo::test::tiny_space;
using emo_space = ovo::emo_fashion_mnist_space;

static_assert(ovo::gene_coded_space<tiny_space>);
static_assert(ovo::gene_coded_space<emo_space>);

// A loss known in advance: archs whose every layer has the first mlp ratio and whose embed dim is
// the middle choice are best; each other gene adds to the loss.
double planted_loss(const ovo::arch& a) {
  double loss = a.embed == 12 ? 0.0 : 1.0;
  for (double r : a.mlp_ratio) loss += r == 1.5 ? 0.0 : 1.0 / a.depth;
  return loss;
}

}  // namespace

TEST_CASE_TEMPLATE("genome: decode(encode(a)) is a for random archs, and the codes are checked",
                   Space, tiny_space, emo_space) {
  const auto genes = Space::genes();
  ovo::rng_engine rng(3);
  std::set<std::vector<int>> codes;
  std::set<ovo::space_arch<Space>> archs;
  for (int i = 0; i < 300; ++i) {
    const auto a = Space::sample(rng);
    archs.insert(a);
    const auto code = Space::encode(a);
    REQUIRE(code.size() == genes.size());
    for (std::size_t g = 0; g < code.size(); ++g) CHECK(code[g] < genes[g].choices);
    CHECK(Space::decode(code) == a);
    codes.insert(code);
    // Unused genes may hold any value: decode ignores them.
    auto filled = code;
    for (auto& v : filled)
      if (v < 0) v = 0;
    CHECK(Space::decode(filled) == a);
  }
  CHECK(codes.size() == archs.size());  // distinct archs, distinct codes
  CHECK(Space::decode(Space::encode(Space::largest())) == Space::largest());
  auto bad = Space::encode(Space::smallest());
  bad[1] = genes[1].choices;
  const auto message = fmt::format("gene {} = {}, expected 0..{}", genes[1].name, genes[1].choices,
                                   genes[1].choices - 1);
  CHECK_THROWS_WITH_AS(Space::decode(bad), doctest::Contains(message.c_str()),
                       std::invalid_argument);
  bad.pop_back();
  CHECK_THROWS_WITH_AS(Space::decode(bad), doctest::Contains("genes, expected"),
                       std::invalid_argument);
}

TEST_CASE("genome: the ViT gene list names the arch's fields; unused layers encode as -1") {
  const auto genes = tiny_space::genes();
  REQUIRE(genes.size() == 2 + 2 * 3);
  CHECK(genes[0].name == "embed");
  CHECK(genes[0].choices == 3);
  CHECK(genes[1].name == "depth");
  CHECK(genes[2].name == "heads[0]");
  CHECK(genes[7].name == "mlp_ratio[2]");
  const ovo::arch a{12, 1, {2}, {2.0}};
  CHECK(tiny_space::encode(a) == std::vector<int>{1, 0, 1, -1, -1, 1, -1, -1});
  CHECK_THROWS_WITH_AS(tiny_space::encode(ovo::arch{10, 1, {2}, {2.0}}),
                       doctest::Contains("embed = 10"), std::invalid_argument);
}

TEST_CASE("focusformer: bins cut the cost range in equal shares; draws fit their bin") {
  const ovo::focusformer_sampler<tiny_space> sampler({.bins = 3}, 1);
  const auto& edges = sampler.edges();
  REQUIRE(edges.size() == 4);
  CHECK(edges.front() == tiny_space::params(tiny_space::smallest()));
  CHECK(edges.back() == tiny_space::params(tiny_space::largest()));
  CHECK(std::is_sorted(edges.begin(), edges.end()));
  ovo::rng_engine rng(2);
  std::vector<int> per_bin(3);
  for (int i = 0; i < 600; ++i) {
    const auto a = tiny_space::sample(rng);
    ++per_bin[static_cast<std::size_t>(sampler.bin_of(static_cast<double>(tiny_space::params(a))))];
  }
  for (int count : per_bin) CHECK(count > 120);  // about 200 each
  for (int bin = 0; bin < 3; ++bin)
    for (int i = 0; i < 50; ++i) {
      const auto a = sampler.draw(bin, rng);
      const auto params = static_cast<double>(tiny_space::params(a));
      CHECK(sampler.fits(bin, a));
      CHECK(params >= edges[static_cast<std::size_t>(bin)]);
      CHECK(params <= edges[static_cast<std::size_t>(bin) + 1]);
    }
  const auto step = sampler.draw_step(rng);
  CHECK(step.candidates.size() == 3);
  for (const auto& a : step.candidates) CHECK(sampler.fits(step.bin, a));

  // A parameter cap bounds every bin and every draw; multiply-adds may be the binned cost.
  const double cap = edges[2];
  const ovo::focusformer_sampler<tiny_space> capped({.cost = ovo::cost_measure::macs, .bins = 2}, 1,
                                                    cap);
  for (int i = 0; i < 100; ++i)
    CHECK(static_cast<double>(tiny_space::params(capped.draw(1, rng))) <= cap);
  CHECK_THROWS_WITH_AS(ovo::focusformer_sampler<tiny_space>({.bins = 0}, 1),
                       doctest::Contains("bins = 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sampler.draw(3, rng), doctest::Contains("bin 3, expected 0..2"),
                       std::invalid_argument);
}

TEST_CASE("focusformer: policy-gradient updates move a bin's distributions to a planted region") {
  ovo::focusformer_sampler<tiny_space> sampler(
      {.bins = 1, .update_samples = 8, .learning_rate = 0.5}, 4);
  ovo::rng_engine rng(5);
  auto mean_loss = [&](int draws) {
    double sum = 0;
    for (int i = 0; i < draws; ++i) sum += planted_loss(sampler.draw(0, rng));
    return sum / draws;
  };
  const double before = mean_loss(400);
  for (int update = 0; update < 60; ++update) {
    std::vector<ovo::arch> archs;
    std::vector<double> rewards;
    for (int i = 0; i < 8; ++i) {
      archs.push_back(sampler.draw(0, rng));
      rewards.push_back(-planted_loss(archs.back()));
    }
    sampler.update(0, archs, rewards);
  }
  const double after = mean_loss(400);
  CHECK(after < 0.5 * before);
  CHECK(sampler.updates(0) == 60);
  // The embed gene's middle choice and the first layer's first mlp ratio dominate; the heads,
  // which the loss ignores, stay near even.
  CHECK(sampler.probabilities(0, 0)[1] > 0.8);
  CHECK(sampler.probabilities(0, 5)[0] > 0.8);
  const auto heads = sampler.probabilities(0, 2);
  CHECK(heads[0] > 0.2);
  CHECK(heads[1] > 0.2);
  CHECK(sampler.mode(0).embed == 12);
  // Rewards that all equal the baseline change no logit.
  const auto held = sampler.state();
  const std::vector<ovo::arch> same{tiny_space::largest(), tiny_space::smallest()};
  const double b = sampler.baseline(0);
  sampler.update(0, same, std::vector<double>{b, b});
  CHECK(sampler.state()["logits"] == held["logits"]);
  CHECK_THROWS_WITH_AS(sampler.update(0, same, std::vector<double>{b}),
                       doctest::Contains("2 archs and 1 rewards"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      sampler.update(0, same, std::vector<double>{b, std::numeric_limits<double>::quiet_NaN()}),
      doctest::Contains("expected a finite number"), std::invalid_argument);
}

TEST_CASE("focusformer: the state round-trips through JSON text and resumes the same draws") {
  ovo::focusformer_sampler<emo_space> trained({.bins = 2, .bin_sample = 512}, 7);
  ovo::rng_engine rng(8);
  for (int update = 0; update < 5; ++update)
    for (int bin = 0; bin < 2; ++bin) {
      std::vector<ovo::emo_arch> archs;
      std::vector<double> rewards;
      for (int i = 0; i < 4; ++i) {
        archs.push_back(trained.draw(bin, rng));
        rewards.push_back(-static_cast<double>(emo_space::macs(archs.back())) / 1e6);
      }
      trained.update(bin, archs, rewards);
    }
  const std::string text = trained.state().dump();
  ovo::focusformer_sampler<emo_space> restored({.bins = 2, .bin_sample = 512}, 7);
  restored.load_state(nlohmann::json::parse(text));
  CHECK(restored.state() == trained.state());
  ovo::rng_engine a(9), b(9);
  for (int i = 0; i < 20; ++i)
    CHECK(restored.draw_step(a).candidates == trained.draw_step(b).candidates);

  // Another bin count or cost measure, or a damaged field, is refused by name with nothing changed.
  ovo::focusformer_sampler<emo_space> other({.bins = 3, .bin_sample = 512}, 7);
  const auto fresh = other.state();
  CHECK_THROWS_WITH_AS(other.load_state(nlohmann::json::parse(text)),
                       doctest::Contains("sampler state: edges"), std::invalid_argument);
  CHECK(other.state() == fresh);
  auto damaged = nlohmann::json::parse(text);
  damaged.erase("baselines");
  CHECK_THROWS_WITH_AS(restored.load_state(damaged),
                       doctest::Contains("sampler state: field 'baselines' is missing"),
                       std::invalid_argument);
  damaged = nlohmann::json::parse(text);
  damaged["logits"].push_back(0.0);
  CHECK_THROWS_WITH_AS(restored.load_state(damaged), doctest::Contains("logits"),
                       std::invalid_argument);
  damaged = nlohmann::json::parse(text);
  damaged["cost"] = "macs";
  CHECK_THROWS_WITH_AS(restored.load_state(damaged), doctest::Contains("cost 'macs'"),
                       std::invalid_argument);
  CHECK(restored.state() == trained.state());
}

TEST_CASE("focusformer: specialisation evaluates distinct archs within the budget only") {
  const ovo::focusformer_sampler<emo_space> sampler({.bins = 4, .bin_sample = 512}, 11);
  auto fitness = [](const ovo::emo_arch& a) {
    return static_cast<double>(emo_space::macs(a)) / 1e6;
  };
  for (double budget : {sampler.edges()[1], sampler.edges()[2] * 1.01, sampler.edges()[4]}) {
    const ovo::cost_constraint constraint{.max_params = budget};
    const auto result = ovo::specialise(sampler, fitness, constraint, 40, 12);
    CHECK(result.history.size() == 40);
    std::set<ovo::emo_arch> seen;
    for (const auto& c : result.history) {
      CHECK(static_cast<double>(c.params) <= budget);
      CHECK(c.origin == "sampler");
      seen.insert(c.architecture);
    }
    CHECK(seen.size() == result.history.size());
    CHECK(static_cast<double>(result.best.params) <= budget);
    CHECK(result.best_fitness_per_generation.size() == 40);
  }
  // A budget below every arch finds none.
  CHECK_THROWS_AS(ovo::specialise(sampler, fitness, ovo::cost_constraint{.max_params = 10}, 5, 1),
                  std::invalid_argument);
}
