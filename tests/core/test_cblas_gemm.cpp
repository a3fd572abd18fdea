// The CBLAS GEMM policies (ovo/backend/cblas_gemm.hpp): CBLAS against a product by hand and
// against Eigen on prefix views, and the back ends they make.
#include <doctest/doctest.h>

#include <vector>

#include <ovo/backend/cblas_gemm.hpp>
#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "gemm_check.hpp"

static_assert(ovo::backend<ovo::cpu<float, ovo::cblas_gemm>>);
static_assert(ovo::backend<ovo::cpu<double, ovo::cblas_gemm>>);
static_assert(ovo::backend<ovo::cpu<float, ovo::auto_gemm>>);
static_assert(ovo::backend<ovo::cpu<double, ovo::auto_gemm>>);
static_assert(!ovo::backend<ovo::cblas_gemm>, "a GEMM policy alone is no back end");

TEST_CASE("gemm on prefix views: CBLAS and the automatic policy against a product by hand") {
  ovo::test::check_gemm_against_hand<ovo::cpu<double, ovo::cblas_gemm>>(1e-12);
  ovo::test::check_gemm_against_hand<ovo::cpu<float, ovo::cblas_gemm>>(1e-4);
  ovo::test::check_gemm_against_hand<ovo::cpu<double, ovo::auto_gemm>>(1e-12);
  ovo::test::check_gemm_against_hand<ovo::cpu<float, ovo::auto_gemm>>(1e-4);
}

TEST_CASE("cpu<double, eigen_gemm> and cpu<double, cblas_gemm>: equal products on prefix views") {
  using eigen = ovo::cpu<double, ovo::eigen_gemm>;
  using cblas = ovo::cpu<double, ovo::cblas_gemm>;
  // Prefix views of super-shaped buffers (ld > cols), as the layers pass their slices.
  const int m = 13, n = 11, k = 17, super = 24;
  const auto a = ovo::test::random_vector(super * super, 1);
  const auto b = ovo::test::random_vector(super * super, 2);
  const auto c0 = ovo::test::random_vector(super * super, 3);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (double beta : {0.0, 1.0, -0.5}) {
        CAPTURE(ta);
        CAPTURE(tb);
        CAPTURE(beta);
        const auto A = ovo::make_matrix_view(a.data(), super, super).prefix(ta ? k : m, ta ? m : k);
        const auto B = ovo::make_matrix_view(b.data(), super, super).prefix(tb ? n : k, tb ? k : n);
        std::vector<double> c_eigen = c0, c_cblas = c0;
        eigen::gemm(ta, tb, 1.25, A, B, beta,
                    ovo::make_matrix_view(c_eigen.data(), super, super).prefix(m, n));
        cblas::gemm(ta, tb, 1.25, A, B, beta,
                    ovo::make_matrix_view(c_cblas.data(), super, super).prefix(m, n));
        for (int i = 0; i < super; ++i)
          for (int j = 0; j < super; ++j) {
            const auto at = static_cast<std::size_t>(i * super + j);
            if (i < m && j < n) {
              REQUIRE(c_cblas[at] == doctest::Approx(c_eigen[at]).epsilon(1e-12).scale(1.0));
            } else {
              REQUIRE(c_eigen[at] == c0[at]);
              REQUIRE(c_cblas[at] == c0[at]);
            }
          }
      }
}

TEST_CASE("the automatic policy runs on the process's provider and says which") {
  const auto provider = ovo::active_gemm_provider();
  const std::string description = ovo::gemm_provider_description();
  CHECK(description == (provider == ovo::gemm_provider::openblas ? ovo::cblas_gemm::description()
                                                                 : ovo::eigen_gemm::description()));
  CHECK(ovo::cpu<float, ovo::auto_gemm>::gemm_policy::description() == description);
}
