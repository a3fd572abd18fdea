// The gradient average of data-parallel training on the processes of `mpirun -np N`: seconds per
// average of a buffer of --values floats (mpi_process_group::average), as one JSON line from
// process 0 beside benchmarks/torch_allreduce.py's (benchmarks/allreduce.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ovo/backend/cpu.hpp>
#include <ovo/parallel/mpi_process_group.hpp>

int main(int argc, char** argv) {
  ovo::parallel::mpi_session mpi(argc, argv);
  CLI::App app("The MPI gradient average of data-parallel training, timed");
  std::size_t values = 1'199'882;  // the fashion-mnist supernet's parameters
  int repeats = 20;
  app.add_option("--values", values, "Floats averaged")->capture_default_str();
  app.add_option("--repeats", repeats, "Timed averages (after one untimed)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  ovo::parallel::mpi_process_group<ovo::cpu<float>> group;
  std::vector<float> gradients(values, 1.0f + static_cast<float>(group.rank()));
  group.average(gradients.data(), gradients.size());
  double best = 1e30, total = 0;
  for (int i = 0; i < repeats; ++i) {
    std::vector<double> start_together(1);
    group.sum(start_together);
    const auto start = std::chrono::steady_clock::now();
    group.average(gradients.data(), gradients.size());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    total += seconds;
  }
  if (group.rank() == 0) {
    const int n = group.size();
    // A ring all-reduce's bus bandwidth: 2 (n - 1) / n of the buffer through each process.
    const double bus = 2.0 * (n - 1) / n * 4.0 * static_cast<double>(values) / best / 1e9;
    fmt::print("{}\n", nlohmann::json{{"framework", "ovo"},
                                      {"workload", "allreduce"},
                                      {"transport", "Open MPI (MPI_Iallreduce)"},
                                      {"processes", n},
                                      {"values", values},
                                      {"best_ms", 1e3 * best},
                                      {"mean_ms", 1e3 * total / repeats},
                                      {"bus_gb_per_s", bus}}
                           .dump());
  }
  return 0;
}
