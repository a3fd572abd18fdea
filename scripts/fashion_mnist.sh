#!/usr/bin/env bash
# The main job: installs what it needs (the Fashion-MNIST data included), builds the Fashion-MNIST
# trainer for this CPU (-march=native), trains an OVO supernet within a wall-clock budget, searches
# it under a parameter budget, tests, exports and writes the report. Extra arguments go to the
# trainer (see --help), e.g. --sampling uniform or --time-budget 20m.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh --fashion-mnist
build=${OVO_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target fashion_mnist
source scripts/cpu_env.sh
# OpenMP's default wait policy: workers spin briefly between a step's many short parallel regions
# (1.5x the images/s of OMP_WAIT_POLICY=PASSIVE for this job on a 2-core Intel Xeon, and the
# trainer still never waits for the loader).
env -u OMP_WAIT_POLICY "$build/examples/fashion_mnist" "$@"
