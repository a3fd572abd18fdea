// Evolutionary and random search, constraints, candidates and Pareto fronts on synthetic fitnesses.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <ovo/search/candidate.hpp>
#include <ovo/search/constraint.hpp>
#include <ovo/search/evolution.hpp>
#include <ovo/search/pareto.hpp>
#include <ovo/search/random_search.hpp>

#include "../support.hpp"

namespace {

using tiny = ovo::test::tiny_space;
using fashion = ovo::fashion_mnist_space;

template <class T, std::size_t N>
std::size_t index_of(const std::array<T, N>& choices, T value) {
  return static_cast<std::size_t>(std::find(choices.begin(), choices.end(), value) -
                                  choices.begin());
}

// A fitness that adds one random positive weight per gene: one per embed choice and, for each layer
// position, one per heads choice and one per mlp ratio choice. Deeper and wider tends to be
// fitter, so a parameter limit makes finding the best a knapsack problem with one optimum.
template <class Space>
struct separable_fitness {
  explicit separable_fitness(std::uint64_t seed) {
    ovo::rng_engine rng(seed);
    for (std::size_t i = 0; i < Space::embed_choices.size(); ++i)
      embed.push_back(ovo::uniform_unit(rng));
    heads.resize(static_cast<std::size_t>(Space::depth_choices.back()));
    ratio.resize(heads.size());
    for (std::size_t l = 0; l < heads.size(); ++l) {
      for (std::size_t i = 0; i < Space::head_choices.size(); ++i)
        heads[l].push_back(ovo::uniform_unit(rng));
      for (std::size_t i = 0; i < Space::mlp_ratio_choices.size(); ++i)
        ratio[l].push_back(ovo::uniform_unit(rng));
    }
  }
  double operator()(const ovo::arch& a) const {
    double f = embed[index_of(Space::embed_choices, a.embed)];
    for (std::size_t l = 0; l < a.heads.size(); ++l)
      f += heads[l][index_of(Space::head_choices, a.heads[l])] +
           ratio[l][index_of(Space::mlp_ratio_choices, a.mlp_ratio[l])];
    return f;
  }
  std::vector<double> embed;
  std::vector<std::vector<double>> heads, ratio;  // [layer][choice]
};

// Calls f on every arch of the space, reusing one arch object.
template <class Space, class F>
void for_each_arch(F&& f) {
  ovo::arch a;
  auto layers = [&](auto& self, std::size_t layer) -> void {
    if (layer == a.heads.size()) return f(std::as_const(a));
    for (int h : Space::head_choices)
      for (double r : Space::mlp_ratio_choices) {
        a.heads[layer] = h;
        a.mlp_ratio[layer] = r;
        self(self, layer + 1);
      }
  };
  for (int e : Space::embed_choices)
    for (int d : Space::depth_choices) {
      a.embed = e;
      a.depth = d;
      a.heads.assign(static_cast<std::size_t>(d), 0);
      a.mlp_ratio.assign(static_cast<std::size_t>(d), 0.0);
      layers(layers, 0);
    }
}

struct optimum {
  double fitness = -std::numeric_limits<double>::infinity();
  ovo::arch best;
  int ties = 0;
  std::size_t admitted = 0;
};

template <class Space, class Fitness>
optimum brute_force(const Fitness& fitness, const ovo::cost_constraint& constraint) {
  optimum o;
  for_each_arch<Space>([&](const ovo::arch& a) {
    if (!constraint.admits<Space>(a)) return;
    ++o.admitted;
    const double f = fitness(a);
    if (f > o.fitness) {
      o.fitness = f;
      o.best = a;
      o.ties = 1;
    } else if (f == o.fitness) {
      ++o.ties;
    }
  });
  return o;
}

// The median parameter count of archs drawn uniformly from the space.
template <class Space>
double median_params(std::uint64_t seed) {
  ovo::rng_engine rng(seed);
  std::vector<double> params;
  for (int i = 0; i < 401; ++i)
    params.push_back(static_cast<double>(ovo::count_params(Space::sample(rng), Space::shape())));
  std::nth_element(params.begin(), params.begin() + 200, params.end());
  return params[200];
}

ovo::evolution_options small_options(std::uint64_t seed) {
  ovo::evolution_options o;
  o.population = 12;
  o.generations = 6;
  o.parents = 4;
  o.mutations = 5;
  o.crossovers = 4;
  o.seed = seed;
  return o;
}

std::vector<ovo::arch> archs_of(const std::vector<ovo::candidate>& candidates) {
  std::vector<ovo::arch> out;
  for (const auto& c : candidates) out.push_back(c.architecture);
  return out;
}

}  // namespace

