// Training-free search: random search or evolution with a proxy's score of an untrained network
// as the fitness, under the cost constraints of the accuracy search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/search/evolution.hpp"
#include "ovo/search/pareto.hpp"
#include "ovo/search/proxy/proxy.hpp"
#include "ovo/search/random_search.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

enum class proxy_search_method { random, evolution };

inline proxy_search_method parse_proxy_search_method(std::string_view name) {
  if (name == "random") return proxy_search_method::random;
  if (name == "evolution") return proxy_search_method::evolution;
  throw std::invalid_argument(
      fmt::format("proxy search method '{}': expected random or evolution", name));
}

struct proxy_search_options {
  proxy_search_method method = proxy_search_method::random;
  int samples = 1000;                // random search: candidates scored
  evolution_options evolution = {};  // evolution, seeded by its own seed
  std::uint64_t seed = 0;   // random search, and the reference sample of TVT under evolution
  int tvt_reference = 100;  // TVT under evolution: archs of the reference sample
};

namespace detail {

// `result` with its candidates' fitness replaced by `fitness` (one per candidate, in order): the
// best, the Pareto front and the best per generation follow.
template <class Arch>
basic_search_result<Arch> rescored(basic_search_result<Arch> result,
                                   const std::vector<double>& fitness) {
  std::size_t best = 0;
  std::vector<double> best_per_generation(result.best_fitness_per_generation.size());
  for (std::size_t i = 0; i < result.history.size(); ++i) {
    auto& c = result.history[i];
    c.fitness = fitness.at(i);
    if (c.fitness > result.history[best].fitness) best = i;
    const auto g = static_cast<std::size_t>(c.generation);
    if (g < best_per_generation.size()) best_per_generation[g] = result.history[best].fitness;
  }
  result.best = result.history.at(best);
  result.pareto = pareto_front(result.history);
  result.best_fitness_per_generation = std::move(best_per_generation);
  return result;
}

}  // namespace detail

// Searches the space with `kind`'s score (higher is better) as the fitness, each candidate admitted
// by the constraint and scored once, in the format of the accuracy searches. TVT's fitness is the
// fusion (the scorer's rule) of its teacher-aware and capability scores over a set of archs: under
// random search the candidates themselves (the fusion is applied once they are all scored, so
// `progress` sees fitness 0); under evolution a candidate is fused with a fixed reference sample of
// `tvt_reference` admitted archs, so that its fitness does not depend on when it was evaluated.
template <search_space Space, supernet Net>
search_result_of<Space> proxy_search(proxy_scorer<Space, Net>& scorer, proxy_kind kind,
                                     const cost_constraint& constraint,
                                     const proxy_search_options& options,
                                     const search_progress_of<Space>& progress = {}) {
  using arch_type = space_arch<Space>;
  const bool random = options.method == proxy_search_method::random;
  if (kind != proxy_kind::tvt) {
    auto fitness = [&](const arch_type& a) { return scorer.score(a, kind); };
    return random
               ? random_search<Space>(fitness, constraint, options.samples, options.seed, progress)
               : evolutionary_search<Space>(fitness, constraint, options.evolution, progress);
  }
  if (random) {
    auto unscored = [](const arch_type&) { return 0.0; };
    auto drawn =
        random_search<Space>(unscored, constraint, options.samples, options.seed, progress);
    std::vector<arch_type> archs;
    for (const auto& c : drawn.history) archs.push_back(c.architecture);
    return detail::rescored(std::move(drawn), scorer.scores(archs, kind));
  }
  if (options.tvt_reference < 2)
    throw std::invalid_argument(fmt::format(
        "proxy_search: tvt_reference = {}, expected at least 2 archs", options.tvt_reference));
  auto unscored = [](const arch_type&) { return 0.0; };
  const auto reference = random_search<Space>(unscored, constraint, options.tvt_reference,
                                              derive_seed(options.seed, 0x5245'4645));
  std::vector<std::vector<double>> parts(2);
  for (const auto& c : reference.history) {
    const auto s = scorer.tvt(c.architecture);
    parts[0].push_back(s.teacher_aware);
    parts[1].push_back(s.capability);
  }
  auto fused_with_reference = [&](const arch_type& a) {
    const auto s = scorer.tvt(a);
    auto with = parts;
    with[0].push_back(s.teacher_aware);
    with[1].push_back(s.capability);
    return fuse_scores(with, scorer.options().tvt_fusion, scorer.options().tvt_weights).back();
  };
  return evolutionary_search<Space>(fused_with_reference, constraint, options.evolution, progress);
}

}  // namespace ovo
