// The choice of the automatic GEMM policy (backend/cblas_gemm.hpp): Eigen's products, or
// OpenBLAS's when its kernels are at least as wide as the vector instructions Eigen was compiled
// for.
#pragma once

#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace ovo {

enum class gemm_provider { eigen, openblas };

// The widest vector registers (in bits) Eigen's products use in this build.
constexpr int eigen_vector_bits() {
#if defined(__AVX512F__)
  return 512;
#elif defined(__AVX__)
  return 256;
#else
  return 128;
#endif
}

// The vector width (in bits) of the OpenBLAS kernels named `core` (openblas_get_corename()). A core
// that does not know the CPU (Debian's OpenBLAS 0.3.21 on Intel's Emerald Rapids says "Prescott")
// runs 128-bit SSE kernels.
inline int openblas_vector_bits(std::string_view core) {
  for (std::string_view wide : {"skylakex", "cooperlake", "sapphirerapids"})
    if (core == wide) return 512;
  for (std::string_view avx :
       {"haswell", "zen", "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"})
    if (core == avx) return 256;
  return 128;
}

// "eigen" or "openblas" from OVO_GEMM; unset or "auto": OpenBLAS unless Eigen's vectors are wider
// than its kernels' (at equal width OpenBLAS's kernels are the faster, see docs/performance.md).
inline gemm_provider choose_gemm_provider(const char* setting, std::string_view openblas_core,
                                          bool openblas_linked) {
  const std::string_view value = setting ? setting : "auto";
  if (value == "eigen") return gemm_provider::eigen;
  if (value == "openblas") {
    if (!openblas_linked)
      throw std::invalid_argument(
          "OVO_GEMM=openblas: this program was built without OpenBLAS (configure with "
          "-DOVO_USE_BLAS=ON)");
    return gemm_provider::openblas;
  }
  if (value != "auto")
    throw std::invalid_argument(
        fmt::format("OVO_GEMM={}: expected eigen, openblas or auto", value));
  if (!openblas_linked) return gemm_provider::eigen;
  return openblas_vector_bits(openblas_core) >= eigen_vector_bits() ? gemm_provider::openblas
                                                                    : gemm_provider::eigen;
}

}  // namespace ovo
