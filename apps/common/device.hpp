// The back end the programs' stages are built for in this translation unit: the CPU's, or the
// CUDA one where OVO_APP_CUDA is defined (apps/cuda_program.cu, compiled by nvcc). Each build of
// the stages lives in its own inline namespace, so one executable links both.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#if defined(OVO_APP_CUDA)
#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/cuda/system.hpp>
#include <ovo/backend/thrust.hpp>
#define OVO_APP_DEVICE on_cuda
#else
#include <ovo/backend/cblas_gemm.hpp>
#include <ovo/backend/cpu.hpp>
#define OVO_APP_DEVICE on_cpu
#endif

#include "run_config.hpp"

namespace ovo::app {

// A program's command line run by the stages built for the CPU back end (apps/cpu_program.cpp,
// the ovo_apps library): what the programs' main functions call.
int run_program_on_cpu(int argc, char** argv, const program_info& info);

// A program's command line run by the stages built for the CUDA back end, on the current GPU
// (apps/cuda_program.cu; linked where OVO_CUDA is on, which defines OVO_APPS_CUDA).
int run_program_on_cuda(int argc, char** argv, const program_info& info);

// The command line run on --device `device` by the other build of the stages.
inline int run_program_on(std::string_view device, [[maybe_unused]] int argc,
                          [[maybe_unused]] char** argv, [[maybe_unused]] const program_info& info) {
  if (device != "cuda")
    throw std::invalid_argument(fmt::format("--device {}: expected cpu or cuda", device));
#if defined(OVO_APPS_CUDA)
  return run_program_on_cuda(argc, argv, info);
#else
  throw std::invalid_argument(
      "--device cuda: this program was built without the CUDA back end (configure with "
      "-DOVO_CUDA=ON where nvcc is found; docs/cuda.md)");
#endif
}

inline namespace OVO_APP_DEVICE {

#if defined(OVO_APP_CUDA)
using backend = thrust_backend<float, cuda::system>;
inline constexpr std::string_view device_name = "cuda";
// Where the products run, for logs and reports.
inline std::string backend_description() {
  return cuda::describe_current_device(backend::current_context().math());
}
// The device's settings (--cuda-math) on this thread's context: the stages run on one thread.
inline void configure_device(const run_config& c) {
  if (c.cuda_math != "default")
    backend::current_context().set_math(c.cuda_math == "tf32" ? cuda::gemm_math::tf32
                                                              : cuda::gemm_math::fp32);
}
#else
using backend = cpu<float, auto_gemm>;
inline constexpr std::string_view device_name = "cpu";
inline std::string backend_description() {
  return gemm_provider_description();
}
inline void configure_device(const run_config&) {}
#endif

}  // namespace OVO_APP_DEVICE
}  // namespace ovo::app
