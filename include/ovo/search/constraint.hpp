// Cost limits that every arch a search evaluates must meet: parameters and FLOPs, closed ranges.
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/space/search_space.hpp"

namespace ovo {

namespace detail {
// An integral count exactly, with a short form beside large ones: "5700000 (5.7M)".
inline std::string format_cost(double value) {
  if (!(std::abs(value) < 1e15) || value != std::floor(value)) return fmt::format("{}", value);
  const std::string exact = fmt::format("{:.0f}", value);
  if (std::abs(value) < 1e4) return exact;
  constexpr struct {
    double scale;
    const char* suffix;
  } units[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& unit : units) {
    if (std::abs(value) < unit.scale) continue;
    std::string scaled = fmt::format("{:.2f}", value / unit.scale);
    scaled.erase(scaled.find_last_not_of('0') + 1);
    if (scaled.back() == '.') scaled.pop_back();
    return fmt::format("{} ({}{})", exact, scaled, unit.suffix);
  }
  return exact;
}
}  // namespace detail

// FLOPs here are what AutoFormer and OVO report as "FLOPs": the multiply-accumulates of one
// image's forward pass (count_macs), not twice that number.
struct cost_constraint {
  static constexpr double unlimited = std::numeric_limits<double>::infinity();

  double min_params = 0;
  double max_params = unlimited;
  double min_flops = 0;
  double max_flops = unlimited;

  // Throws unless each range is a non-empty range of non-negative numbers.
  void validate() const {
    auto check = [](const char* name, double lo, double hi) {
      if (std::isnan(lo) || std::isnan(hi) || lo < 0 || lo > hi)
        throw std::invalid_argument(
            fmt::format("cost_constraint: {} range [{}, {}] expected to satisfy 0 <= min <= max",
                        name, lo, hi));
    };
    check("params", min_params, max_params);
    check("flops", min_flops, max_flops);
  }

  bool admits_costs(double params, double flops) const {
    return params >= min_params && params <= max_params && flops >= min_flops && flops <= max_flops;
  }

  // Whether `a` has its parameters and FLOPs (Space's exact costs) within the limits.
  template <search_space Space>
  bool admits(const space_arch<Space>& a) const {
    return admits_costs(static_cast<double>(Space::params(a)), static_cast<double>(Space::macs(a)));
  }

  // The limits in words, e.g. "params <= 5700000 (5.7M), FLOPs >= 1000000000 (1G)".
  std::string describe() const {
    std::vector<std::string> parts;
    auto add = [&](const char* name, double lo, double hi) {
      const bool has_min = lo > 0, has_max = hi < unlimited;
      if (has_min && has_max)
        parts.push_back(
            fmt::format("{} <= {} <= {}", detail::format_cost(lo), name, detail::format_cost(hi)));
      else if (has_max)
        parts.push_back(fmt::format("{} <= {}", name, detail::format_cost(hi)));
      else if (has_min)
        parts.push_back(fmt::format("{} >= {}", name, detail::format_cost(lo)));
    };
    add("params", min_params, max_params);
    add("FLOPs", min_flops, max_flops);
    return parts.empty() ? std::string("no cost limit") : fmt::format("{}", fmt::join(parts, ", "));
  }
};

}  // namespace ovo
