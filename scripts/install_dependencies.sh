#!/usr/bin/env bash
# Installs, from Debian's packages, everything ovo's build, tests, examples and benchmarks use.
set -euo pipefail
packages=(cmake g++ make libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev)
if [ "${1:-}" = "--benchmarks" ]; then
  # PyTorch for the baselines, on OpenBLAS (pthread build); ovo's products on OpenBLAS's OpenMP build.
  packages+=(python3-torch libopenblas0-pthread libopenblas-openmp-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
