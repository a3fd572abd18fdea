// The processes a job runs in and what they do together: their ranks, sums of host values, and
// averages of back-end buffers. One process is the default; MPI and NCCL groups are optional.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

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

}  // namespace ovo
