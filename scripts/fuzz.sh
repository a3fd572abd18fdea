#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (Clang 19, AddressSanitizer and UndefinedBehaviorSanitizer)
# and runs each for RUNS inputs from a copy of its seed corpus, two targets at a time; fails if any
# target crashes, leaks, times out or runs out of memory.
# Usage: bash scripts/fuzz.sh [RUNS]   (default 20000; 70000 fuzzes for about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
[[ "$runs" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: RUNS must be a number, got '$runs'" >&2; exit 2; }
build=${OVO_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${OVO_FUZZ_JOBS:-2}
# Slowest first, so that the fast ones fill the other slot.
targets=(checkpoint image subnet idx arch_json cifar)

bash scripts/install_dependencies.sh --fuzz
CC=clang-19 CXX=clang++-19 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -g" -DOVO_BUILD_FUZZERS=ON -DOVO_BUILD_TESTS=OFF \
  -DOVO_BUILD_EXAMPLES=OFF -DOVO_BUILD_BENCHMARKS=OFF -DOVO_CUDA=OFF >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]/#/fuzz_}"

# The dictionary of a target, if it has one.
dictionary() {
  case "$1" in
    subnet | checkpoint) echo "-dict=tests/fuzz/safetensors.dict" ;;
    arch_json) echo "-dict=tests/fuzz/arch_json.dict" ;;
  esac
}

# Runs one target in $build/fuzz-runs/<target>: corpus/ (seeds, then what it finds), log, status.
run_target() {
  local target=$1 work="$build/fuzz-runs/$1"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
  local start status=0
  start=$(date +%s%N)
  # shellcheck disable=SC2046  # the dictionary option is one word or none
  OMP_NUM_THREADS=1 "$build/tests/fuzz/fuzz_$target" $(dictionary "$target") -runs="$runs" \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || status=$?
  echo "$status $((($(date +%s%N) - start) / 1000000))" >"$work/status"
}

echo "fuzz.sh: ${#targets[@]} targets, $runs inputs each, $jobs at a time"
start=$(date +%s)
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait

failed=0
for target in "${targets[@]}"; do
  work="$build/fuzz-runs/$target"
  read -r status milliseconds <"$work/status"
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9A-Za-z]*' "$work/log" | tail -1)
  printf '%-11s %8s executions in %4d.%d s  %s  ' "$target" "${executions:-?}" \
    $((milliseconds / 1000)) $((milliseconds % 1000 / 100)) "${coverage:-}"
  if [ "$status" -eq 0 ]; then
    echo "ok"
  else
    failed=1
    echo "FAILED (exit $status): $work/log, input saved under $work/"
    grep -E "ERROR|SUMMARY|violated|what\(\)" "$work/log" | head -5 | sed 's/^/    /'
  fi
done
echo "fuzz.sh: $(($(date +%s) - start)) s of fuzzing"
exit "$failed"
