#!/usr/bin/env bash
# Installs the dependencies, builds the example trainer and trains a supernet for a few steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
build=${OVO_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)" --target train_steps
"$build/examples/train_steps" "$@"
