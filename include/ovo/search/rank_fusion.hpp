// One score per candidate from several scorings of the same candidates (higher is better in each):
// the sum of ranks, or a weighted sum or the product of min-max normalised scores.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/search/rank_correlation.hpp"

namespace ovo {

enum class fusion_rule {
  rank_sum,      // sum of average ranks (1 for the lowest score, ties share the mean)
  weighted_sum,  // sum of weight * min-max normalised score
  product,       // product of min-max normalised scores
};

inline fusion_rule parse_fusion_rule(std::string_view name) {
  if (name == "rank-sum") return fusion_rule::rank_sum;
  if (name == "weighted-sum") return fusion_rule::weighted_sum;
  if (name == "product") return fusion_rule::product;
  throw std::invalid_argument(
      fmt::format("fusion rule '{}': expected rank-sum, weighted-sum or product", name));
}
inline std::string to_string(fusion_rule rule) {
  switch (rule) {
    case fusion_rule::rank_sum:
      return "rank-sum";
    case fusion_rule::weighted_sum:
      return "weighted-sum";
    case fusion_rule::product:
      return "product";
  }
  return "?";
}

// (s - min) / (max - min) for each score: 0 for the lowest, 1 for the highest; every score 1 when
// all are equal (a scoring that tells the candidates apart in no way weighs on none of them).
inline std::vector<double> min_max_normalised(std::span<const double> scores) {
  const auto [low, high] = std::minmax_element(scores.begin(), scores.end());
  std::vector<double> out(scores.size(), 1.0);
  if (*high > *low)
    for (std::size_t i = 0; i < scores.size(); ++i) out[i] = (scores[i] - *low) / (*high - *low);
  return out;
}

// One fused score per candidate, higher is better, from `scorings` (each one score per candidate,
// higher is better, all of the same length). rank_sum adds each candidate's average ranks;
// weighted_sum adds weights[k] times scoring k min-max normalised (weights empty: 1 each);
// product multiplies the min-max normalised scores. Throws std::invalid_argument on no scorings,
// no candidates, scorings of different lengths, a NaN score, an infinite score under a min-max
// rule, weights under another rule than weighted_sum, or weights not finite and one per scoring.
inline std::vector<double> fuse_scores(std::span<const std::vector<double>> scorings,
                                       fusion_rule rule = fusion_rule::rank_sum,
                                       std::span<const double> weights = {}) {
  if (scorings.empty())
    throw std::invalid_argument("fuse_scores: no scorings, expected at least one");
  const std::size_t n = scorings[0].size();
  if (n == 0) throw std::invalid_argument("fuse_scores: no candidates, expected at least one");
  for (std::size_t k = 0; k < scorings.size(); ++k) {
    if (scorings[k].size() != n)
      throw std::invalid_argument(
          fmt::format("fuse_scores: scoring {} has {} scores, expected {} (one per candidate, as "
                      "scoring 0)",
                      k, scorings[k].size(), n));
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(scorings[k][i]))
        throw std::invalid_argument(
            fmt::format("fuse_scores: score {} of scoring {} is NaN, expected a number", i, k));
      if (rule != fusion_rule::rank_sum && std::isinf(scorings[k][i]))
        throw std::invalid_argument(fmt::format(
            "fuse_scores: score {} of scoring {} is {}, expected a finite number for {}", i, k,
            scorings[k][i], to_string(rule)));
    }
  }
  if (rule != fusion_rule::weighted_sum && !weights.empty())
    throw std::invalid_argument(fmt::format(
        "fuse_scores: {} weights for {}, expected none (only weighted-sum takes weights)",
        weights.size(), to_string(rule)));
  if (!weights.empty() && weights.size() != scorings.size())
    throw std::invalid_argument(
        fmt::format("fuse_scores: {} weights for {} scorings, expected one per scoring",
                    weights.size(), scorings.size()));
  for (std::size_t k = 0; k < weights.size(); ++k)
    if (!std::isfinite(weights[k]))
      throw std::invalid_argument(
          fmt::format("fuse_scores: weight {} is {}, expected a finite number", k, weights[k]));
  std::vector<double> fused(n, rule == fusion_rule::product ? 1.0 : 0.0);
  for (std::size_t k = 0; k < scorings.size(); ++k) {
    const auto part = rule == fusion_rule::rank_sum ? average_ranks(scorings[k])
                                                    : min_max_normalised(scorings[k]);
    const double weight = weights.empty() ? 1.0 : weights[k];
    for (std::size_t i = 0; i < n; ++i)
      fused[i] = rule == fusion_rule::product        ? fused[i] * part[i]
                 : rule == fusion_rule::weighted_sum ? fused[i] + weight * part[i]
                                                     : fused[i] + part[i];
  }
  return fused;
}

}  // namespace ovo
