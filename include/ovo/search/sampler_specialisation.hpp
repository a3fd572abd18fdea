// Specialisation of a trained FocusFormer sampler to a budget: the best of the archs it proposes
// for the budget's bin, in the record format of the other searches.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "ovo/sample/focusformer_sampler.hpp"
#include "ovo/search/constraint.hpp"
#include "ovo/search/random_search.hpp"

namespace ovo {

// The budget of `constraint` in the sampler's cost measure: its parameter or FLOP ceiling.
inline double constraint_budget(const cost_constraint& constraint, cost_measure measure) {
  return measure == cost_measure::params ? constraint.max_params : constraint.max_flops;
}

// Evaluates up to `draws` distinct archs drawn from the sampler's distributions of the bin that
// holds the constraint's budget (the last bin without one), each admitted by the constraint, and
// returns them as a search: candidate i has generation i and origin "sampler", and the history's
// size is the number of evaluations it took. A draw that repeats an evaluated arch is drawn again,
// up to `max_attempts` times; the search then ends early. Throws std::invalid_argument when no
// admitted arch is found at all.
template <gene_coded_space Space, arch_fitness<space_arch<Space>> Fitness>
search_result_of<Space> specialise(const focusformer_sampler<Space>& sampler, Fitness&& fitness,
                                   const cost_constraint& constraint, int draws, std::uint64_t seed,
                                   const search_progress_of<Space>& progress = {},
                                   int max_attempts = 1000) {
  constraint.validate();
  if (draws < 1 || max_attempts < 1)
    throw std::invalid_argument(
        fmt::format("specialise: draws = {} and max_attempts = {}, expected both at least 1", draws,
                    max_attempts));
  const double budget = constraint_budget(constraint, sampler.options().cost);
  const int bin = std::isfinite(budget) ? sampler.bin_of(budget) : sampler.bins() - 1;
  rng_engine rng(seed);
  detail::candidate_pool<Space, std::remove_reference_t<Fitness>> pool(fitness, constraint);
  const auto admitted = [&](const space_arch<Space>& a) { return constraint.admits<Space>(a); };
  std::vector<double> best_per_draw;
  for (int i = 0; i < draws; ++i) {
    bool found = false;
    for (int attempt = 0; attempt < max_attempts && !found; ++attempt)
      found = pool.offer(sampler.draw(bin, rng, admitted), i, "sampler");
    if (!found) break;
    pool.evaluate();
    best_per_draw.push_back(pool.best().fitness);
    if (progress) progress(i, pool.best(), pool.history().size());
  }
  return std::move(pool).result(std::move(best_per_draw));
}

}  // namespace ovo
