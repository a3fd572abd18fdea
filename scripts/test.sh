#!/usr/bin/env bash
# Installs the dependencies, builds every test (Release, assertions on) and runs them with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
build=${OVO_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
  -DOVO_BUILD_TESTS=ON -DOVO_BUILD_EXAMPLES=ON -DOVO_BUILD_BENCHMARKS=ON
cmake --build "$build" -j "$(nproc)"
# Tests run side by side: idle OpenMP workers sleep rather than spin against the other tests.
OMP_WAIT_POLICY=PASSIVE ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
