// The processes a job runs in and what they do together: their ranks, sums of host values,
// averages of back-end buffers, and each one's shard of a batch. One process is the default; MPI
// and NCCL groups are optional (parallel/).
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

namespace ovo {

// Processes that know their place and sum host values.
//   set.rank(), set.size()   this process's index and the number of processes
//   set.sum(values)          replaces each host value by its sum over the processes, in every one
template <class G>
concept process_set = requires(G& set, const G& cset, std::span<double> values) {
  { cset.rank() } -> std::convertible_to<int>;
  { cset.size() } -> std::convertible_to<int>;
  set.sum(values);
};

// Processes that also average buffers of back-end memory (a data-parallel step's gradients).
//   group.average(values, n)   replaces values[0, n) by their mean over the processes, in every one
template <class G, class T>
concept process_group = process_set<G> && requires(G& group, T* values, std::size_t n) {
  group.average(values, n);
};

// One process: sums and averages are the values themselves.
struct single_process {
  int rank() const { return 0; }
  int size() const { return 1; }
  void sum(std::span<double>) {}
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