TEST_CASE("search: the constraint admits closed ranges of params and FLOPs (count_macs)") {
  const auto shape = fashion::shape();
  const auto a = fashion::largest();
  const auto params = static_cast<double>(ovo::count_params(a, shape));
  const auto macs = static_cast<double>(ovo::count_macs(a, shape));
  CHECK(ovo::cost_constraint{}.admits<fashion>(a));
  CHECK(ovo::cost_constraint{.max_params = params}.admits<fashion>(a));
  CHECK_FALSE(ovo::cost_constraint{.max_params = params - 1}.admits<fashion>(a));
  CHECK(ovo::cost_constraint{.min_params = params}.admits<fashion>(a));
  CHECK_FALSE(ovo::cost_constraint{.min_params = params + 1}.admits<fashion>(a));
  CHECK(ovo::cost_constraint{.min_flops = macs, .max_flops = macs}.admits<fashion>(a));
  CHECK_FALSE(ovo::cost_constraint{.max_flops = macs - 1}.admits<fashion>(a));
  CHECK_FALSE(ovo::cost_constraint{.min_flops = macs + 1}.admits<fashion>(a));
}

TEST_CASE("search: the constraint describes its limits and rejects empty ranges") {
  CHECK(ovo::cost_constraint{}.describe() == "no cost limit");
  CHECK(ovo::cost_constraint{.max_params = 5'700'000}.describe() == "params <= 5700000 (5.7M)");
  CHECK(ovo::cost_constraint{.min_params = 100, .max_params = 2000}.describe() ==
        "100 <= params <= 2000");
  CHECK(ovo::cost_constraint{.max_params = 6e6, .min_flops = 1.25e9}.describe() ==
        "params <= 6000000 (6M), FLOPs >= 1250000000 (1.25G)");
  CHECK_NOTHROW(ovo::cost_constraint{.min_params = 3, .max_params = 3}.validate());
  const ovo::cost_constraint reversed{.min_params = 4, .max_params = 3};
  CHECK_THROWS_WITH(reversed.validate(),
                    doctest::Contains("params range [4, 3] expected to satisfy 0 <= min <= max"));
  CHECK_THROWS_WITH(ovo::cost_constraint{.max_flops = std::nan("")}.validate(),
                    doctest::Contains("flops range"));
}

TEST_CASE("search: candidates and results round-trip through JSON") {
  const ovo::candidate c{
      ovo::arch{96, 2, {2, 4}, {3.0, 2.0}}, 0.8125, 123456, 7.5e6, 3, "crossover"};
  const nlohmann::json j = c;
  CHECK(j.at("origin") == "crossover");
  CHECK(j.at("arch").at("heads") == nlohmann::json{2, 4});
  CHECK(j.get<ovo::candidate>() == c);

  auto bad = j;
  bad["origin"] = "mutant";
  CHECK_THROWS_WITH(bad.get<ovo::candidate>(), doctest::Contains("origin 'mutant', expected one"));
  bad = j;
  bad.erase("fitness");
  CHECK_THROWS_WITH(bad.get<ovo::candidate>(), doctest::Contains("candidate JSON"));

  const auto r = ovo::evolutionary_search<tiny>(separable_fitness<tiny>(1), {}, small_options(1));
  const nlohmann::json rj = r;
  CHECK(rj.at("history").size() == r.history.size());
  CHECK(nlohmann::json::parse(rj.dump()).get<ovo::search_result>() == r);
}

