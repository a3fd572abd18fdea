// Supernet training throughput on the CUDA back end (workload imagenet-tiny: AutoFormer-T,
// 224 px, patch 16, batch 256), with the device memory the run holds, as a JSON line.
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>

#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/cuda/system.hpp>
#include <ovo/backend/thrust.hpp>

#include "supernet_throughput.hpp"

namespace {

// Device memory in use, in bytes, by every process on the current GPU.
std::size_t device_bytes_in_use() {
  std::size_t free = 0, total = 0;
  ovo::cuda::check_cuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return total - free;
}

}  // namespace

int main(int argc, char** argv) {
  using backend = ovo::thrust_backend<float, ovo::cuda::system>;
  const auto options = ovo::bench::parse_throughput_options(argc, argv, 256);
  if (ovo::cuda::device_count() == 0) {
    std::fprintf(stderr, "bench_supernet_cuda: no CUDA GPU is visible to this process\n");
    return 2;
  }
  try {
    const auto before = device_bytes_in_use();
    auto out = ovo::bench::measure_supernet_training<backend, ovo::autoformer_tiny>(
        options, "imagenet-tiny");
    out["device"] = ovo::cuda::describe_current_device(backend::current_context().math());
    // What the run holds when it ends, which is all it allocated: parameters, gradients,
    // optimiser state, workspace and the context's cached temporary storage.
    out["device_mib_held"] = static_cast<double>(device_bytes_in_use() - before) / (1 << 20);
    std::printf("%s\n", out.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_supernet_cuda: %s\n", e.what());
    return 1;
  }
}
