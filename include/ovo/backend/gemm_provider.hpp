// Which library runs the CPU back end's matrix products: Eigen's, or OpenBLAS's when it is linked
// and its kernels are at least as wide as the vector instructions Eigen was compiled for.
#pragma once

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#ifdef OVO_USE_OPENBLAS
#include <cblas.h>
#endif

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

// OpenBLAS's kernel name in lower case ("cooperlake", "haswell", ...); empty without OpenBLAS.
inline std::string openblas_core() {
#ifdef OVO_USE_OPENBLAS
  std::string core = ::openblas_get_corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return core;
#else
  return {};
#endif
}

// The provider of this process, chosen once from OVO_GEMM and the CPU.
inline gemm_provider active_gemm_provider() {
#ifdef OVO_USE_OPENBLAS
  constexpr bool linked = true;
#else
  constexpr bool linked = false;
#endif
  static const gemm_provider provider =
      choose_gemm_provider(std::getenv("OVO_GEMM"), openblas_core(), linked);
  return provider;
}

// What runs the products, for logs and reports: "OpenBLAS (cooperlake kernels)" or
// "Eigen (512-bit vectors)".
inline std::string gemm_provider_description() {
  if (active_gemm_provider() == gemm_provider::openblas)
    return fmt::format("OpenBLAS ({} kernels)", openblas_core());
  return fmt::format("Eigen ({}-bit vectors)", eigen_vector_bits());
}

}  // namespace ovo