TEST_CASE("search: crossover takes every gene from one of two parents of equal depth") {
  ovo::rng_engine rng(5);
  int from_first = 0, from_second = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto a = fashion::sample(rng);
    auto b = fashion::sample(rng);
    while (b.depth != a.depth) b = fashion::sample(rng);
    const auto child = fashion::crossover(a, b, rng);
    REQUIRE(child.depth == a.depth);
    CHECK(fashion::contains(child));
    auto gene = [&](auto x, auto y, auto z) {
      CHECK((z == x || z == y));
      if (x != y) (z == x ? from_first : from_second) += 1;
    };
    gene(a.embed, b.embed, child.embed);
    for (std::size_t i = 0; i < a.heads.size(); ++i) {
      gene(a.heads[i], b.heads[i], child.heads[i]);
      gene(a.mlp_ratio[i], b.mlp_ratio[i], child.mlp_ratio[i]);
    }
  }
  // Each differing gene comes from either parent with probability 1/2.
  const double share = from_first / static_cast<double>(from_first + from_second);
  CHECK(share > 0.45);
  CHECK(share < 0.55);
  auto shallow = fashion::smallest(), deep = fashion::largest();
  CHECK_THROWS_WITH(fashion::crossover(shallow, deep, rng),
                    doctest::Contains("expected two parents of equal depth"));
}

TEST_CASE("search: mutation with pd = pm = 0 returns the parent, with pd = 1 redraws depth") {
  ovo::rng_engine rng(11);
  std::set<int> depths, embeds;
  int kept_prefix = 0, trials = 300;
  for (int trial = 0; trial < trials; ++trial) {
    const auto parent = fashion::sample(rng);
    CHECK(fashion::mutate(parent, {0.0, 0.0}, rng) == parent);
    const auto child = fashion::mutate(parent, {1.0, 0.0}, rng);
    CHECK(fashion::contains(child));
    if (child.depth != parent.depth) depths.insert(child.depth - parent.depth);
    if (child.embed != parent.embed) embeds.insert(child.embed);
    // With pm = 0 the layers both share are the parent's: growing appends, shrinking truncates.
    const auto shared = static_cast<std::size_t>(std::min(child.depth, parent.depth));
    kept_prefix +=
        std::equal(child.heads.begin(), child.heads.begin() + shared, parent.heads.begin()) &&
        std::equal(child.mlp_ratio.begin(), child.mlp_ratio.begin() + shared,
                   parent.mlp_ratio.begin());
  }
  CHECK(kept_prefix == trials);
  CHECK(depths == std::set<int>{-2, -1, 1, 2});
  CHECK(embeds.size() == 3);

  // pm = 1 redraws each layer gene: about 2/3 of them change (three choices each).
  int changed = 0, genes = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const auto parent = fashion::sample(rng);
    const auto child = fashion::mutate(parent, {0.0, 1.0}, rng);
    REQUIRE(child.depth == parent.depth);
    CHECK(child.embed == parent.embed);
    for (std::size_t i = 0; i < parent.heads.size(); ++i) {
      changed += (child.heads[i] != parent.heads[i]) + (child.mlp_ratio[i] != parent.mlp_ratio[i]);
      genes += 2;
    }
  }
  CHECK(changed / static_cast<double>(genes) == doctest::Approx(2.0 / 3).epsilon(0.05));
}

