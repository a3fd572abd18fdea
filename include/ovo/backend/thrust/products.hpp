// The Thrust back end's matrix products (the call plan, run by the system's BLAS), bias and its
// gradient.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/gemm_plan.hpp"
#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_products {
  // The contract's gemm (backend.hpp) as one column-major call: System::gemm runs it (cuBLAS on a
  // GPU, CBLAS on the host).
  static void gemm(bool transpose_a, bool transpose_b, T alpha, matrix_view<const T> a,
                   matrix_view<const T> b, T beta, matrix_view<T> c) {
    System::gemm(plan_gemm(transpose_a, transpose_b, alpha, a, b, beta, c));
  }

  // y[r, :] += bias.
  static void add_bias(matrix_view<T> y, const T* bias) {
    const int cols = y.cols;
    for_each_index<System>(std::ptrdiff_t{y.rows} * cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int c = static_cast<int>(i % cols);
      y.row(static_cast<int>(i / cols))[c] += bias[c];
    });
  }

  // db[:dy.cols] += column sums of dy: one column per thread, rows in order.
  static void accumulate_bias_grad(matrix_view<const T> dy, T* db) {
    const int rows = dy.rows;
    for_each_index<System>(dy.cols, [=] OVO_HOST_DEVICE(std::ptrdiff_t c) {
      T sum = 0;
      for (int r = 0; r < rows; ++r) sum += dy.row(r)[c];
      db[c] += sum;
    });
  }
};

}  // namespace ovo
