// One GPU per process: the GPU of a process's place among the processes of its machine.
#pragma once

#include <cuda_runtime.h>
#include <mpi.h>

#include <stdexcept>

#include "ovo/backend/cuda/check_cuda.hpp"
#include "ovo/parallel/mpi_session.hpp"

namespace ovo::parallel {

// Makes the GPU of this process's place among the processes of its machine current (local rank
// modulo the machine's GPUs) and returns its index: call it before any other CUDA call.
inline int select_local_device(MPI_Comm comm = MPI_COMM_WORLD) {
  MPI_Comm local;
  check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local),
            "MPI_Comm_split_type");
  int local_rank = 0, devices = 0;
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_free(&local);
  cuda::check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
  if (devices == 0) throw std::runtime_error("select_local_device: no CUDA GPU is visible");
  const int device = local_rank % devices;
  cuda::check_cuda(cudaSetDevice(device), "cudaSetDevice");
  return device;
}

}  // namespace ovo::parallel
