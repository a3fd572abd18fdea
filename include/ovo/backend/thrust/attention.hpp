// The Thrust back end's multi-head attention core (softmax(Q K^T * scale) V), forward and
// backward: its products as one strided batch per head through the system's BLAS, its row
// softmax and softmax gradient one row per thread.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/gemm_plan.hpp"
#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"
#include "ovo/backend/thrust/softmax_row.hpp"

namespace ovo {

template <class T, class System>
struct thrust_attention {
  // As cpu_attention: probs [batch * heads, tokens, tokens] and out written.
  static void attention_forward(matrix_view<const T> q, matrix_view<const T> k,
                                matrix_view<const T> v, int batch, int heads, T scale, T* probs,
                                matrix_view<T> out) {
    const int tokens = q.rows / batch;
    for (int h = 0; h < heads; ++h) {
      products(false, true, scale, head(q, h, heads, tokens), head(k, h, heads, tokens),
               score_matrices(probs, h, heads, tokens), batch);
    }
    for_each_index<System>(std::ptrdiff_t{batch} * heads * tokens,
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t row) {
                             T* p = probs + row * tokens;
                             softmax_row<T>(p, tokens, T(1), p);
                           });
    for (int h = 0; h < heads; ++h)
      products(false, false, T(1), score_matrices(probs, h, heads, tokens),
               head(v, h, heads, tokens), head(out, h, heads, tokens), batch);
  }

  // dq, dk, dv written; scratch holds batch * heads * tokens^2 values.
  static void attention_backward(matrix_view<const T> q, matrix_view<const T> k,
                                 matrix_view<const T> v, const T* probs, matrix_view<const T> dout,
                                 int batch, int heads, T scale, T* scratch, matrix_view<T> dq,
                                 matrix_view<T> dk, matrix_view<T> dv) {
    const int tokens = q.rows / batch;
    for (int h = 0; h < heads; ++h) {
      const auto p = score_matrices(probs, h, heads, tokens);
      const auto d_o = head(dout, h, heads, tokens);
      products(true, false, T(1), p, d_o, head(dv, h, heads, tokens), batch);
      products(false, true, T(1), d_o, head(v, h, heads, tokens),
               score_matrices(scratch, h, heads, tokens), batch);  // dP
    }
    // dS = P * (dP - rowsum(P * dP)), in place of dP.
    for_each_index<System>(std::ptrdiff_t{batch} * heads * tokens,
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t row) {
                             const T* p = probs + row * tokens;
                             T* d = scratch + row * tokens;
                             T dot = 0;
                             for (int c = 0; c < tokens; ++c) dot += p[c] * d[c];
                             for (int c = 0; c < tokens; ++c) d[c] = p[c] * (d[c] - dot);
                           });
    for (int h = 0; h < heads; ++h) {
      const auto ds = score_matrices(static_cast<const T*>(scratch), h, heads, tokens);
      products(false, false, scale, ds, head(k, h, heads, tokens), head(dq, h, heads, tokens),
               batch);
      products(true, false, scale, ds, head(q, h, heads, tokens), head(dk, h, heads, tokens),
               batch);
    }
  }

 private:
  // A tokens x cols matrix of sample 0 and the distance to the same matrix of the next sample.
  template <class U>
  struct per_sample {
    matrix_view<U> view;
    std::ptrdiff_t stride = 0;
  };

  // Head h's tokens x head_dim block: sample b's is tokens * ld further on.
  template <class U>
  static per_sample<U> head(matrix_view<U> m, int h, int heads, int tokens) {
    assert(m.cols % heads == 0 && m.rows % tokens == 0);
    const int head_dim = m.cols / heads;
    return {m.block(0, h * head_dim, tokens, head_dim), std::ptrdiff_t{tokens} * m.ld};
  }
  // Head h's tokens x tokens matrix in [batch * heads, tokens, tokens].
  template <class U>
  static per_sample<U> score_matrices(U* scores, int h, int heads, int tokens) {
    const std::ptrdiff_t area = std::ptrdiff_t{tokens} * tokens;
    return {make_matrix_view(scores + h * area, tokens, tokens), heads * area};
  }

  // C_b = alpha op(A_b) op(B_b) for every sample b < batch, written: one strided batch.
  template <class A, class B>
  static void products(bool transpose_a, bool transpose_b, T alpha, per_sample<A> a,
                       per_sample<B> b, per_sample<T> c, int batch) {
    System::gemm(plan_product<T>({.transpose_a = transpose_a,
                                  .transpose_b = transpose_b,
                                  .alpha = alpha,
                                  .beta = T(0),
                                  .a = a.view,
                                  .b = b.view,
                                  .c = c.view,
                                  .count = batch,
                                  .stride_a = a.stride,
                                  .stride_b = b.stride,
                                  .stride_c = c.stride}));
  }
};

}  // namespace ovo