TEST_CASE("search: every evaluated candidate is legal, new, and evaluated exactly once") {
  const separable_fitness<fashion> f(3);
  const ovo::cost_constraint constraint{.min_params = median_params<fashion>(1) * 0.8,
                                        .max_params = median_params<fashion>(2)};
  int calls = 0;
  std::set<ovo::arch> seen;
  bool repeated = false;
  auto counted = [&](const ovo::arch& a) {
    ++calls;
    repeated |= !seen.insert(a).second;
    return f(a);
  };
  ovo::evolution_options options;
  options.seed = 4;
  const auto r = ovo::evolutionary_search<fashion>(counted, constraint, options);
  CHECK_FALSE(repeated);
  CHECK(r.history.size() == static_cast<std::size_t>(calls));
  CHECK(r.history.size() <= static_cast<std::size_t>(options.population * options.generations));
  CHECK(r.history.size() >
        static_cast<std::size_t>(options.population * (options.generations - 1)));
  const auto shape = fashion::shape();
  for (const auto& c : r.history) {
    CHECK(fashion::contains(c.architecture));
    CHECK(constraint.admits<fashion>(c.architecture));
    CHECK(c.params == static_cast<std::uint64_t>(ovo::count_params(c.architecture, shape)));
    CHECK(c.flops == static_cast<double>(ovo::count_macs(c.architecture, shape)));
    CHECK(c.fitness == f(c.architecture));
  }
  // The best is the first of the highest fitness; the per-generation bests rise to it.
  const auto top = std::max_element(r.history.begin(), r.history.end(),
                                    [](auto& a, auto& b) { return a.fitness < b.fitness; });
  CHECK(r.best == *top);
  REQUIRE(r.best_fitness_per_generation.size() == static_cast<std::size_t>(options.generations));
  CHECK(std::is_sorted(r.best_fitness_per_generation.begin(), r.best_fitness_per_generation.end()));
  CHECK(r.best_fitness_per_generation.back() == r.best.fitness);
}

TEST_CASE("search: generations follow the options, in order and by origin") {
  const separable_fitness<fashion> f(8);
  ovo::evolution_options options = small_options(2);
  std::vector<int> generations;
  std::vector<std::size_t> evaluated;
  const auto r = ovo::evolutionary_search<fashion>(
      f, {}, options, [&](int g, const ovo::candidate& best, std::size_t n) {
        generations.push_back(g);
        evaluated.push_back(n);
        CHECK(best.generation <= g);
      });
  CHECK(generations == std::vector<int>{0, 1, 2, 3, 4, 5});
  // An unconstrained space of 1.8 million archs never runs short of new ones.
  CHECK(r.history.size() == static_cast<std::size_t>(options.population * options.generations));
  CHECK(evaluated.back() == r.history.size());
  std::map<int, std::map<std::string, int>> origins;
  for (std::size_t i = 0; i < r.history.size(); ++i) {
    const auto& c = r.history[i];
    CHECK(c.generation == static_cast<int>(i) / options.population);
    ++origins[c.generation][c.origin];
  }
  CHECK(origins[0] == std::map<std::string, int>{{"initial", options.population}});
  for (int g = 1; g < options.generations; ++g) {
    CHECK(origins[g]["mutation"] == options.mutations);
    CHECK(origins[g]["crossover"] == options.crossovers);
    CHECK(origins[g]["random"] == options.population - options.mutations - options.crossovers);
  }
  // Every child of generation g comes from the `parents` fittest candidates of generations < g:
  // a crossover child takes each gene from one of two such parents of its depth, and a mutation
  // child (pd = 0.4, pm = 0.2) keeps all genes but at most a few of one of them.
  for (const auto& c : r.history) {
    if (c.origin != "crossover" && c.origin != "mutation") continue;
    std::vector<ovo::candidate> earlier;
    for (const auto& e : r.history)
      if (e.generation < c.generation) earlier.push_back(e);
    // The fittest first; among equals, the first evaluated (a stable sort by fitness).
    std::vector<std::size_t> order(earlier.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      return earlier[x].fitness != earlier[y].fitness ? earlier[x].fitness > earlier[y].fitness
                                                      : x < y;
    });
    order.resize(static_cast<std::size_t>(options.parents));
    std::vector<ovo::candidate> parents;
    for (std::size_t i : order) parents.push_back(earlier[i]);
    earlier = std::move(parents);
    const auto& child = c.architecture;
    bool explained = false;
    for (const auto& pc : earlier) {
      const auto& p = pc.architecture;
      if (c.origin == "mutation") {
        // Genes of the layers both hold that differ, plus the depth and embed.
        const auto shared = static_cast<std::size_t>(std::min(p.depth, child.depth));
        int differ = (p.depth != child.depth) + (p.embed != child.embed);
        for (std::size_t i = 0; i < shared; ++i)
          differ += (p.heads[i] != child.heads[i]) + (p.mlp_ratio[i] != child.mlp_ratio[i]);
        explained |= differ <= 6;
        continue;
      }
      for (const auto& qc : earlier) {
        const auto& q = qc.architecture;
        if (p == q || p.depth != child.depth || q.depth != child.depth) continue;
        bool ok = child.embed == p.embed || child.embed == q.embed;
        for (std::size_t i = 0; ok && i < child.heads.size(); ++i)
          ok = (child.heads[i] == p.heads[i] || child.heads[i] == q.heads[i]) &&
               (child.mlp_ratio[i] == p.mlp_ratio[i] || child.mlp_ratio[i] == q.mlp_ratio[i]);
        explained |= ok;
      }
    }
    CHECK_MESSAGE(explained, c.origin, " child ", ovo::to_string(child), " of generation ",
                  c.generation);
  }
}

