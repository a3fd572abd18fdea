// Supernet training throughput on the CPU back end (workload cifar-tiny), as a JSON line.
#include <cstdio>

#include <omp.h>

#include <ovo/backend/cblas_gemm.hpp>

#include "supernet_throughput.hpp"

int main(int argc, char** argv) {
  using backend = ovo::cpu<float, ovo::auto_gemm>;
  const auto options = ovo::bench::parse_throughput_options(argc, argv, 32);
  auto out = ovo::bench::measure_supernet_training<backend, ovo::autoformer_tiny_cifar100>(
      options, "cifar-tiny");
  out["threads"] = omp_get_max_threads();
  out["gemm"] = ovo::gemm_provider_description();
  out["env"] = {{"OVO_GEMM", ovo::bench::env_or_null("OVO_GEMM")},
                {"OPENBLAS_CORETYPE", ovo::bench::env_or_null("OPENBLAS_CORETYPE")},
                {"OMP_WAIT_POLICY", ovo::bench::env_or_null("OMP_WAIT_POLICY")}};
  std::printf("%s\n", out.dump().c_str());
}
