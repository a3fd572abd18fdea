// The NCCL process group of GPU processes: a process_group of the CUDA back end; on a GPU, one
// process's averages and sums leave the values as they are. Without a GPU the test says so.
#include <doctest/doctest.h>
#include <mpi.h>

#include <vector>

#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/cuda/system.hpp>
#include <ovo/backend/thrust.hpp>
#include <ovo/parallel/local_device.hpp>
#include <ovo/parallel/nccl_process_group.hpp>
#include <ovo/util/process_group.hpp>

namespace {

using cuda_float = ovo::thrust_backend<float, ovo::cuda::system>;
static_assert(ovo::process_group<ovo::parallel::nccl_process_group<cuda_float>, float>);
static_assert(ovo::process_group<ovo::parallel::mpi_process_group<cuda_float>, float>);

TEST_CASE("NCCL: one GPU process averages and sums to the values themselves") {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU: the NCCL process group is compiled, not run");
    return;
  }
  int argc = 0;
  char** argv = nullptr;
  MPI_Init(&argc, &argv);
  {
    ovo::parallel::select_local_device();
    ovo::parallel::nccl_process_group<cuda_float> group(
        ovo::parallel::mpi_process_group<cuda_float>(60));
    CHECK(group.size() == 1);
    const std::vector<float> host{1.5f, -2.0f, 3.25f};
    cuda_float::buffer<float> values(host.size());
    cuda_float::copy_from_host(host, values.data());
    group.average(values.data(), host.size());
    std::vector<float> back(host.size());
    cuda_float::copy_to_host(values.data(), back);
    CHECK(back == host);
    std::vector<double> sums{2.0, 5.0};
    group.sum(sums);
    CHECK(sums == std::vector<double>{2.0, 5.0});
  }
  MPI_Finalize();
}

}  // namespace
