#!/usr/bin/env bash
# Installs, from Debian's packages, everything ovo's build, tests, examples and benchmarks use.
set -euo pipefail
# Usage: install_dependencies.sh [--benchmarks] [--fashion-mnist] [--portability] [--fuzz] [--python]
#                                [--mpi]
# The products run on OpenBLAS's OpenMP build, which shares the layers' OpenMP thread pool.
packages=(cmake g++ make pkg-config libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev
  libcli11-dev zlib1g-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libopenblas-openmp-dev)
for option in "$@"; do
  case "$option" in
    # PyTorch for the baselines, on OpenBLAS (pthread build).
    --benchmarks) packages+=(python3-torch libopenblas0-pthread) ;;
    # The data of the main job, under /usr/share/datasets/fashion-mnist.
    --fashion-mnist) packages+=(dataset-fashion-mnist) ;;
    # The oldest compilers ovo supports, for the portability builds.
    --portability) packages+=(g++-11 clang-19 libomp-19-dev) ;;
    # The Python module: pybind11, NumPy and pytest for Debian's python3; PyTorch for its examples.
    --python) packages+=(python3-dev pybind11-dev python3-numpy python3-pytest python3-torch) ;;
    # libFuzzer, the sanitizers' runtimes and OpenMP for clang.
    --fuzz) packages+=(clang-19 libclang-rt-19-dev libomp-19-dev) ;;
    # Open MPI: data-parallel training and distributed search (OVO_MPI), mpirun for their tests.
    --mpi) packages+=(libopenmpi-dev openmpi-bin) ;;
    *) echo "install_dependencies.sh: unknown option $option" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_dependencies.sh: all ${#packages[@]} packages already installed" >&2
  exit 0
fi
echo "install_dependencies.sh: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Another apt or dpkg run (an unattended upgrade, a second install) holds the package manager's
# lock: wait up to ten minutes for it instead of failing.
lock_wait=(-o DPkg::Lock::Timeout=600)
for attempt in $(seq 120); do
  if log=$($SUDO apt-get "${lock_wait[@]}" update -qq 2>&1); then break; fi
  grep -q "Could not get lock\|is held by process" <<<"$log" || { echo "$log" >&2; exit 1; }
  [ "$attempt" -lt 120 ] || { echo "$log" >&2; exit 1; }
  echo "install_dependencies.sh: waiting for the package lists' lock" >&2
  sleep 5
done
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${lock_wait[@]}" install -y -qq "${missing[@]}"
