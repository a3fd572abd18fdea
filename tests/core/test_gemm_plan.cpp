// The call plan of the GPU back end's products (ovo/backend/gemm_plan.hpp), run by CBLAS in
// column-major order against row-major products by hand: every transpose, empty and odd sizes,
// padded leading dimensions, strided batches apart and interleaved.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <ovo/backend/gemm_plan.hpp>
#include <ovo/backend/gemm_plan_cblas.hpp>
#include <ovo/ovo.hpp>

#include "gemm_check.hpp"

namespace {

// A row-major matrix of `count` strided copies: rows x cols each, row stride ld, copy i at
// i * stride; interleaved copies sit side by side in one wide row (attention's heads).
struct strided_layout {
  int rows = 0, cols = 0, ld = 1;
  std::ptrdiff_t stride = 0;
  std::size_t size(int count) const {
    return static_cast<std::size_t>((count - 1) * stride + std::max(rows, 1) * ld);
  }
};

strided_layout layout(int rows, int cols, int pad, int count, bool interleaved) {
  if (interleaved) return {rows, cols, count * cols + pad, cols};
  const int ld = cols + pad;
  return {rows, cols, ld, static_cast<std::ptrdiff_t>(rows) * ld + 3};
}

template <class T>
void check_plan(bool ta, bool tb, int m, int n, int k, int pad, int count, bool interleaved,
                double beta, ovo::rng_engine& rng, double tolerance) {
  const auto la = layout(ta ? k : m, ta ? m : k, pad, count, interleaved);
  const auto lb = layout(tb ? n : k, tb ? k : n, pad, count, interleaved);
  const auto lc = layout(m, n, pad, count, interleaved);
  std::vector<T> a(la.size(count)), b(lb.size(count)), c(lc.size(count));
  for (auto* v : {&a, &b, &c})
    for (T& x : *v) x = T(ovo::standard_normal(rng));
  std::vector<T> expected = c;
  for (int i = 0; i < count; ++i)
    ovo::test::gemm_by_hand<T>(ta, tb, m, n, k, T(0.75), a.data() + i * la.stride, la.ld,
                               b.data() + i * lb.stride, lb.ld, T(beta),
                               expected.data() + i * lc.stride, lc.ld);
  std::vector<char> in_c(c.size(), 0);
  for (int i = 0; i < count; ++i)
    for (int r = 0; r < m; ++r)
      for (int col = 0; col < n; ++col) in_c[i * lc.stride + r * lc.ld + col] = 1;
  // Beta 0 writes C: NaN in C would show if it were read.
  if (beta == 0)
    for (std::size_t j = 0; j < c.size(); ++j)
      if (in_c[j]) c[j] = T(NAN);
  const auto call =
      ovo::plan_product<T>({.transpose_a = ta,
                            .transpose_b = tb,
                            .alpha = T(0.75),
                            .beta = T(beta),
                            .a = ovo::make_matrix_view<const T>(a.data(), la.rows, la.cols, la.ld),
                            .b = ovo::make_matrix_view<const T>(b.data(), lb.rows, lb.cols, lb.ld),
                            .c = ovo::make_matrix_view(c.data(), m, n, lc.ld),
                            .count = count,
                            .stride_a = la.stride,
                            .stride_b = lb.stride,
                            .stride_c = lc.stride});
  ovo::run_on_cblas(call);
  for (std::size_t j = 0; j < c.size(); ++j) {
    if (!in_c[j]) {
      REQUIRE(c[j] == expected[j]);  // outside every C_i: untouched
      continue;
    }
    REQUIRE(std::isfinite(c[j]));
    REQUIRE(std::abs(c[j] - expected[j]) <= tolerance * (1 + std::abs(expected[j])));
  }
}

}  // namespace

TEST_CASE("gemm plan: the hand-made column-major call of a row-major product") {
  std::vector<float> a(2 * 5), b(4 * 6), c(2 * 7);
  // C (2x4, ld 7) = A (2x3, ld 5) B^T (B 4x3, ld 6): C^T = B A^T, B first and transposed.
  const auto call = ovo::plan_gemm<float>(false, true, 2.0f,
                                          ovo::make_matrix_view<const float>(a.data(), 2, 3, 5),
                                          ovo::make_matrix_view<const float>(b.data(), 4, 3, 6),
                                          1.0f, ovo::make_matrix_view(c.data(), 2, 4, 7));
  CHECK(call.transpose_a);
  CHECK(!call.transpose_b);
  CHECK(call.m == 4);
  CHECK(call.n == 2);
  CHECK(call.k == 3);
  CHECK(call.a == b.data());
  CHECK(call.lda == 6);
  CHECK(call.b == a.data());
  CHECK(call.ldb == 5);
  CHECK(call.c == c.data());
  CHECK(call.ldc == 7);
  CHECK(call.alpha == 2.0f);
  CHECK(call.beta == 1.0f);
  CHECK(call.count == 1);
  CHECK_THROWS_WITH(ovo::plan_gemm<float>(false, false, 1.0f,
                                          ovo::make_matrix_view<const float>(a.data(), 2, 3, 5),
                                          ovo::make_matrix_view<const float>(b.data(), 4, 3, 6),
                                          0.0f, ovo::make_matrix_view(c.data(), 2, 3, 7)),
                    doctest::Contains("op(A) 2x3, op(B) 4x3, C 2x3, count 1"));
}

TEST_CASE("gemm plan: run by CBLAS, every transpose, size, padding, batch and stride") {
  ovo::rng_engine rng(11);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int m : {0, 1, 3, 8})
        for (int n : {0, 1, 5})
          for (int k : {0, 1, 7})
            for (int pad : {0, 3})
              for (int count : {1, 3})
                for (bool interleaved : {false, true})
                  for (double beta : {0.0, 1.0, -0.5}) {
                    CAPTURE(ta);
                    CAPTURE(tb);
                    CAPTURE(m);
                    CAPTURE(n);
                    CAPTURE(k);
                    CAPTURE(pad);
                    CAPTURE(count);
                    CAPTURE(interleaved);
                    CAPTURE(beta);
                    check_plan<double>(ta, tb, m, n, k, pad, count, interleaved, beta, rng, 1e-12);
                    check_plan<float>(ta, tb, m, n, k, pad, count, interleaved, beta, rng, 1e-5);
                  }
}
