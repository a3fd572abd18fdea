// Flushing subnormal floating-point numbers to zero on the CPU threads that run a back end's ops.
#pragma once

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace ovo {

// Sets flush-to-zero and denormals-are-zero (x86's MXCSR) on the calling thread and on every
// thread of its OpenMP team, which the CPU back end's ops and OpenBLAS's OpenMP build run on;
// returns whether this CPU has the modes (x86 with SSE). Training drives some values into the
// subnormal range (gradients through saturated activations, moments of rarely trained weights),
// where x86 arithmetic is tens of times slower; flushed, a result changes by less than the
// smallest normal number (1.2e-38 in float). A process-wide choice, as torch.set_flush_denormal:
// the ovo command and the example trainers make it at start; a library user makes it or not.
inline bool flush_subnormals_to_zero() {
#if defined(__SSE__) || defined(_M_X64)
  const auto set = [] { _mm_setcsr(_mm_getcsr() | 0x8040u); };  // FTZ (bit 15) | DAZ (bit 6)
  set();
#pragma omp parallel
  set();
  return true;
#else
  return false;
#endif
}

}  // namespace ovo
