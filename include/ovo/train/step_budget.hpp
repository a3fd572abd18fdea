// The step count a wall-clock budget allows, from the pace of timed steps.
#pragma once

#include <algorithm>

namespace ovo {

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
