// A process's shard of each batch in data-parallel training: equal rows per process, so that the
// mean of the processes' mean gradients is the batch's.
#pragma once

#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

namespace ovo {

// The rows [first, first + count) of a batch of `rows` that process `rank` of `size` trains on:
// equal shards, so that the mean of the shards' mean gradients is the batch's.
struct batch_shard {
  int first = 0, count = 0;
};

inline batch_shard shard_of(int rows, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size || rows % size != 0)
    throw std::invalid_argument(fmt::format(
        "data parallelism: a batch of {} rows for process {} of {}, expected a rank in 0..{} and "
        "a batch size that the process count divides",
        rows, rank, size, size - 1));
  const int count = rows / size;
  return {rank * count, count};
}

}  // namespace ovo
