// Central finite differences against hand-written gradients, shared by the gradient tests.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <functional>

namespace ovo::test {

// Central differences of loss() with respect to each of n values at x, against analytic[i].
inline void check_against_finite_differences(double* x, std::size_t n, const double* analytic,
                                             const std::function<double()>& loss,
                                             const char* what) {
  constexpr double h = 1e-6;
  for (std::size_t i = 0; i < n; ++i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double up = loss();
    x[i] = saved - h;
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2 * h);
    INFO(what << "[" << i << "]");
    CHECK(analytic[i] == doctest::Approx(numeric).epsilon(1e-6).scale(1.0));
  }
}

inline double dot(const double* a, const double* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace ovo::test
