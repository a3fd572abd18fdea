// The step count a wall-clock budget allows, from the pace of timed steps.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace ovo {

// The step after a time budget's timed steps [skip, end): skip + probe, or the end of the warm-up
// when probe is 0 (every warm-up step after the skipped ones).
inline long budget_probe_end(long skip, long probe, long warmup) {
  return probe > 0 ? skip + probe : warmup;
}

// Throws std::invalid_argument, naming `options` (the settings' struct), unless a time budget's
// timed steps are at least one and all within the warm-up, whose learning rate does not depend on
// the run's length.
inline void check_budget_probe(std::string_view options, long skip, long probe, long warmup) {
  const long end = budget_probe_end(skip, probe, warmup);
  if (skip < 0 || probe < 0 || end <= skip || end > warmup)
    throw std::invalid_argument(fmt::format(
        "{}: a time budget times steps {}..{} within the warm-up; warmup_steps is {}, expected at "
        "least {}",
        options, skip, end - 1, warmup, std::max(end, skip + 1)));
}

// The steps of a run that has done `done` steps in `elapsed_seconds` and spent `timed_seconds` on
// `timed_steps` of them: `done` plus as many more as fit in the rest of `budget_seconds` at that
// pace (never fewer than `done`).
inline long steps_within_budget(long done, double budget_seconds, double elapsed_seconds,
                                double timed_seconds, long timed_steps) {
  const double per_step = timed_seconds / static_cast<double>(timed_steps);
  const double left = budget_seconds - elapsed_seconds;
  const long more = per_step > 0 ? static_cast<long>(std::max(0.0, left) / per_step) : 0;
  return std::max(done, done + more);
}

}  // namespace ovo
