// The CPU back end's products on prefix views, on each provider, against a product by hand; the
// choice of provider.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <ovo/ovo.hpp>

namespace {

// C = alpha op(A) op(B) + beta C by three loops, on row-major views with leading dimensions.
template <class T>
void gemm_by_hand(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b,
                  int ldb, T beta, T* c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double sum = 0;
      for (int p = 0; p < k; ++p)
        sum += static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]) *
               static_cast<double>(tb ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = static_cast<T>(alpha * sum + beta * c[i * ldc + j]);
    }
}

template <class T>
void check_provider(ovo::gemm_provider provider, double tolerance) {
  ovo::rng_engine rng(3);
  const int m = 37, n = 29, k = 45, pad = 7;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (T beta : {T(0), T(1), T(0.5)}) {
        // Prefix views of larger matrices: the padding must stay as it was.
        const int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        std::vector<T> a((ta ? k : m) * lda), b((tb ? n : k) * ldb), c(m * ldc);
        for (auto* v : {&a, &b, &c})
          for (T& x : *v) x = T(ovo::standard_normal(rng));
        std::vector<T> expected = c, got = c;
        gemm_by_hand<T>(ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, beta,
                        expected.data(), ldc);
        ovo::cpu<T>::gemm_on(provider, ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, beta,
                             got.data(), ldc);
        for (std::size_t i = 0; i < got.size(); ++i) {
          if (static_cast<int>(i % ldc) >= n) {
            REQUIRE(got[i] == c[i]);
          } else {
            REQUIRE(std::abs(got[i] - expected[i]) <= tolerance);
          }
        }
      }
}

}  // namespace

TEST_CASE("gemm on prefix views: Eigen and OpenBLAS against a product by hand") {
  for (auto provider : {ovo::gemm_provider::eigen, ovo::gemm_provider::openblas}) {
    CAPTURE(static_cast<int>(provider));
    check_provider<double>(provider, 1e-12);
    check_provider<float>(provider, 1e-4);
  }
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
