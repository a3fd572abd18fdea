// Several methods' Pareto fronts in one plot, each over every candidate its searches evaluated.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/report/run_report.hpp"
#include "ovo/report/svg_plot.hpp"
#include "ovo/search/candidate.hpp"
#include "ovo/search/pareto.hpp"

namespace ovo {

// One method of a comparison: its name and its searches (one per budget, say).
template <class Arch>
struct method_searches {
  std::string name;
  std::vector<basic_search_result<Arch>> searches;
};

// The front of fitness against parameters over the candidates of all of `m`'s searches.
template <class Arch>
std::vector<basic_candidate<Arch>> combined_front(const method_searches<Arch>& m) {
  std::vector<basic_candidate<Arch>> all;
  for (const auto& s : m.searches) all.insert(all.end(), s.history.begin(), s.history.end());
  return pareto_front(all);
}

// Each method's combined front as a line, and the subnet each of its searches chose as markers
// of the same colour.
template <class Arch>
std::string fronts_svg(const std::string& title, std::span<const method_searches<Arch>> methods,
                       const fitness_axis& axis = {}) {
  std::vector<plot_series> series;
  for (std::size_t i = 0; i < methods.size(); ++i) {
    const std::string colour(plot_palette[i % plot_palette.size()]);
    auto front = detail::empty_series(methods[i].name, true, colour);
    for (const auto& c : combined_front(methods[i])) {
      front.x.push_back(static_cast<double>(c.params) / 1e6);
      front.y.push_back(axis.factor * c.fitness);
    }
    auto chosen = detail::empty_series({}, false, colour);
    for (const auto& s : methods[i].searches) {
      chosen.x.push_back(static_cast<double>(s.best.params) / 1e6);
      chosen.y.push_back(axis.factor * s.best.fitness);
    }
    series.push_back(std::move(front));
    series.push_back(std::move(chosen));
  }
  return svg_plot(title, "parameters (M)", axis.label(), series);
}

// [{"name", "front": [candidates], "chosen": [each search's best]}] of the methods.
template <class Arch>
nlohmann::json fronts_json(std::span<const method_searches<Arch>> methods) {
  auto j = nlohmann::json::array();
  for (const auto& m : methods) {
    auto chosen = nlohmann::json::array();
    for (const auto& s : m.searches) chosen.push_back(s.best);
    j.push_back({{"name", m.name}, {"front", combined_front(m)}, {"chosen", chosen}});
  }
  return j;
}

}  // namespace ovo
