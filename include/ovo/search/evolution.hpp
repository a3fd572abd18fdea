// Evolutionary search over a space under a cost constraint (AutoFormer's, which OVO uses).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/search/candidate.hpp"
#include "ovo/search/constraint.hpp"
#include "ovo/search/random_search.hpp"
#include "ovo/space/search_space.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

struct evolution_options {
  int population = 50;       // candidates per generation
  int generations = 20;      // generations evaluated, the initial population included
  int parents = 10;          // the top candidates that mutation and crossover draw from
  int mutations = 25;        // children by mutation per generation
  int crossovers = 25;       // children by crossover per generation
  double depth_prob = 0.4;   // pd: mutation_rates::structure (a ViT's depth and embed dim)
  double mutate_prob = 0.2;  // pm: mutation_rates::gene (a ViT layer's mlp ratio and heads)
  std::uint64_t seed = 0;
  int max_attempts = 1000;  // draws per needed candidate before giving it up
  // > 0: a generation after the first starts only if it would end within this many seconds of
  // the search's start, at the pace of the generation before it. The search then equals one with
  // `generations` set to the number it ran (best_fitness_per_generation's size).
  double time_budget_seconds = 0;

  // Throws unless the counts and probabilities are usable together.
  void validate() const {
    if (population < 1 || generations < 1 || parents < 1 || mutations < 0 || crossovers < 0 ||
        max_attempts < 1)
      throw std::invalid_argument(fmt::format(
          "evolution_options: population = {}, generations = {}, parents = {}, max_attempts = {} "
          "expected at least 1 and mutations = {}, crossovers = {} at least 0",
          population, generations, parents, max_attempts, mutations, crossovers));
    if (mutations + crossovers > population)
      throw std::invalid_argument(fmt::format(
          "evolution_options: mutations + crossovers = {} + {}, expected at most population = {}",
          mutations, crossovers, population));
    if (!(time_budget_seconds >= 0))
      throw std::invalid_argument(
          fmt::format("evolution_options: time_budget_seconds = {}, expected at least 0 (0: none)",
                      time_budget_seconds));
    if (!(depth_prob >= 0 && depth_prob <= 1) || !(mutate_prob >= 0 && mutate_prob <= 1))
      throw std::invalid_argument(fmt::format(
          "evolution_options: depth_prob = {} and mutate_prob = {}, expected both in [0, 1]",
          depth_prob, mutate_prob));
  }
};

namespace detail {

// The `count` fittest candidates; among equals, the first evaluated.
template <class Arch>
std::vector<Arch> fittest(const std::vector<basic_candidate<Arch>>& history, int count) {
  std::vector<std::size_t> order(history.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (history[a].fitness != history[b].fitness) return history[a].fitness > history[b].fitness;
    return a < b;
  });
  order.resize(std::min(order.size(), static_cast<std::size_t>(count)));
  std::vector<Arch> out;
  for (std::size_t i : order) out.push_back(history[i].architecture);
  return out;
}

// For each parent, the other parents the space lets crossover pair it with.
template <search_space Space>
std::vector<std::vector<std::size_t>> crossover_partners(
    const std::vector<space_arch<Space>>& parents) {
  std::vector<std::vector<std::size_t>> partners(parents.size());
  for (std::size_t i = 0; i < parents.size(); ++i)
    for (std::size_t j = 0; j < parents.size(); ++j)
      if (i != j && Space::crossable(parents[i], parents[j])) partners[i].push_back(j);
  return partners;
}

}  // namespace detail

