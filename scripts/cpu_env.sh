# Sourced by the scripts that run ovo or its baselines: on a CPU with AVX-512, OpenBLAS runs its
# AVX-512 (SkylakeX) kernels even where it is older than the CPU and would fall back to SSE ones
# (Debian's 0.3.21 on Intel's Sapphire and Emerald Rapids). A value set by the user is kept.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  avx512=yes
  for flag in avx512f avx512bw avx512vl avx512dq avx512cd; do
    [[ "$cpu_flags" == *" $flag "* ]] || avx512=no
  done
  if [ "$avx512" = yes ]; then export OPENBLAS_CORETYPE=SkylakeX; fi
  unset cpu_flags avx512 flag
fi
