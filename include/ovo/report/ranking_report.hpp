// A ranking study's report: how well each predictor of accuracy (a supernet's inherited top-1, a
// training-free proxy) orders archs as their stand-alone accuracies do, as JSON and an SVG plot.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/report/svg_plot.hpp"
#include "ovo/search/rank_correlation.hpp"

namespace ovo {

// One scoring of the study's archs, in the archs' order: a predictor (higher: predicted better) or
// a target (a stand-alone accuracy).
struct arch_scores {
  std::string name;
  std::vector<double> values;
};

// How one predictor ranks the archs against one target.
struct ranking_agreement {
  std::string predictor, target;
  double kendall_tau = 0, spearman_rho = 0;  // NaN when either side is constant
};

// Kendall's tau-b and Spearman's rho of every predictor against every target, predictor by
// predictor; throws std::invalid_argument (naming both) when a pair's lengths differ or a value is
// NaN.
inline std::vector<ranking_agreement> ranking_agreements(std::span<const arch_scores> predictors,
                                                         std::span<const arch_scores> targets) {
  std::vector<ranking_agreement> out;
  for (const auto& p : predictors)
    for (const auto& t : targets) {
      try {
        out.push_back(
            {p.name, t.name, kendall_tau(p.values, t.values), spearman_rho(p.values, t.values)});
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(
            fmt::format("ranking of predictor '{}' against '{}': {}", p.name, t.name, e.what()));
      }
    }
  return out;
}

inline void to_json(nlohmann::json& j, const ranking_agreement& a) {
  auto number = [](double v) {
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  };
  j = {{"predictor", a.predictor},
       {"target", a.target},
       {"kendall_tau", number(a.kendall_tau)},
       {"spearman_rho", number(a.spearman_rho)}};
}

// A scatter plot per predictor against `target`: x is the arch's rank by the predictor scaled to
// [0, 1] (1: predicted best; ties share their mean rank), y the target's value; the legend gives
// each predictor's Kendall tau.
inline std::string ranking_svg(const std::string& title, std::span<const arch_scores> predictors,
                               const arch_scores& target, const std::string& target_label) {
  std::vector<plot_series> series;
  for (const auto& p : predictors) {
    const auto ranks = average_ranks(p.values);
    const double scale = ranks.size() > 1 ? 1.0 / static_cast<double>(ranks.size() - 1) : 1.0;
    plot_series s{.label = "", .x = {}, .y = target.values, .line = false, .colour = ""};
    for (double r : ranks) s.x.push_back((r - 1) * scale);
    const double tau = kendall_tau(p.values, target.values);
    s.label = std::isnan(tau) ? fmt::format("{} (tau undefined)", p.name)
                              : fmt::format("{} (tau {:+.2f})", p.name, tau);
    series.push_back(std::move(s));
  }
  return svg_plot(title, "rank by the predictor (0: worst, 1: best)", target_label, series, 760,
                  440);
}

}  // namespace ovo
