// A GEMM policy's products on prefix views against a product by hand, for every transpose and beta.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <ovo/ovo.hpp>

namespace ovo::test {

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

// Backend::gemm on prefix views of larger matrices: the product where it belongs, the padding
// as it was.
template <class Backend>
void check_gemm_against_hand(double tolerance) {
  using T = typename Backend::scalar;
  rng_engine rng(3);
  const int m = 37, n = 29, k = 45, pad = 7;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (T beta : {T(0), T(1), T(0.5)}) {
        CAPTURE(ta);
        CAPTURE(tb);
        CAPTURE(beta);
        const int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        std::vector<T> a((ta ? k : m) * lda), b((tb ? n : k) * ldb), c(m * ldc);
        for (auto* v : {&a, &b, &c})
          for (T& x : *v) x = T(standard_normal(rng));
        std::vector<T> expected = c, got = c;
        gemm_by_hand<T>(ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, beta,
                        expected.data(), ldc);
        Backend::gemm(ta, tb, T(0.75),
                      make_matrix_view<const T>(a.data(), ta ? k : m, ta ? m : k, lda),
                      make_matrix_view<const T>(b.data(), tb ? n : k, tb ? k : n, ldb), beta,
                      make_matrix_view(got.data(), m, n, ldc));
        for (std::size_t i = 0; i < got.size(); ++i) {
          if (static_cast<int>(i % ldc) >= n) {
            REQUIRE(got[i] == c[i]);
          } else {
            REQUIRE(std::abs(got[i] - expected[i]) <= tolerance);
          }
        }
      }
}

}  // namespace ovo::test
