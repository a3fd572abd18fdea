#!/usr/bin/env bash
# Runs a benchmark workload with ovo and with its PyTorch baseline, alternately, and prints JSON lines:
# each run's figures, then a summary with the best of each side and their ratio.
#   benchmarks/run.sh cpu [--steps N] [--repeats N]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-cpu}
shift || true
steps=20
repeats=3
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    *) echo "usage: benchmarks/run.sh cpu [--steps N] [--repeats N]" >&2; exit 2 ;;
  esac
done
[ "$target" = cpu ] || { echo "benchmarks/run.sh: unknown target '$target' (cpu)" >&2; exit 2; }

bash scripts/install_dependencies.sh --benchmarks >&2
build=${OVO_BENCH_BUILD_DIR:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOVO_BUILD_TESTS=OFF \
  -DOVO_BUILD_EXAMPLES=OFF -DOVO_BUILD_BENCHMARKS=ON >&2
cmake --build "$build" -j "$(nproc)" --target bench_supernet >&2

# Both sides get 2 threads, the best OpenBLAS kernels of this CPU (scripts/cpu_env.sh: SkylakeX on
# any AVX-512 CPU, which Debian's OpenBLAS 0.3.21 may not know) and the configuration each runs
# best in: PyTorch on OpenBLAS's pthread build with OMP_WAIT_POLICY=PASSIVE (its idle OpenMP
# workers otherwise spin against OpenBLAS's threads); ovo with -march=native, its products on
# OpenBLAS's OpenMP build or Eigen (whichever fits the CPU, see docs/performance.md) and OpenMP's
# default wait policy. Each JSON line names the kernels it ran.
source scripts/cpu_env.sh
export OMP_NUM_THREADS=2
archs=$(mktemp)
trap 'rm -f "$archs"' EXIT
results=()
for ((i = 0; i < repeats; i++)); do
  ovo_line=$(env -u OMP_WAIT_POLICY "$build/benchmarks/bench_supernet" --steps "$steps" --archs-out "$archs")
  echo "$ovo_line"
  torch_line=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_supernet.py \
    --archs "$archs" --steps "$steps" --threads 2)
  echo "$torch_line"
  results+=("$ovo_line" "$torch_line")
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import json, sys
runs = [json.loads(line) for line in sys.stdin if line.strip()]
ovo = [r for r in runs if r["framework"] == "ovo"]
torch = [r for r in runs if r["framework"] == "torch"]
best_ovo = max(r["img_per_s"] for r in ovo)
best_torch = max(r["img_per_s"] for r in torch)
print(json.dumps({
    "workload": ovo[0]["workload"],
    "ovo_img_per_s": round(best_ovo, 2),
    "torch_img_per_s": round(best_torch, 2),
    "ratio": round(best_ovo / best_torch, 3),
    "runs_each": len(ovo),
    "statistic": "best of the runs on each side",
    "ovo_peak_fraction": round(max(r["peak_fraction"] for r in ovo), 3),
    "gemm_peak_gflop_per_s": round(max(r["gemm_peak_gflop_per_s"] for r in ovo), 1),
    "ovo_gemm": ovo[0]["gemm"],
    "torch_openblas_core": torch[0]["openblas_core"],
    "openblas_coretype": ovo[0]["env"]["OPENBLAS_CORETYPE"],
    "torch_attention": torch[0]["attention"],
    "torch_version": torch[0]["torch_version"],
}))'