TEST_CASE("search: the same seed repeats the search, another seed changes it") {
  const separable_fitness<fashion> f(6);
  const ovo::cost_constraint constraint{.max_params = median_params<fashion>(3)};
  const auto a = ovo::evolutionary_search<fashion>(f, constraint, small_options(10));
  const auto b = ovo::evolutionary_search<fashion>(f, constraint, small_options(10));
  const auto c = ovo::evolutionary_search<fashion>(f, constraint, small_options(11));
  CHECK(a == b);
  CHECK(archs_of(a.history) != archs_of(c.history));
  const auto ra = ovo::random_search<fashion>(f, constraint, 30, 10);
  CHECK(ra == ovo::random_search<fashion>(f, constraint, 30, 10));
  CHECK(archs_of(ra.history) !=
        archs_of(ovo::random_search<fashion>(f, constraint, 30, 11).history));
}

TEST_CASE("search: a time budget stops between generations; the count run replays the search") {
  const separable_fitness<fashion> f(6);
  const ovo::cost_constraint constraint{.max_params = median_params<fashion>(3)};
  ovo::evolution_options options = small_options(10);
  const auto full = ovo::evolutionary_search<fashion>(f, constraint, options);
  // A budget spent before the second generation: the first always runs, and nothing after it.
  options.time_budget_seconds = 1e-12;
  const auto first_only = ovo::evolutionary_search<fashion>(f, constraint, options);
  CHECK(first_only.best_fitness_per_generation.size() == 1);
  ovo::evolution_options one = small_options(10);
  one.generations = 1;
  CHECK(first_only == ovo::evolutionary_search<fashion>(f, constraint, one));
  // A budget no search of this size reaches changes nothing.
  options.time_budget_seconds = 1e6;
  CHECK(ovo::evolutionary_search<fashion>(f, constraint, options) == full);
  options.time_budget_seconds = -1;
  CHECK_THROWS_WITH_AS(ovo::evolutionary_search<fashion>(f, constraint, options),
                       doctest::Contains("time_budget_seconds = -1, expected at least 0"),
                       std::invalid_argument);
}

