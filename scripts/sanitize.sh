#!/usr/bin/env bash
# Builds the test suites with AddressSanitizer and UndefinedBehaviorSanitizer (GCC) and runs them;
# any report fails the run. The end-to-end example tests, which run whole trainers, stay out; every
# reader, checkpoint, gradient, step, trainer and search test is in. So are the MPI tests' pieces
# that run in one process (the sharding loader, the distributed search's pool, the touched-block
# average); the two-process tests run in the test build, as Open MPI's allocations at exit would
# read as leaks here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
build=${OVO_SANITIZE_BUILD_DIR:-build-sanitize}
# Warnings are not errors here: GCC's object-size warnings misfire on sanitizer-instrumented code
# (a vector shrunk by three bytes "exceeds maximum object size"); the test build checks warnings.
# -Og: the stage is nearly all compiling (the tests run in half a minute), and GCC instruments a
# heavy test source in 67 s at -Og against 103 s at -O1 (2-core AMD EPYC, test_trainer.cpp).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-Og -g1" \
  -DOVO_SANITIZE=address,undefined -DOVO_WARNINGS_AS_ERRORS=OFF -DOVO_BUILD_TESTS=ON \
  -DOVO_BUILD_EXAMPLES=OFF -DOVO_BUILD_BENCHMARKS=OFF -DOVO_CUDA=OFF -DOVO_MPI=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
OMP_WAIT_POLICY=PASSIVE ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
