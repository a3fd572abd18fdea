// Data-parallel processes over MPI: sums and gradient averages by MPI_Allreduce, every wait
// bounded by a timeout, so that a process that stopped fails the job instead of hanging it.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "ovo/parallel/collective_watchdog.hpp"
#include "ovo/parallel/mpi_session.hpp"

namespace ovo::parallel {

template <class T>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "mpi_process_group: expected float or double values");
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

// The processes of an MPI communicator (the world's by default) as a process_group of `Backend`:
// sums and averages by MPI_Allreduce (Open MPI's tuned blocking collective: 2-3 times faster than
// its nonblocking one on one machine). average() stages back-end memory through the host when the
// back end's is not the host's (Backend::host_memory), sums in place otherwise, and scales by
// 1 / size. A call that waits longer than `timeout_seconds` ends the process with a message
// naming the process, the operation and its size, and the launcher then ends the job: a process
// that stopped or hangs fails the job instead of leaving the others waiting. Copies share one
// watchdog.
template <class Backend>
class mpi_process_group {
 public:
  explicit mpi_process_group(double timeout_seconds = 600, MPI_Comm comm = MPI_COMM_WORLD)
      : comm_(comm), timeout_seconds_(timeout_seconds) {
    if (!(timeout_seconds > 0))
      throw std::invalid_argument(fmt::format(
          "mpi_process_group: timeout of {} s, expected a positive one", timeout_seconds));
    check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    watchdog_ = std::make_shared<collective_watchdog>(timeout_seconds);
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm communicator() const { return comm_; }

  void sum(std::span<double> values) { all_reduce(values.data(), values.size(), "a sum"); }

  template <class T>
  void average(T* values, std::size_t n) {
    if (size_ == 1 || n == 0) return;
    T* host = values;
    if constexpr (!Backend::host_memory) {
      staging_<T>().resize(n);
      Backend::copy_to_host(values, std::span<T>(staging_<T>()));
      host = staging_<T>().data();
    }
    all_reduce(host, n, "the gradient average");
    const T scale = T(1) / static_cast<T>(size_);
    for (std::size_t i = 0; i < n; ++i) host[i] *= scale;
    if constexpr (!Backend::host_memory)
      Backend::copy_from_host(std::span<const T>(host, n), values);
  }

 private:
  template <class T>
  std::vector<T>& staging_() {
    if constexpr (std::is_same_v<T, float>)
      return staging_float_;
    else
      return staging_double_;
  }

  // Sums values[0, n) over the processes in place, in pieces of at most INT_MAX values, each
  // under the watchdog.
  template <class T>
  void all_reduce(T* values, std::size_t n, std::string_view what) {
    const auto message = fmt::format(
        "data parallelism: process {} of {} waited {:.1f} s for {} ({} values) without hearing "
        "from every process: one has stopped or is stuck; ending the job",
        rank_, size_, timeout_seconds_, what, n);
    for (std::size_t first = 0; first < n; first += INT_MAX) {
      const int count = static_cast<int>(std::min<std::size_t>(n - first, INT_MAX));
      watchdog_->guard(message, [&] {
        check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + first, count, mpi_type<T>(), MPI_SUM, comm_),
                  "MPI_Allreduce");
      });
    }
  }

  MPI_Comm comm_;
  double timeout_seconds_;
  int rank_ = 0, size_ = 1;
  std::shared_ptr<collective_watchdog> watchdog_;
  std::vector<float> staging_float_;
  std::vector<double> staging_double_;
};

}  // namespace ovo::parallel
