// The evaluated archs of a search and its result, with the JSON of the report's search history.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/space/arch.hpp"

namespace ovo {

// Where a candidate came from.
// "sampler": drawn from a learned sampler (specialise).
inline constexpr std::array<std::string_view, 5> candidate_origins{
    "initial", "mutation", "crossover", "random", "sampler"};

template <class Arch>
struct basic_candidate {
  Arch architecture;
  double fitness = 0;
  std::uint64_t params = 0;
  double flops = 0;  // multiply-accumulates of one image's forward pass (see cost_constraint)
  int generation = 0;
  std::string origin;  // one of candidate_origins

  friend bool operator==(const basic_candidate&, const basic_candidate&) = default;
};

template <class Arch>
void to_json(nlohmann::json& j, const basic_candidate<Arch>& c) {
  j = nlohmann::json{{"arch", c.architecture}, {"fitness", c.fitness},       {"params", c.params},
                     {"flops", c.flops},       {"generation", c.generation}, {"origin", c.origin}};
}

template <class Arch>
void from_json(const nlohmann::json& j, basic_candidate<Arch>& c) {
  try {
    j.at("arch").get_to(c.architecture);
    j.at("fitness").get_to(c.fitness);
    j.at("params").get_to(c.params);
    j.at("flops").get_to(c.flops);
    j.at("generation").get_to(c.generation);
    j.at("origin").get_to(c.origin);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("candidate JSON: {} in {}", e.what(), j.dump()));
  }
  if (std::find(candidate_origins.begin(), candidate_origins.end(), c.origin) ==
      candidate_origins.end())
    throw std::invalid_argument(fmt::format("candidate JSON: origin '{}', expected one of {}",
                                            c.origin, candidate_origins));
}

template <class Arch>
struct basic_search_result {
  basic_candidate<Arch> best;  // the highest fitness; the first evaluated among equals
  std::vector<basic_candidate<Arch>> history;  // every evaluated candidate, in evaluation order
  // Entry g: the best fitness among the candidates of generations 0..g.
  std::vector<double> best_fitness_per_generation;
  std::vector<basic_candidate<Arch>> pareto;  // pareto_front(history): fitness against params

  friend bool operator==(const basic_search_result&, const basic_search_result&) = default;
};

template <class Arch>
void to_json(nlohmann::json& j, const basic_search_result<Arch>& r) {
  j = nlohmann::json{{"best", r.best},
                     {"history", r.history},
                     {"best_fitness_per_generation", r.best_fitness_per_generation},
                     {"pareto", r.pareto}};
}

template <class Arch>
void from_json(const nlohmann::json& j, basic_search_result<Arch>& r) {
  try {
    j.at("best").get_to(r.best);
    j.at("history").get_to(r.history);
    j.at("best_fitness_per_generation").get_to(r.best_fitness_per_generation);
    j.at("pareto").get_to(r.pareto);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("search result JSON: {}", e.what()));
  }
}

// Called after each generation of a search with the best candidate so far and the number of
// candidates evaluated so far.
template <class Arch>
using basic_search_progress =
    std::function<void(int generation, const basic_candidate<Arch>& best, std::size_t evaluated)>;

// The records of a search of the ViT spaces.
using candidate = basic_candidate<arch>;
using search_result = basic_search_result<arch>;
using search_progress = basic_search_progress<arch>;

}  // namespace ovo
