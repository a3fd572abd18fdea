// The Pareto front of evaluated candidates: the best fitness for each cost.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <numeric>
#include <vector>

#include "ovo/search/candidate.hpp"

namespace ovo {

// The candidates that no other candidate dominates in (higher fitness, lower cost): b dominates a
// when b is at least as good in both and better in one. Of candidates equal in both, only the
// first seen is kept. Sorted by cost ascending, so fitness ascends strictly too.
template <class Arch, std::invocable<const basic_candidate<Arch>&> Cost>
std::vector<basic_candidate<Arch>> pareto_front(
    const std::vector<basic_candidate<Arch>>& candidates, Cost cost) {
  std::vector<double> costs(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i)
    costs[i] = static_cast<double>(std::invoke(cost, candidates[i]));
  std::vector<std::size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Cheapest first; at equal cost the fittest first, then the first seen.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (costs[a] != costs[b]) return costs[a] < costs[b];
    if (candidates[a].fitness != candidates[b].fitness)
      return candidates[a].fitness > candidates[b].fitness;
    return a < b;
  });
  std::vector<basic_candidate<Arch>> front;
  for (std::size_t i : order)
    if (front.empty() || candidates[i].fitness > front.back().fitness)
      front.push_back(candidates[i]);
  return front;
}

// The front of fitness against parameter count.
template <class Arch>
std::vector<basic_candidate<Arch>> pareto_front(
    const std::vector<basic_candidate<Arch>>& candidates) {
  return pareto_front(candidates,
                      [](const basic_candidate<Arch>& c) { return static_cast<double>(c.params); });
}

}  // namespace ovo
