// The trainer whose checkpoints the checkpoint fuzz target resumes and the seed writer writes.
#pragma once

#include <cstddef>
#include <filesystem>

#include <ovo/backend/cpu.hpp>
#include <ovo/nn/vit_supernet.hpp>
#include <ovo/train/supernet_trainer.hpp>

#include "fuzz_support.hpp"

namespace ovo::fuzz {

// A loader that is never asked for a batch: the trainer only saves and resumes checkpoints.
struct no_batch_loader {
  std::size_t batches_per_epoch() const { return 1; }
};

using small_trainer = supernet_trainer<small_space, vit_supernet<cpu<float>>, no_batch_loader>;

inline trainer_options small_trainer_options(const std::filesystem::path& checkpoint) {
  trainer_options options;
  options.total_steps = 100;
  options.seed = 5;
  options.checkpoint_path = checkpoint;
  return options;
}

}  // namespace ovo::fuzz
