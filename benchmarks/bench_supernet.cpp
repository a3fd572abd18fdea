// Supernet training throughput on the CPU back end (workload cifar-tiny), as JSON lines.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <omp.h>
#include <nlohmann/json.hpp>

#include <ovo/backend/cblas_gemm.hpp>
#include <ovo/ovo.hpp>

namespace {

using backend = ovo::cpu<float, ovo::auto_gemm>;
using space = ovo::autoformer_tiny_cifar100;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

nlohmann::json env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return value ? nlohmann::json(value) : nlohmann::json(nullptr);
}

// Best of a few runs of a square sgemm through the back end: the machine's GEMM peak here.
double gemm_peak_gflops(int n) {
  std::vector<float> a(static_cast<std::size_t>(n) * n, 1.0f), b(a.size(), 0.5f), c(a.size());
  const auto square = [n](float* values) { return ovo::make_matrix_view(values, n, n); };
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const auto start = clock_type::now();
    backend::gemm(false, true, 1.0f, square(a.data()), square(b.data()), 0.0f, square(c.data()));
    best = std::max(best, 2.0 * n * n * double(n) / seconds_since(start) / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 20, warmup = 3, batch = 32;
  std::string archs_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--steps")
      steps = std::stoi(value);
    else if (flag == "--warmup")
      warmup = std::stoi(value);
    else if (flag == "--batch")
      batch = std::stoi(value);
    else if (flag == "--archs-out")
      archs_path = value;
    else {
      std::fprintf(stderr, "usage: %s [--steps N] [--warmup N] [--batch N] [--archs-out FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  // One uniformly sampled subnet per step from a fixed seed; the PyTorch baseline reads the list.
  ovo::rng_engine arch_rng(2021);
  std::vector<ovo::arch> archs;
  for (int i = 0; i < warmup + steps; ++i) archs.push_back(space::sample(arch_rng));
  if (!archs_path.empty()) std::ofstream(archs_path) << nlohmann::json(archs).dump() << "\n";

  ovo::vit_supernet<backend> net(space::shape(), batch);
  ovo::rng_engine rng(0);
  net.initialize(rng);
  const double lr = 5e-4 * batch / 512;  // AutoFormer's: 5e-4 x batch / 512
  ovo::adamw<backend> optimizer(net.parameters(), {.weight_decay = 0.05});
  ovo::supervised_step step(net, {.label_smoothing = 0.1});
  std::vector<float> images(static_cast<std::size_t>(batch) * 3 * 32 * 32);
  std::vector<int> labels(static_cast<std::size_t>(batch));
  for (auto& v : images) v = static_cast<float>(ovo::standard_normal(rng));
  for (auto& l : labels) l = static_cast<int>(ovo::uniform_index(rng, 100));
  const ovo::image_batch<float> input{images.data(), batch, 3, 32, 32};

  double loss = 0, macs = 0;
  auto start = clock_type::now();
  for (int i = 0; i < warmup + steps; ++i) {
    if (i == warmup) start = clock_type::now();
    if (i >= warmup) macs += double(ovo::count_macs(archs[i], space::shape())) * batch;
    loss = step(net, optimizer, input, labels, archs[i], lr, rng);
  }
  const double elapsed = seconds_since(start);
  const double step_gflops = 3.0 * 2.0 * macs / elapsed / 1e9;  // forward + twice for backward
  const double peak = gemm_peak_gflops(1024);
  const nlohmann::json out = {{"framework", "ovo"},
                              {"workload", "cifar-tiny"},
                              {"img_per_s", steps * batch / elapsed},
                              {"steps", steps},
                              {"batch", batch},
                              {"threads", omp_get_max_threads()},
                              {"final_loss", loss},
                              {"model_gflop_per_s", step_gflops},
                              {"gemm_peak_gflop_per_s", peak},
                              {"peak_fraction", step_gflops / peak},
                              {"gemm", ovo::gemm_provider_description()},
                              {"env",
                               {{"OVO_GEMM", env_or_null("OVO_GEMM")},
                                {"OPENBLAS_CORETYPE", env_or_null("OPENBLAS_CORETYPE")},
                                {"OMP_WAIT_POLICY", env_or_null("OMP_WAIT_POLICY")}}}};
  std::printf("%s\n", out.dump().c_str());
}