TEST_CASE("search: with pd = pm = 0 every mutation child is a duplicate and none is kept") {
  ovo::evolution_options options = small_options(3);
  options.depth_prob = 0;
  options.mutate_prob = 0;
  options.max_attempts = 20;
  const auto r = ovo::evolutionary_search<fashion>(separable_fitness<fashion>(2), {}, options);
  std::map<std::string, int> origins;
  for (const auto& c : r.history) ++origins[c.origin];
  CHECK(origins.count("mutation") == 0);
  CHECK(origins["crossover"] > 0);
  // The missing children are made up with random candidates.
  CHECK(r.history.size() == static_cast<std::size_t>(options.population * options.generations));
}

TEST_CASE("search: evolution finds the unique constrained optimum of tiny_space") {
  const auto shape = tiny::shape();
  int random_found = 0;
  const int seeds = 5;
  for (int seed = 0; seed < seeds; ++seed) {
    const separable_fitness<tiny> f(100 + static_cast<std::uint64_t>(seed));
    // A limit near the median that excludes the unconstrained optimum, so that it binds.
    const auto unconstrained = brute_force<tiny>(f, {});
    const ovo::cost_constraint constraint{
        .max_params =
            std::min(median_params<tiny>(4),
                     static_cast<double>(ovo::count_params(unconstrained.best, shape)) - 1)};
    const auto o = brute_force<tiny>(f, constraint);
    REQUIRE(o.ties == 1);
    // At most 40 evaluations, well short of the admitted archs.
    ovo::evolution_options options;
    options.population = 8;
    options.generations = 5;
    options.parents = 3;
    options.mutations = 3;
    options.crossovers = 3;
    options.seed = static_cast<std::uint64_t>(seed);
    const auto r = ovo::evolutionary_search<tiny>(f, constraint, options);
    CHECK(r.history.size() == 40);
    CHECK(r.history.size() + 15 < o.admitted);
    CHECK(r.best.architecture == o.best);
    const auto random = ovo::random_search<tiny>(f, constraint, 40, options.seed);
    random_found += random.best.architecture == o.best;
  }
  CHECK(random_found < seeds);
}

TEST_CASE("search: evolution beats random search with as many evaluations") {
  // A parameter limit near the median: half of the 1.8 million archs of the space are admitted.
  const ovo::cost_constraint constraint{.max_params = median_params<fashion>(5)};
  const separable_fitness<fashion> f(21);
  const auto o = brute_force<fashion>(f, constraint);
  REQUIRE(o.ties == 1);
  double evolution_total = 0, random_total = 0, evolution_worst = o.fitness;
  const int seeds = 4;
  for (int seed = 0; seed < seeds; ++seed) {
    ovo::evolution_options options;
    options.seed = static_cast<std::uint64_t>(seed);
    const auto e = ovo::evolutionary_search<fashion>(f, constraint, options);
    const auto r = ovo::random_search<fashion>(f, constraint, static_cast<int>(e.history.size()),
                                               static_cast<std::uint64_t>(seed));
    CHECK(r.history.size() == e.history.size());
    CHECK(e.best.fitness <= o.fitness);
    evolution_total += e.best.fitness;
    random_total += r.best.fitness;
    evolution_worst = std::min(evolution_worst, e.best.fitness);
  }
  // Every seed reaches the optimum; random search falls well short of it on average.
  CHECK(evolution_worst == o.fitness);
  CHECK(o.fitness - random_total / seeds > 0.3);
  CHECK(evolution_total > random_total);
}

TEST_CASE("search: a constraint that admits nothing throws, naming the limit") {
  const auto smallest = ovo::count_params(fashion::smallest(), fashion::shape());
  const ovo::cost_constraint impossible{.max_params = 1000};
  CHECK_THROWS_WITH(
      ovo::evolutionary_search<fashion>(separable_fitness<fashion>(1), impossible),
      doctest::Contains("no arch of the space met the constraint (params <= 1000) in 1000 random "
                        "draws"));
  CHECK_THROWS_WITH(ovo::evolutionary_search<fashion>(separable_fitness<fashion>(1), impossible),
                    doctest::Contains(fmt::format("smallest arch has {} (", smallest).c_str()));
  CHECK_THROWS_WITH(ovo::random_search<fashion>(separable_fitness<fashion>(1), impossible, 5, 0),
                    doctest::Contains("random_search: no arch of the space met the constraint"));
  const ovo::cost_constraint empty{.min_flops = 2e9, .max_flops = 1e9};
  CHECK_THROWS_WITH(ovo::evolutionary_search<fashion>(separable_fitness<fashion>(1), empty),
                    doctest::Contains("flops range [2000000000, 1000000000]"));
}

