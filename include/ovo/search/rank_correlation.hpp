// Rank correlations between two scorings of the same archs (Kendall's tau-b, Spearman's rho), ties
// included: how well a proxy or a supernet ranks what stand-alone training ranks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace ovo {

namespace detail {

// Refuses two scorings of different lengths, fewer than two archs, or a NaN score.
inline void require_paired_scores(std::span<const double> a, std::span<const double> b,
                                  std::string_view what) {
  if (a.size() != b.size())
    throw std::invalid_argument(fmt::format(
        "{}: {} and {} scores, expected one per arch on each side", what, a.size(), b.size()));
  if (a.size() < 2)
    throw std::invalid_argument(fmt::format("{}: {} archs, expected at least 2", what, a.size()));
  for (const auto side : {a, b})
    for (std::size_t i = 0; i < side.size(); ++i)
      if (std::isnan(side[i]))
        throw std::invalid_argument(fmt::format("{}: score {} is NaN", what, i));
}

}  // namespace detail

// The rank of each value, 1 for the smallest; tied values share the mean of the ranks they span
// (scipy.stats.rankdata's "average"). Throws std::invalid_argument on a NaN value.
inline std::vector<double> average_ranks(std::span<const double> values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::isnan(values[i]))
      throw std::invalid_argument(fmt::format("average_ranks: value {} is NaN", i));
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return values[i] < values[j] || (values[i] == values[j] && i < j);
  });
  std::vector<double> ranks(values.size());
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first + 1;
    while (last < order.size() && values[order[last]] == values[order[first]]) ++last;
    const double shared = 0.5 * static_cast<double>(first + 1 + last);  // mean of first+1..last
    for (std::size_t k = first; k < last; ++k) ranks[order[k]] = shared;
    first = last;
  }
  return ranks;
}

// Spearman's rho: Pearson's correlation of the average ranks (scipy.stats.spearmanr). NaN when
// either side gives every arch the same score: there is no order to compare.
inline double spearman_rho(std::span<const double> a, std::span<const double> b) {
  detail::require_paired_scores(a, b, "spearman_rho");
  const auto ra = average_ranks(a), rb = average_ranks(b);
  const double mean = 0.5 * static_cast<double>(a.size() + 1);  // of any ranking's ranks
  double cov = 0, var_a = 0, var_b = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    var_a += (ra[i] - mean) * (ra[i] - mean);
    var_b += (rb[i] - mean) * (rb[i] - mean);
  }
  if (var_a == 0 || var_b == 0) return std::numeric_limits<double>::quiet_NaN();
  return cov / std::sqrt(var_a * var_b);
}

// Kendall's tau-b (scipy.stats.kendalltau's default): (concordant - discordant pairs) /
// sqrt((n0 - ties_a) (n0 - ties_b)), n0 = n (n - 1) / 2 and ties_a, ties_b the pairs tied on each
// side (a pair tied on both counts in both). NaN when either side is constant. O(n^2) pairs: a
// ranking study has a few hundred archs at most.
inline double kendall_tau(std::span<const double> a, std::span<const double> b) {
  detail::require_paired_scores(a, b, "kendall_tau");
  double balance = 0, ties_a = 0, ties_b = 0;
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const int order_a = (a[i] < a[j]) - (a[j] < a[i]), order_b = (b[i] < b[j]) - (b[j] < b[i]);
      ties_a += order_a == 0;
      ties_b += order_b == 0;
      balance += order_a * order_b;  // +1 concordant, -1 discordant, 0 tied on either side
    }
  const double pairs = 0.5 * static_cast<double>(n) * static_cast<double>(n - 1);
  if (ties_a == pairs || ties_b == pairs) return std::numeric_limits<double>::quiet_NaN();
  return balance / std::sqrt((pairs - ties_a) * (pairs - ties_b));
}

}  // namespace ovo
