// Supernet training throughput on any back end: uniformly sampled subnets of a ViT space trained
// on random images (AutoFormer's recipe), the figures as JSON for benchmarks/run.sh.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovo/ovo.hpp>

namespace ovo::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

inline nlohmann::json env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return value ? nlohmann::json(value) : nlohmann::json(nullptr);
}

struct throughput_options {
  int steps = 20, warmup = 3, batch = 32;
  std::string archs_path;  // where the sampled archs are written for the PyTorch baseline
};

// --steps, --warmup, --batch and --archs-out; anything else prints the usage and exits with 2.
inline throughput_options parse_throughput_options(int argc, char** argv, int default_batch) {
  throughput_options o;
  o.batch = default_batch;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--steps" && !value.empty())
      o.steps = std::stoi(value);
    else if (flag == "--warmup" && !value.empty())
      o.warmup = std::stoi(value);
    else if (flag == "--batch" && !value.empty())
      o.batch = std::stoi(value);
    else if (flag == "--archs-out" && !value.empty())
      o.archs_path = value;
    else {
      std::fprintf(stderr, "usage: %s [--steps N] [--warmup N] [--batch N] [--archs-out FILE]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

// Best of a few runs of an n x n x n product through the back end, in GFLOP/s: the machine's
// GEMM peak as the benchmark sees it (one element is read back after each, so that the time
// includes the work on a device that runs asynchronously).
template <class Backend>
double gemm_peak_gflops(int n) {
  using buffer = typename Backend::template buffer<float>;
  const auto values = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  buffer a(values), b(values), c(values);
  const std::vector<float> ones(values, 1.0f), halves(values, 0.5f);
  Backend::copy_from_host(std::span<const float>(ones), a.data());
  Backend::copy_from_host(std::span<const float>(halves), b.data());
  const auto square = [n](float* v) { return make_matrix_view(v, n, n); };
  float first = 0;
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const auto start = clock_type::now();
    Backend::gemm(false, true, 1.0f, square(a.data()), square(b.data()), 0.0f, square(c.data()));
    Backend::copy_to_host(c.data(), std::span<float>(&first, 1));
    best = std::max(best, 2.0 * n * n * double(n) / seconds_since(start) / 1e9);
  }
  return best;
}

// Trains `warmup + steps` uniformly sampled subnets of Space, one per step, on one batch of
// random images and labels, and returns the timed steps' figures: images per second, the final
// loss, the model's GFLOP/s (three times the forward multiply-adds) and its fraction of the
// GEMM peak. The archs are drawn from a fixed seed and written to archs_path when given.
template <class Backend, class Space>
nlohmann::json measure_supernet_training(const throughput_options& o, const char* workload) {
  constexpr int channels = Space::channels, side = Space::image_size;
  rng_engine arch_rng(2021);
  std::vector<arch> archs;
  for (int i = 0; i < o.warmup + o.steps; ++i) archs.push_back(Space::sample(arch_rng));
  if (!o.archs_path.empty()) std::ofstream(o.archs_path) << nlohmann::json(archs).dump() << "\n";

  vit_supernet<Backend> net(Space::shape(), o.batch);
  rng_engine rng(0);
  net.initialize(rng);
  const double lr = 5e-4 * o.batch / 512;  // AutoFormer's: 5e-4 x batch / 512
  adamw<Backend> optimizer(net.parameters(), {.weight_decay = 0.05});
  supervised_step step(net, {.label_smoothing = 0.1});
  std::vector<float> host_images(static_cast<std::size_t>(o.batch) * channels * side * side);
  std::vector<int> labels(static_cast<std::size_t>(o.batch));
  for (auto& v : host_images) v = static_cast<float>(standard_normal(rng));
  for (auto& l : labels) l = static_cast<int>(uniform_index(rng, Space::num_classes));
  typename Backend::template buffer<float> images(host_images.size());
  Backend::copy_from_host(std::span<const float>(host_images), images.data());
  const image_batch<float> input{images.data(), o.batch, channels, side, side};

  // Each step reads its loss back, so the clock stops after the device's work.
  double loss = 0, macs = 0;
  auto start = clock_type::now();
  for (int i = 0; i < o.warmup + o.steps; ++i) {
    if (i == o.warmup) start = clock_type::now();
    if (i >= o.warmup) macs += double(count_macs(archs[i], Space::shape())) * o.batch;
    loss = step(net, optimizer, input, labels, archs[i], lr, rng);
  }
  const double elapsed = seconds_since(start);
  const double step_gflops = 3.0 * 2.0 * macs / elapsed / 1e9;  // forward + twice for backward
  const double peak = gemm_peak_gflops<Backend>(1024);
  return {{"framework", "ovo"},
          {"workload", workload},
          {"img_per_s", o.steps * o.batch / elapsed},
          {"steps", o.steps},
          {"batch", o.batch},
          {"final_loss", loss},
          {"model_gflop_per_s", step_gflops},
          {"gemm_peak_gflop_per_s", peak},
          {"peak_fraction", step_gflops / peak}};
}

}  // namespace ovo::bench
