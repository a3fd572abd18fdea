// Random search, the baseline of the evolutionary search, and the candidate pool both build on.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/search/candidate.hpp"
#include "ovo/search/constraint.hpp"
#include "ovo/search/pareto.hpp"
#include "ovo/space/search_space.hpp"
#include "ovo/util/process_group.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

// A fitness, double(const Arch&): higher is better, e.g. the top-1 of a subnet's inherited weights
// on a held-out split of the training set.
template <class F, class Arch>
concept arch_fitness = requires(F& fitness, const Arch& a) {
  { std::invoke(fitness, a) } -> std::convertible_to<double>;
};

// The records of a search of Space.
template <search_space Space>
using candidate_of = basic_candidate<space_arch<Space>>;
template <search_space Space>
using search_result_of = basic_search_result<space_arch<Space>>;
template <search_space Space>
using search_progress_of = basic_search_progress<space_arch<Space>>;

namespace detail {

// The record of one search. An arch is legal when it is in the space, meets the constraint (the
// space's exact costs) and was not offered before; each legal arch is admitted on offer and
// evaluated once, by evaluate(): with several processes, each evaluates every size()-th pending
// candidate from its rank on, and the processes sum the fitnesses (0 for the others' candidates),
// so that every one holds the history of one process.
template <search_space Space, class Fitness, process_set Processes = single_process>
class candidate_pool {
 public:
  using arch_type = space_arch<Space>;

  candidate_pool(Fitness& fitness, const cost_constraint& constraint, Processes processes = {})
      : fitness_(fitness), constraint_(constraint), processes_(std::move(processes)) {}

  // Admits `a` for evaluation if it is legal; returns whether it was.
  bool offer(arch_type a, int generation, const char* origin) {
    if (!Space::contains(a) || seen_.contains(a)) return false;
    const auto params = static_cast<std::uint64_t>(Space::params(a));
    const auto flops = static_cast<double>(Space::macs(a));
    if (!constraint_.admits_costs(static_cast<double>(params), flops)) return false;
    seen_.insert(a);
    history_.push_back(candidate_of<Space>{std::move(a), 0.0, params, flops, generation, origin});
    return true;
  }

  // Draws archs from the space until one is legal; false after `max_attempts` draws without one.
  bool offer_random(rng_engine& rng, int generation, const char* origin, int max_attempts) {
    for (int attempt = 0; attempt < max_attempts; ++attempt)
      if (offer(Space::sample(rng), generation, origin)) return true;
    return false;
  }

  // Evaluates the candidates admitted since the last call, shared among the processes.
  void evaluate() {
    const std::size_t first = evaluated_, n = history_.size() - first;
    std::vector<double> fitness(n, 0.0);
    const auto rank = static_cast<std::size_t>(processes_.rank()),
               size = static_cast<std::size_t>(processes_.size());
    for (std::size_t i = rank; i < n; i += size)
      fitness[i] = static_cast<double>(
          std::invoke(fitness_, std::as_const(history_[first + i].architecture)));
    if (size > 1) processes_.sum(fitness);
    for (std::size_t i = 0; i < n; ++i) {
      auto& candidate = history_[first + i];
      if (std::isnan(fitness[i]))
        throw std::invalid_argument(
            fmt::format("search: the fitness of {} is NaN, expected a number",
                        to_string(candidate.architecture)));
      candidate.fitness = fitness[i];
      if (first + i == 0 || fitness[i] > history_[best_].fitness) best_ = first + i;
    }
    evaluated_ = history_.size();
  }

  // Whether any process says yes: a decision the processes take together (a time budget's).
  bool any(bool yes) {
    std::array<double, 1> votes{yes ? 1.0 : 0.0};
    if (processes_.size() > 1) processes_.sum(votes);
    return votes[0] > 0;
  }

  int processes() const { return processes_.size(); }
  const std::vector<candidate_of<Space>>& history() const { return history_; }
  bool empty() const { return history_.empty(); }
  const candidate_of<Space>& best() const { return history_.at(best_); }

