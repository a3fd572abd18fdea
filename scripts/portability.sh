#!/usr/bin/env bash
# Compiles all of the library (tests/portability/instantiate.cpp: every back-end op, layer, step,
# trainer and search) with warnings as errors for three instruction sets with the oldest GCC that
# ovo supports and for AVX2 with the oldest Clang, as many builds at a time as there are cores.
# Nothing is run: the programs need not fit this machine's CPU.
#   scripts/portability.sh [COMPILER:MARCH ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh --portability
builds=("$@")
if [ ${#builds[@]} -eq 0 ]; then
  builds=(g++-11:x86-64-v2 g++-11:x86-64-v3 g++-11:sapphirerapids clang++-19:x86-64-v3)
fi
root=${OVO_PORTABILITY_DIR:-build-portability}
mkdir -p "$root"

compile() {
  local compiler=${1%%:*} march=${1#*:}
  local dir="$root/${compiler}-${march}" start=$SECONDS
  if cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
    -DCMAKE_CXX_COMPILER="$compiler" -DCMAKE_CXX_FLAGS="-march=$march" -DOVO_NATIVE=OFF \
    -DOVO_WARNINGS_AS_ERRORS=ON -DOVO_BUILD_TESTS=ON -DOVO_BUILD_EXAMPLES=ON \
    -DOVO_BUILD_BENCHMARKS=OFF -DOVO_CUDA=OFF >"$dir.log" 2>&1 &&
    cmake --build "$dir" --target ovo_instantiate >>"$dir.log" 2>&1; then
    echo "portability: $compiler -march=$march compiled in $((SECONDS - start)) s"
  else
    cat "$dir.log"
    echo "portability: $compiler -march=$march FAILED" >&2
    return 1
  fi
}

# In groups of as many builds as there are cores; every build's status is collected.
failed=0
group=$(nproc)
for ((first = 0; first < ${#builds[@]}; first += group)); do
  pids=()
  for build in "${builds[@]:first:group}"; do
    compile "$build" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
done

# ovo installed, then used by downstream projects with -Wall -Wextra -Werror (tests/consumer):
# found by CMake (ovo alone, without the readers' libraries, and with the images, gzip and blas
# components; a build for AVX-512 among them), found by pkg-config, and built from the source tree
# by add_subdirectory. The training step and the tiny search of each run.
start=$SECONDS
prefix="$root/install"
consumer() {
  cmake -S . -B "$root/for-install" -DOVO_BUILD_TESTS=OFF -DOVO_BUILD_EXAMPLES=OFF \
    -DOVO_BUILD_BENCHMARKS=OFF &&
    cmake --install "$root/for-install" --prefix "$prefix" &&
    cmake -S tests/consumer -B "$root/consumer" -DCMAKE_PREFIX_PATH="$PWD/$prefix" \
      -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$root/consumer" -j "$(nproc)" &&
    "$root/consumer/ovo_consumer" && "$root/consumer/ovo_search" &&
    # shellcheck disable=SC2046  # the flags are several words
    g++ -O2 -Wall -Wextra -Werror tests/consumer/search.cpp -o "$root/search-pkg-config" \
      $(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags --libs ovo) &&
    "$root/search-pkg-config" &&
    cmake -S tests/consumer/subdirectory -B "$root/subdirectory" -DOVO_SOURCE_DIR="$PWD" \
      -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$root/subdirectory" --target ovo_search &&
    "$root/subdirectory/ovo_search"
}
if consumer >"$root/consumer.log" 2>&1; then
  echo "portability: downstream builds of ovo (installed: CMake, pkg-config; add_subdirectory) compiled and ran in $((SECONDS - start)) s"
else
  cat "$root/consumer.log"
  echo "portability: a downstream build of ovo FAILED" >&2
  failed=1
fi
exit "$failed"
