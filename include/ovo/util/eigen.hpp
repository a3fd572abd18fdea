// Eigen's headers, included with GCC 12's false uninitialised-variable warnings switched off.
#pragma once

// GCC before 13 warns that `__Y` "may be used uninitialized" inside its own AVX-512 intrinsics
// (avx512fintrin.h, `_mm256_undefined_pd()` and the like, GCC bug 105593) wherever Eigen's
// AVX-512 packet code is inlined. The warning points into those headers, so it is switched off
// for the headers Eigen includes and for nothing else.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#pragma GCC diagnostic pop
#else
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#endif
