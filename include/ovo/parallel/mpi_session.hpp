// MPI for a program's lifetime: initialised when the program was launched by an MPI launcher
// (mpirun, srun), finalised at exit; and the end of the whole job when one process fails.
#pragma once

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ovo::parallel {

// The error of an MPI call, naming the call and MPI's message.
inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(fmt::format("{} failed: {}", call, std::string(text, length)));
}

// Whether an MPI launcher started this process (Open MPI's mpirun, a PMI or PMIx launcher such as
// Slurm's srun): a program started by hand runs as one process without initialising MPI.
inline bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(variable)) return true;
  return false;
}

// Whether MPI is initialised in this process (by an mpi_session or by the caller).
inline bool mpi_initialised() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  return initialised != 0;
}

// MPI_Init_thread (the calling thread alone makes MPI calls: MPI_THREAD_FUNNELED) on
// construction, MPI_Finalize on destruction; errors of MPI calls on the world communicator are
// returned to the caller (check_mpi) instead of ending the job.
class mpi_session {
 public:
  mpi_session(int& argc, char**& argv) {
    int provided = 0;
    check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  ~mpi_session() { MPI_Finalize(); }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;

  // Ends every process of the job with `code` after `message` (stderr): the way out of an error
  // in one process while the others wait for it in a collective call.
  [[noreturn]] static void abort_job(const std::string& message, int code = 1) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fmt::print(stderr, "process {}: {}\n", rank, message);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);  // not reached: MPI_Abort does not return
  }
};

}  // namespace ovo::parallel
