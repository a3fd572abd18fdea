// The data-parallel processes a trainer runs in: each takes a shard of every batch, and their
// gradients are averaged before clipping and the optimiser step. One process is the default.
#pragma once

#include <concepts>
#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

namespace ovo {

// A group of processes training one model on shards of each batch.
//   group.rank(), group.size()       this process's index and the number of processes
//   group.average(values, n)         replaces values[0, n) (back-end memory) by their mean over
//                                    the processes, in every process
template <class G, class T>
concept process_group = requires(G& group, const G& cgroup, T* values, std::size_t n) {
  { cgroup.rank() } -> std::convertible_to<int>;
  { cgroup.size() } -> std::convertible_to<int>;
  group.average(values, n);
};

// One process: every batch whole, gradients as they are.
struct single_process {
  int rank() const { return 0; }
  int size() const { return 1; }
  template <class T>
  void average(T*, std::size_t) {}
};

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
