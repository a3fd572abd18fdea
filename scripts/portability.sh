#!/usr/bin/env bash
# Compiles all of the library (tests/portability/instantiate.cpp: every back-end op, layer, step,
# trainer and search) with warnings as errors for three instruction sets and with the oldest GCC
# and Clang that ovo supports. Nothing is run: the programs need not fit this machine's CPU.
#   scripts/portability.sh [COMPILER:MARCH ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh --portability
builds=("$@")
if [ ${#builds[@]} -eq 0 ]; then
  builds=(g++-12:x86-64-v2 g++-12:x86-64-v3 g++-12:sapphirerapids
    clang++-19:x86-64-v2 clang++-19:x86-64-v3 clang++-19:sapphirerapids)
fi
root=${OVO_PORTABILITY_DIR:-build-portability}
for build in "${builds[@]}"; do
  compiler=${build%%:*}
  march=${build#*:}
  dir="$root/${compiler}-${march}"
  start=$SECONDS
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_CXX_FLAGS="-march=$march" -DOVO_NATIVE=OFF -DOVO_WARNINGS_AS_ERRORS=ON \
    -DOVO_BUILD_TESTS=ON -DOVO_BUILD_EXAMPLES=ON -DOVO_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$dir" --target ovo_instantiate
  echo "portability: $compiler -march=$march compiled in $((SECONDS - start)) s"
done
