// Data-parallel processes over MPI: sums and gradient averages by MPI_Iallreduce, every wait
// bounded by a timeout, so that a process that stopped fails the job instead of hanging it.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "ovo/parallel/mpi_session.hpp"

namespace ovo::parallel {

template <class T>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "mpi_process_group: expected float or double values");
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

// The processes of an MPI communicator (the world's by default) as a process_group of `Backend`:
// average() stages back-end memory through the host when the back end is not the host's
// (Backend::host_memory), sums in place otherwise, and scales by 1 / size. A wait longer than
// `timeout_seconds` throws, naming the process, the operation and its size; the reduction it gave
// up on stays posted, so the job must end then (mpi_session::abort_job) or the late processes
// must still join it.
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
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm communicator() const { return comm_; }
  double timeout_seconds() const { return timeout_seconds_; }

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

  // Sums values[0, n) over the processes in place, in pieces of at most INT_MAX values.
  template <class T>
  void all_reduce(T* values, std::size_t n, std::string_view what) {
    for (std::size_t first = 0; first < n; first += INT_MAX) {
      const int count = static_cast<int>(std::min<std::size_t>(n - first, INT_MAX));
      MPI_Request request;
      check_mpi(MPI_Iallreduce(MPI_IN_PLACE, values + first, count, mpi_type<T>(), MPI_SUM, comm_,
                               &request),
                "MPI_Iallreduce");
      wait(request, what, n);
    }
  }

  // Polls until the request completes, backing off to 1 ms between polls; throws after the timeout.
  void wait(MPI_Request& request, std::string_view what, std::size_t n) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto pause = std::chrono::microseconds(1);
    for (;;) {
      int done = 0;
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done) return;
      const double waited = std::chrono::duration<double>(clock::now() - start).count();
      if (waited > timeout_seconds_)
        throw std::runtime_error(fmt::format(
            "data parallelism: process {} of {} waited {:.1f} s for {} ({} values) without "
            "hearing from every process: one has stopped or is stuck",
            rank_, size_, waited, what, n));
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  MPI_Comm comm_;
  double timeout_seconds_;
  int rank_ = 0, size_ = 1;
  std::vector<float> staging_float_;
  std::vector<double> staging_double_;
};

}  // namespace ovo::parallel
