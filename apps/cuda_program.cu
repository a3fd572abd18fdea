// The programs' stages built for the CUDA back end: what `ovo --device cuda` and the example
// trainers' --device cuda run, on every space of the `ovo` command.
#include <stdexcept>

#include <ovo/backend/cuda/devices.hpp>
#if defined(OVO_APPS_MPI)
#include <ovo/parallel/local_device.hpp>
#endif

#include "common/spaces.hpp"

namespace ovo::app {

int run_program_on_cuda(int argc, char** argv, const program_info& info) {
  if (cuda::device_count() == 0)
    throw std::runtime_error(
        "--device cuda: no CUDA GPU is visible to this process (cudaGetDeviceCount found none or "
        "no driver)");
#if defined(OVO_APPS_MPI)
  // Under mpirun, one GPU per process: its place on its machine picks it.
  if (parallel::mpi_initialised()) parallel::select_local_device();
#endif
  return run_program_on_every_space(argc, argv, info);
}

}  // namespace ovo::app
