// Learning-rate schedule: linear warm-up, then cosine decay to a floor.
#pragma once

#include <cmath>
#include <numbers>

namespace ovo {

struct cosine_schedule {
  double base_lr = 5e-4;
  double min_lr = 1e-5;
  long warmup_steps = 0;
  long total_steps = 1;
  double warmup_start_lr = 1e-6;

  // The learning rate of step `step` (0-based).
  double operator()(long step) const {
    if (step < warmup_steps)
      return warmup_start_lr + (base_lr - warmup_start_lr) * static_cast<double>(step) /
                                   static_cast<double>(warmup_steps);
    const long span = total_steps - warmup_steps;
    if (span <= 0 || step >= total_steps) return min_lr;
    const double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(span);
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
  }
};

}  // namespace ovo
