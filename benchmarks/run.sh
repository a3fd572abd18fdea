#!/usr/bin/env bash
# Runs a benchmark workload with ovo and with its PyTorch baseline, alternately, and prints JSON lines:
# each run's figures, then a summary with the best of each side and their ratio.
#   benchmarks/run.sh cpu  [--steps N] [--repeats N]   cifar-tiny on the CPU, 2 threads each
#   benchmarks/run.sh cuda [--steps N] [--repeats N]   imagenet-tiny on the current GPU
# cuda needs a GPU and a PyTorch built with CUDA (Debian's python3-torch is CPU-only): PYTHON names
# the interpreter that has it, /usr/bin/python3 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-cpu}
shift || true
steps=20
repeats=3
usage="usage: benchmarks/run.sh cpu|cuda [--steps N] [--repeats N]"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-/usr/bin/python3}
archs=$(mktemp)
trap 'rm -f "$archs"' EXIT

bash scripts/install_dependencies.sh --benchmarks >&2
case "$target" in
  cpu) build=${OVO_BENCH_BUILD_DIR:-build-bench} ;;
  cuda) build=${OVO_BENCH_BUILD_DIR:-build-bench-cuda} ;;
  *) echo "benchmarks/run.sh: unknown target '$target' (cpu or cuda)" >&2; exit 2 ;;
esac
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOVO_BUILD_TESTS=OFF \
  -DOVO_BUILD_EXAMPLES=OFF -DOVO_BUILD_BENCHMARKS=ON "-DOVO_CUDA=$([ "$target" = cuda ] && echo ON || echo OFF)" >&2

if [ "$target" = cuda ]; then
  # Both sides on one GPU, fp32 storage with TF32 products (ovo's default on sm_80 and later;
  # PyTorch's allow_tf32), batch 256 of 224 px images, AutoFormer-T's supernet.
  cmake --build "$build" -j "$(nproc)" --target bench_supernet_cuda >&2
  ovo_run=("$build/benchmarks/bench_supernet_cuda")
  torch_run=("$python" benchmarks/torch_supernet.py --device cuda --math tf32
    --workload imagenet-tiny --image 224 --patch 16 --classes 1000 --batch 256)
else
  cmake --build "$build" -j "$(nproc)" --target bench_supernet >&2
  # Both sides get 2 threads, the best OpenBLAS kernels of this CPU (scripts/cpu_env.sh: SkylakeX
  # on any AVX-512 CPU, which Debian's OpenBLAS 0.3.21 may not know) and the configuration each
  # runs best in: PyTorch on OpenBLAS's pthread build with OMP_WAIT_POLICY=PASSIVE (its idle
  # OpenMP workers otherwise spin against OpenBLAS's threads); ovo with -march=native, its
  # products on OpenBLAS's OpenMP build or Eigen (whichever fits the CPU, see
  # docs/performance.md) and OpenMP's default wait policy. Each JSON line names the kernels it ran.
  source scripts/cpu_env.sh
  export OMP_NUM_THREADS=2
  ovo_run=(env -u OMP_WAIT_POLICY "$build/benchmarks/bench_supernet")
  torch_run=(env OMP_WAIT_POLICY=PASSIVE "$python" benchmarks/torch_supernet.py --threads 2)
fi

results=()
for ((i = 0; i < repeats; i++)); do
  ovo_line=$("${ovo_run[@]}" --steps "$steps" --archs-out "$archs")
  echo "$ovo_line"
  torch_line=$("${torch_run[@]}" --archs "$archs" --steps "$steps")
  echo "$torch_line"
  results+=("$ovo_line" "$torch_line")
done
printf '%s\n' "${results[@]}" | "$python" benchmarks/summarise.py