TEST_CASE("search: a budget beyond the admitted archs ends early, each evaluated once") {
  // A limit admitting few archs of tiny_space (252 in all): the search runs out of new ones.
  const ovo::cost_constraint constraint{.max_params = median_params<tiny>(6) * 0.8};
  const separable_fitness<tiny> f(9);
  const auto o = brute_force<tiny>(f, constraint);
  REQUIRE(o.admitted > 10);
  REQUIRE(o.admitted < 100);
  int calls = 0;
  auto counted = [&](const ovo::arch& a) {
    ++calls;
    return f(a);
  };
  ovo::evolution_options options;  // 50 x 20
  const auto r = ovo::evolutionary_search<tiny>(counted, constraint, options);
  CHECK(r.history.size() == static_cast<std::size_t>(calls));
  CHECK(r.history.size() <= o.admitted);
  CHECK(r.history.size() + 5 >= o.admitted);  // nearly all found by random draws
  CHECK(r.best_fitness_per_generation.size() < static_cast<std::size_t>(options.generations));
  CHECK(r.best.architecture == o.best);
  const auto evaluated = archs_of(r.history);
  CHECK(std::set<ovo::arch>(evaluated.begin(), evaluated.end()).size() == evaluated.size());
  const auto rr = ovo::random_search<tiny>(counted, constraint, 1000, 1);
  CHECK(rr.history.size() <= o.admitted);
  CHECK(rr.best_fitness_per_generation.size() == rr.history.size());
}

TEST_CASE("search: random search records its samples like evolution records generations") {
  const ovo::cost_constraint constraint{.max_params = median_params<fashion>(7)};
  const separable_fitness<fashion> f(12);
  int progress_calls = 0;
  const auto r = ovo::random_search<fashion>(f, constraint, 40, 3,
                                             [&](int g, const ovo::candidate&, std::size_t n) {
                                               CHECK(g == progress_calls);
                                               CHECK(n == static_cast<std::size_t>(g + 1));
                                               ++progress_calls;
                                             });
  CHECK(progress_calls == 40);
  REQUIRE(r.history.size() == 40);
  REQUIRE(r.best_fitness_per_generation.size() == 40);
  double best = -1;
  for (std::size_t i = 0; i < r.history.size(); ++i) {
    CHECK(r.history[i].origin == "random");
    CHECK(r.history[i].generation == static_cast<int>(i));
    CHECK(constraint.admits<fashion>(r.history[i].architecture));
    best = std::max(best, r.history[i].fitness);
    CHECK(r.best_fitness_per_generation[i] == best);
  }
  CHECK(r.best.fitness == best);
  CHECK(r.pareto == ovo::pareto_front(r.history));
}

TEST_CASE("search: options, samples and fitness values are checked") {
  const separable_fitness<tiny> f(1);
  auto with = [](auto change) {
    ovo::evolution_options o;
    change(o);
    return o;
  };
  CHECK_THROWS_WITH(
      ovo::evolutionary_search<tiny>(f, {}, with([](auto& o) { o.mutations = 30; })),
      doctest::Contains("mutations + crossovers = 30 + 25, expected at most population = 50"));
  CHECK_THROWS_WITH(ovo::evolutionary_search<tiny>(f, {}, with([](auto& o) { o.parents = 0; })),
                    doctest::Contains("parents = 0"));
  CHECK_THROWS_WITH(
      ovo::evolutionary_search<tiny>(f, {}, with([](auto& o) { o.mutate_prob = 1.5; })),
      doctest::Contains("expected both in [0, 1]"));
  CHECK_THROWS_WITH(ovo::random_search<tiny>(f, {}, 0, 1),
                    doctest::Contains("samples = 0 and max_attempts = 1000, expected both"));
  auto nan_fitness = [](const ovo::arch&) { return std::nan(""); };
  CHECK_THROWS_WITH(ovo::random_search<tiny>(nan_fitness, {}, 3, 1),
                    doctest::Contains("is NaN, expected a number"));
}

