#!/usr/bin/env bash
# The main job: installs what it needs (the Fashion-MNIST data included), builds the Fashion-MNIST
# trainer, trains an OVO supernet, searches it under a parameter budget, tests, exports and writes
# the report. Extra arguments go to the trainer (see --help), e.g. --sampling uniform.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh --fashion-mnist --blas
build=${OVO_BUILD_DIR:-build}
# OpenBLAS's OpenMP build runs this workload's products about 15% faster than Eigen's.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOVO_USE_BLAS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target fashion_mnist
# Idle OpenMP workers sleep instead of spinning against the data loader's thread.
OMP_WAIT_POLICY=PASSIVE "$build/examples/fashion_mnist" "$@"
