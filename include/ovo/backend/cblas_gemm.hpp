// The CBLAS GEMM policies of the CPU back end (opt-in: needs <cblas.h> and OpenBLAS, the
// ovo::blas target): cblas_gemm always, auto_gemm whichever of OpenBLAS and Eigen fits the CPU.
#pragma once

#include <cblas.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <fmt/format.h>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/cpu.hpp"
#include "ovo/backend/eigen_gemm.hpp"
#include "ovo/backend/gemm_provider.hpp"

namespace ovo {

// OpenBLAS's kernel name in lower case ("cooperlake", "haswell", ...).
inline std::string openblas_core() {
  std::string core = ::openblas_get_corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return core;
}

// Every product on cblas_sgemm / cblas_dgemm (row-major).
struct cblas_gemm {
  // C = alpha * op(A) * op(B) + beta * C (see cpu_products::gemm for the shapes).
  template <class T>
  static void gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                   matrix_view<const T> b, T beta, matrix_view<T> c) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "cblas_gemm: CBLAS multiplies float or double");
    const auto ta = transpose_a ? CblasTrans : CblasNoTrans;
    const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
    const int k = transpose_a ? a.rows : a.cols;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, c.rows, c.cols, k, alpha, a.data, a.ld, b.data, b.ld, beta,
                  c.data, c.ld);
    else
      cblas_dgemm(CblasRowMajor, ta, tb, c.rows, c.cols, k, alpha, a.data, a.ld, b.data, b.ld, beta,
                  c.data, c.ld);
  }

  // "OpenBLAS (cooperlake kernels)", for logs and reports.
  static std::string description() { return fmt::format("OpenBLAS ({} kernels)", openblas_core()); }
};

// The provider of auto_gemm in this process, chosen once from OVO_GEMM and the CPU
// (choose_gemm_provider).
inline gemm_provider active_gemm_provider() {
  static const gemm_provider provider =
      choose_gemm_provider(std::getenv("OVO_GEMM"), openblas_core(), true);
  return provider;
}

// Every product on the process's provider: OpenBLAS unless its kernels are narrower than the
// vectors Eigen was compiled for; OVO_GEMM=eigen|openblas decides instead. Scalars CBLAS does not
// multiply run on Eigen.
struct auto_gemm {
  template <class T>
  static void gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                   matrix_view<const T> b, T beta, matrix_view<T> c) {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (active_gemm_provider() == gemm_provider::openblas) {
        cblas_gemm::gemm(transpose_a, transpose_b, alpha, a, b, beta, c);
        return;
      }
    }
    eigen_gemm::gemm(transpose_a, transpose_b, alpha, a, b, beta, c);
  }

  static std::string description() {
    return active_gemm_provider() == gemm_provider::openblas ? cblas_gemm::description()
                                                             : eigen_gemm::description();
  }
};

// What runs auto_gemm's products, for logs and reports: "OpenBLAS (cooperlake kernels)" or
// "Eigen (512-bit vectors)".
inline std::string gemm_provider_description() {
  return auto_gemm::description();
}

static_assert(backend<cpu<float, cblas_gemm>> && backend<cpu<double, cblas_gemm>>);
static_assert(backend<cpu<float, auto_gemm>> && backend<cpu<double, auto_gemm>>);

}  // namespace ovo