namespace {
// The brute-force front: not dominated by any candidate, and no earlier candidate equal in both.
std::vector<ovo::candidate> brute_force_front(const std::vector<ovo::candidate>& c,
                                              double (*cost)(const ovo::candidate&)) {
  std::vector<ovo::candidate> front;
  for (std::size_t i = 0; i < c.size(); ++i) {
    bool keep = true;
    for (std::size_t j = 0; j < c.size() && keep; ++j) {
      const bool no_worse = c[j].fitness >= c[i].fitness && cost(c[j]) <= cost(c[i]);
      const bool better = c[j].fitness > c[i].fitness || cost(c[j]) < cost(c[i]);
      if (no_worse && (better || j < i)) keep = false;
    }
    if (keep) front.push_back(c[i]);
  }
  std::sort(front.begin(), front.end(), [&](auto& a, auto& b) { return cost(a) < cost(b); });
  return front;
}
double params_of(const ovo::candidate& c) {
  return static_cast<double>(c.params);
}
double flops_of(const ovo::candidate& c) {
  return c.flops;
}
}  // namespace

TEST_CASE("search: the Pareto front matches a brute force on random point sets") {
  ovo::rng_engine rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    // Few distinct values, so that ties in fitness, in cost and in both are common.
    const std::size_t n = ovo::uniform_index(rng, 40);
    const std::size_t levels = 2 + ovo::uniform_index(rng, 10);
    std::vector<ovo::candidate> points(n);
    for (std::size_t i = 0; i < n; ++i) {
      points[i].fitness = static_cast<double>(ovo::uniform_index(rng, levels));
      points[i].params = ovo::uniform_index(rng, levels);
      points[i].flops = static_cast<double>(ovo::uniform_index(rng, levels)) * 0.5;
      points[i].generation = static_cast<int>(i);  // tells equal points apart
    }
    const auto front = ovo::pareto_front(points);
    CHECK(front == brute_force_front(points, params_of));
    CHECK(ovo::pareto_front(points, flops_of) == brute_force_front(points, flops_of));
    for (std::size_t k = 1; k < front.size(); ++k) {
      CHECK(front[k - 1].params < front[k].params);
      CHECK(front[k - 1].fitness < front[k].fitness);
    }
    // Every candidate off the front is dominated by, or equal to, a member.
    for (const auto& p : points) {
      const bool covered = std::any_of(front.begin(), front.end(), [&](const auto& m) {
        return m.fitness >= p.fitness && m.params <= p.params;
      });
      CHECK(covered);
    }
  }
  CHECK(ovo::pareto_front(std::vector<ovo::candidate>{}).empty());
}

TEST_CASE("search: a search's Pareto front is the front of its history") {
  const separable_fitness<fashion> f(30);
  const auto r = ovo::evolutionary_search<fashion>(f, {}, small_options(5));
  CHECK(r.pareto == ovo::pareto_front(r.history));
  REQUIRE_FALSE(r.pareto.empty());
  CHECK(r.pareto.back() == r.best);  // the fittest is on the front, at its costly end
  for (const auto& c : r.history)
    for (const auto& m : r.pareto)
      CHECK_FALSE((c.fitness >= m.fitness && c.params <= m.params &&
                   (c.fitness > m.fitness || c.params < m.params)));
}
