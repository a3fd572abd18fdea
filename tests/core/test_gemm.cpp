// The CPU back end's default (Eigen) products on prefix views against a product by hand; the
// automatic policy's choice of provider.
#include <doctest/doctest.h>

#include <ovo/ovo.hpp>

#include "gemm_check.hpp"

TEST_CASE("gemm on prefix views: Eigen against a product by hand") {
  ovo::test::check_gemm_against_hand<ovo::cpu<double>>(1e-12);
  ovo::test::check_gemm_against_hand<ovo::cpu<float>>(1e-4);
}

TEST_CASE("gemm provider: OpenBLAS unless Eigen's vectors are wider; OVO_GEMM decides first") {
  using ovo::choose_gemm_provider;
  using ovo::gemm_provider;
  const int eigen_bits = ovo::eigen_vector_bits();
  CHECK(ovo::openblas_vector_bits("skylakex") == 512);
  CHECK(ovo::openblas_vector_bits("cooperlake") == 512);
  CHECK(ovo::openblas_vector_bits("zen") == 256);
  CHECK(ovo::openblas_vector_bits("prescott") == 128);
  // An OpenBLAS that does not know the CPU falls back to SSE kernels: Eigen wins unless it was
  // compiled for SSE alone.
  CHECK(choose_gemm_provider(nullptr, "prescott", true) ==
        (eigen_bits > 128 ? gemm_provider::eigen : gemm_provider::openblas));
  CHECK(choose_gemm_provider("auto", "skylakex", true) == gemm_provider::openblas);
  CHECK(choose_gemm_provider("auto", "haswell", true) ==
        (eigen_bits > 256 ? gemm_provider::eigen : gemm_provider::openblas));
  CHECK(choose_gemm_provider(nullptr, "skylakex", false) == gemm_provider::eigen);
  CHECK(choose_gemm_provider("eigen", "skylakex", true) == gemm_provider::eigen);
  CHECK(choose_gemm_provider("openblas", "prescott", true) == gemm_provider::openblas);
  CHECK_THROWS_WITH_AS(choose_gemm_provider("openblas", "", false),
                       doctest::Contains("built without OpenBLAS"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(choose_gemm_provider("mkl", "", true),
                       doctest::Contains("OVO_GEMM=mkl: expected eigen, openblas or auto"),
                       std::invalid_argument);
}
