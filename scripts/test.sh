#!/usr/bin/env bash
# Installs the dependencies, builds every test, example and benchmark and the Python module
# (Release, assertions on) and runs the tests with CTest, the module's pytest suite and the tests
# on two MPI processes among them.
# Extra CMake options come from OVO_CMAKE_OPTIONS (.ci/run adds -DOVO_WARNINGS_AS_ERRORS=ON); the
# build dir from OVO_BUILD_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh --python --mpi
build=${OVO_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
  -DCMAKE_CUDA_FLAGS_RELEASE=-O2 -DOVO_BUILD_TESTS=ON -DOVO_BUILD_EXAMPLES=ON -DOVO_BUILD_BENCHMARKS=ON -DOVO_PYTHON=ON ${OVO_CMAKE_OPTIONS:-}
cmake --build "$build" -j "$(nproc)"
# Tests run side by side: idle OpenMP workers sleep rather than spin against the other tests.
OMP_WAIT_POLICY=PASSIVE ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