  search_result_of<Space> result(std::vector<double> best_fitness_per_generation) && {
    search_result_of<Space> r;
    r.best = best();
    r.pareto = pareto_front(history_);
    r.history = std::move(history_);
    r.best_fitness_per_generation = std::move(best_fitness_per_generation);
    return r;
  }

 private:
  Fitness& fitness_;
  cost_constraint constraint_;
  Processes processes_;
  std::set<arch_type> seen_;
  std::vector<candidate_of<Space>> history_;
  std::size_t evaluated_ = 0;
  std::size_t best_ = 0;
};

// The error of a search whose random draws found no arch that meets the constraint.
template <search_space Space>
std::invalid_argument no_admitted_arch(const char* search, const cost_constraint& constraint,
                                       int max_attempts) {
  auto costs = [&](const space_arch<Space>& a) {
    return fmt::format("{} params and {} FLOPs",
                       detail::format_cost(static_cast<double>(Space::params(a))),
                       detail::format_cost(static_cast<double>(Space::macs(a))));
  };
  return std::invalid_argument(fmt::format(
      "{}: no arch of the space met the constraint ({}) in {} random draws; expected a "
      "constraint that admits part of the space: its smallest arch has {}, its largest {}",
      search, constraint.describe(), max_attempts, costs(Space::smallest()),
      costs(Space::largest())));
}

}  // namespace detail

// Evaluates `samples` legal archs drawn uniformly from the space (the baseline of
// evolutionary_search, in the same format). Every sample is a generation of its own: candidate i
// has generation i and origin "random", best_fitness_per_generation[i] is the best fitness of the
// first i + 1 samples, and `progress` is called after each sample. A sample is given up after
// `max_attempts` draws without a legal arch: with none found yet this throws, otherwise the search
// ends early (the admitted part of the space is used up). With several `processes`, each draws the
// same samples and evaluates its share of every processes.size() of them (candidate_pool); every
// process returns the one-process result.
template <search_space Space, arch_fitness<space_arch<Space>> Fitness,
          process_set Processes = single_process>
search_result_of<Space> random_search(Fitness&& fitness, const cost_constraint& constraint,
                                      int samples, std::uint64_t seed,
                                      const search_progress_of<Space>& progress = {},
                                      int max_attempts = 1000, Processes processes = {}) {
  constraint.validate();
  if (samples < 1 || max_attempts < 1)
    throw std::invalid_argument(
        fmt::format("random_search: samples = {} and max_attempts = {}, expected both at least 1",
                    samples, max_attempts));
  rng_engine rng(seed);
  detail::candidate_pool<Space, std::remove_reference_t<Fitness>, Processes> pool(
      fitness, constraint, std::move(processes));
  std::vector<double> best_per_sample;
  std::size_t best = 0;  // the best of the samples so far
  bool used_up = false;
  while (!used_up && best_per_sample.size() < static_cast<std::size_t>(samples)) {
    // Up to one sample per process, then their evaluation and a progress call for each.
    const std::size_t start = pool.history().size();
    const auto chunk = std::min<std::size_t>(static_cast<std::size_t>(pool.processes()),
                                             static_cast<std::size_t>(samples) - start);
    while (pool.history().size() - start < chunk)
      if (!pool.offer_random(rng, static_cast<int>(pool.history().size()), "random",
                             max_attempts)) {
        used_up = true;
        break;
      }
    if (pool.history().size() == start) break;
    pool.evaluate();
    for (std::size_t i = start; i < pool.history().size(); ++i) {
      if (i == 0 || pool.history()[i].fitness > pool.history()[best].fitness) best = i;
      best_per_sample.push_back(pool.history()[best].fitness);
      if (progress) progress(static_cast<int>(i), pool.history()[best], i + 1);
    }
  }
  if (pool.empty())
    throw detail::no_admitted_arch<Space>("random_search", constraint, max_attempts);
  return std::move(pool).result(std::move(best_per_sample));
}

}  // namespace ovo
