// The processes a program runs in: one, or the MPI job's when it was built with OVO_MPI and
// launched by mpirun or srun (docs/distributed.md).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#if defined(OVO_APPS_MPI)
#include <ovo/parallel/mpi_process_group.hpp>
#endif
#if defined(OVO_APP_CUDA) && defined(OVO_APPS_NCCL)
#include <ovo/parallel/nccl_process_group.hpp>
#endif

#include <fmt/format.h>

#include "device.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

#if defined(OVO_APPS_MPI)
using mpi_lifetime = std::unique_ptr<parallel::mpi_session>;
#else
struct mpi_lifetime {};
#endif

// MPI for the program's lifetime when a launcher started it (and no caller did so already).
inline mpi_lifetime start_mpi([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
#if defined(OVO_APPS_MPI)
  if (!parallel::mpi_initialised() && parallel::launched_by_mpi())
    return std::make_unique<parallel::mpi_session>(argc, argv);
#endif
  return {};
}

// Ends every process of the job after `message`: the others may be waiting for this one.
[[noreturn]] inline void abort_job(const std::string& message) {
#if defined(OVO_APPS_MPI)
  parallel::mpi_session::abort_job(message);
#else
  throw std::logic_error("abort_job: " + message + " (a program without MPI has one process)");
#endif
}

// The job's processes as a process_group of this build's back end: data-parallel training averages
// its gradients through it (on GPUs by NCCL where it was found, else through the host by MPI) and
// the search shares out its candidates.
class job_processes {
 public:
  explicit job_processes([[maybe_unused]] const run_config& c) {
#if defined(OVO_APPS_MPI)
    if (parallel::mpi_initialised()) mpi_.emplace(c.process_timeout_seconds);
#endif
#if defined(OVO_APP_CUDA) && defined(OVO_APPS_NCCL)
    if (mpi_ && mpi_->size() > 1)
      nccl_ = std::make_shared<parallel::nccl_process_group<backend>>(*mpi_);
#endif
  }

  int rank() const {
#if defined(OVO_APPS_MPI)
    if (mpi_) return mpi_->rank();
#endif
    return 0;
  }
  int size() const {
#if defined(OVO_APPS_MPI)
    if (mpi_) return mpi_->size();
#endif
    return 1;
  }
  void sum([[maybe_unused]] std::span<double> values) {
#if defined(OVO_APPS_MPI)
    if (mpi_) mpi_->sum(values);
#endif
  }
  template <class T>
  void average([[maybe_unused]] T* values, [[maybe_unused]] std::size_t n) {
#if defined(OVO_APP_CUDA) && defined(OVO_APPS_NCCL)
    if (nccl_) return nccl_->average(values, n);
#endif
#if defined(OVO_APPS_MPI)
    if (mpi_) mpi_->average(values, n);
#endif
  }

 private:
#if defined(OVO_APPS_MPI)
  std::optional<parallel::mpi_process_group<backend>> mpi_;
#endif
#if defined(OVO_APP_CUDA) && defined(OVO_APPS_NCCL)
  std::shared_ptr<parallel::nccl_process_group<backend>> nccl_;  // shared by the stages' copies
#endif
};

// The subcommands that run on several processes (`mpirun -np N`): train and search share their
// work; every other refuses more than one.
inline void require_one_process(const job_processes& processes, std::string_view what) {
  if (processes.size() > 1)
    throw std::invalid_argument(fmt::format(
        "{} runs on one process, not {}: launch it without mpirun (train, search and run share "
        "their work among processes)",
        what, processes.size()));
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