// Evolutionary search (methods.md section 4, AutoFormer's evolution.py). Generation 0 is
// `population` random legal candidates ("initial"). Each later generation takes as parents the
// `parents` fittest candidates evaluated so far (all generations, as AutoFormer's top-k keeps
// them), then adds `mutations` children by mutating random parents, `crossovers` children by
// crossing random pairs of distinct crossable parents (a ViT's: of equal depth), and random legal
// candidates ("random") up to `population` new ones. Mutation redraws with
// mutation_rates{depth_prob, mutate_prob}. Legal: in the space, admitted by the constraint (the
// space's exact costs), and never evaluated before in this search; every legal candidate is
// evaluated once, with the rest of its generation. Each needed candidate gets `max_attempts` draws:
// mutation, crossover or top-up stops for the generation at the first one given up. Throws if
// generation 0 finds no legal arch; ends early if a later generation finds none (the admitted part
// of the space is used up), so best_fitness_per_generation has one entry per generation run. All
// randomness comes from one rng_engine seeded with options.seed: the same seed gives the same
// search. A generation's candidates are drawn first and then evaluated: with several `processes`,
// each draws the same ones and evaluates its share (candidate_pool), and they stop for the time
// budget together, so that every process returns the one-process result.
template <search_space Space, arch_fitness<space_arch<Space>> Fitness,
          process_set Processes = single_process>
search_result_of<Space> evolutionary_search(Fitness&& fitness, const cost_constraint& constraint,
                                            const evolution_options& options = {},
                                            const search_progress_of<Space>& progress = {},
                                            Processes processes = {}) {
  options.validate();
  constraint.validate();
  rng_engine rng(options.seed);
  detail::candidate_pool<Space, std::remove_reference_t<Fitness>, Processes> pool(
      fitness, constraint, std::move(processes));
  const auto population = static_cast<std::size_t>(options.population);
  std::vector<double> best_per_generation;

  // Offers children from `make` until `count` are legal or one is given up.
  auto breed = [&](int count, int generation, const char* origin, auto make) {
    for (int i = 0; i < count; ++i) {
      bool found = false;
      for (int attempt = 0; attempt < options.max_attempts && !found; ++attempt)
        found = pool.offer(make(), generation, origin);
      if (!found) return;
    }
  };
  auto top_up = [&](std::size_t generation_start, int generation, const char* origin) {
    while (pool.history().size() - generation_start < population)
      if (!pool.offer_random(rng, generation, origin, options.max_attempts)) return;
  };

  using clock = std::chrono::steady_clock;
  const auto search_start = clock::now();
  double last_generation_seconds = 0;
  for (int generation = 0; generation < options.generations; ++generation) {
    const auto generation_start = clock::now();
    const double elapsed = std::chrono::duration<double>(generation_start - search_start).count();
    if (generation > 0 && options.time_budget_seconds > 0 &&
        pool.any(elapsed + last_generation_seconds > options.time_budget_seconds))
      break;
    const std::size_t start = pool.history().size();
    if (generation == 0) {
      top_up(start, generation, "initial");
      if (pool.empty())
        throw detail::no_admitted_arch<Space>("evolutionary_search", constraint,
                                              options.max_attempts);
    } else {
      const auto parents = detail::fittest(pool.history(), options.parents);
      breed(options.mutations, generation, "mutation", [&] {
        const auto& parent = parents[uniform_index(rng, parents.size())];
        return Space::mutate(parent, {options.depth_prob, options.mutate_prob}, rng);
      });
      const auto partners = detail::crossover_partners<Space>(parents);
      std::vector<std::size_t> pairable;
      for (std::size_t i = 0; i < parents.size(); ++i)
        if (!partners[i].empty()) pairable.push_back(i);
      if (!pairable.empty())
        breed(options.crossovers, generation, "crossover", [&] {
          const std::size_t first = pairable[uniform_index(rng, pairable.size())];
          const auto& mates = partners[first];
          return Space::crossover(parents[first], parents[mates[uniform_index(rng, mates.size())]],
                                  rng);
        });
      top_up(start, generation, "random");
      if (pool.history().size() == start) break;
    }
    pool.evaluate();
    best_per_generation.push_back(pool.best().fitness);
    last_generation_seconds =
        std::chrono::duration<double>(clock::now() - generation_start).count();
    if (progress) progress(generation, pool.best(), pool.history().size());
  }
  return std::move(pool).result(std::move(best_per_generation));
}

}  // namespace ovo
