#!/usr/bin/env bash
# The gradient average of data-parallel training on 2 processes of this machine, ovo (Open MPI)
# against PyTorch (gloo), alternately, for the fashion-mnist supernet's and AutoFormer-T's
# parameter counts: JSON lines of each run, then one summary line per size with the best of each
# side and their ratio (PyTorch's time over ovo's: above 1, ovo averages faster).
#   benchmarks/allreduce.sh [--repeats N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=3
[ "${1:-}" = "--repeats" ] && repeats=$2
python=${PYTHON:-/usr/bin/python3}
bash scripts/install_dependencies.sh --benchmarks --mpi >&2
build=${OVO_BENCH_BUILD_DIR:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOVO_BUILD_TESTS=OFF -DOVO_BUILD_EXAMPLES=OFF \
  -DOVO_BUILD_BENCHMARKS=ON -DOVO_CUDA=OFF -DOVO_MPI=ON >&2
cmake --build "$build" -j "$(nproc)" --target bench_allreduce >&2
# One thread per process on each side; Open MPI as root needs its consent.
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for values in 1199882 10409752; do
  lines=()
  for ((i = 0; i < repeats; i++)); do
    lines+=("$(mpirun -np 2 --oversubscribe "$build/benchmarks/bench_allreduce" --values "$values")")
    echo "${lines[-1]}"
    lines+=("$("$python" benchmarks/torch_allreduce.py --values "$values")")
    echo "${lines[-1]}"
  done
  printf '%s\n' "${lines[@]}" | "$python" -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
best = {f: min(r["best_ms"] for r in runs if r["framework"] == f) for f in ("ovo", "torch")}
print(json.dumps({"workload": "allreduce", "processes": runs[0]["processes"],
                  "values": runs[0]["values"], "ovo_best_ms": round(best["ovo"], 3),
                  "torch_best_ms": round(best["torch"], 3),
                  "ratio": round(best["torch"] / best["ovo"], 3),
                  "statistic": "best of the runs on each side"}))'
done
