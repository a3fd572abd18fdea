#!/usr/bin/env bash
# Installs, from Debian's packages, everything ovo's build, tests, examples and benchmarks use.
set -euo pipefail
# Usage: install_dependencies.sh [--benchmarks] [--blas] [--fashion-mnist]
packages=(cmake g++ make pkg-config libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev
  libcli11-dev zlib1g-dev libturbojpeg0-dev)
for option in "$@"; do
  case "$option" in
    # PyTorch for the baselines, on OpenBLAS (pthread build); ovo's products on OpenBLAS's OpenMP
    # build.
    --benchmarks) packages+=(python3-torch libopenblas0-pthread libopenblas-openmp-dev) ;;
    # OpenBLAS's OpenMP build, for -DOVO_USE_BLAS=ON.
    --blas) packages+=(libopenblas-openmp-dev) ;;
    # The data of the main job, under /usr/share/datasets/fashion-mnist.
    --fashion-mnist) packages+=(dataset-fashion-mnist) ;;
    *) echo "install_dependencies.sh: unknown option $option" >&2; exit 2 ;;
  esac
done
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
