// Data-parallel GPU processes, one GPU each: gradient averages by NCCL on the calling thread's
// stream (no wait for the host), host sums and NCCL's start through MPI.
#pragma once

#include <mpi.h>
#include <nccl.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "ovo/parallel/mpi_process_group.hpp"

namespace ovo::parallel {

inline void check_nccl(ncclResult_t status, const char* call) {
  if (status != ncclSuccess)
    throw std::runtime_error(std::string(call) + ": " + ncclGetErrorString(status));
}

// The processes of an MPI communicator, each on its current GPU, as a process_group of the CUDA
// back end `Backend` (thrust_backend<T, cuda::system>): average() is one ncclAllReduce with
// ncclAvg, issued on the calling thread's stream like the back end's own ops, so a step stays
// free of host waits; sum() is the MPI group's (host values, bounded waits). NCCL's own waits are
// not bounded: a process that dies leaves the others waiting until the launcher ends the job.
template <class Backend>
class nccl_process_group {
 public:
  explicit nccl_process_group(mpi_process_group<Backend> host) : host_(host) {
    ncclUniqueId id;
    if (host_.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    check_mpi(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, host_.communicator()),
              "MPI_Bcast (NCCL's id)");
    check_nccl(ncclCommInitRank(&comm_, host_.size(), id, host_.rank()), "ncclCommInitRank");
  }
  ~nccl_process_group() {
    if (comm_) ncclCommDestroy(comm_);
  }
  nccl_process_group(const nccl_process_group&) = delete;
  nccl_process_group& operator=(const nccl_process_group&) = delete;
  nccl_process_group(nccl_process_group&& other) noexcept
      : host_(other.host_), comm_(std::exchange(other.comm_, nullptr)) {}

  int rank() const { return host_.rank(); }
  int size() const { return host_.size(); }
  void sum(std::span<double> values) { host_.sum(values); }

  template <class T>
  void average(T* values, std::size_t n) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "nccl_process_group: expected float or double values");
    if (n == 0) return;
    check_nccl(ncclAllReduce(values, values, n, std::is_same_v<T, float> ? ncclFloat : ncclDouble,
                             ncclAvg, comm_, Backend::current_context().stream()),
               "ncclAllReduce");
  }

 private:
  mpi_process_group<Backend> host_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace ovo::parallel
