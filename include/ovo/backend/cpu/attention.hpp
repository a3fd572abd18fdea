// The CPU back end's multi-head attention core (softmax(Q K^T * scale) V), forward and backward.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/cpu/eigen_map.hpp"
#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_attention {
  // q, k, v, out: [batch * tokens, heads * head_dim], head h in columns [h * head_dim, (h + 1) *
  // head_dim); probs: [batch * heads, tokens, tokens] contiguous, written and kept for the
  // backward pass; out is written.
  static void attention_forward(matrix_view<const T> q, matrix_view<const T> k,
                                matrix_view<const T> v, int batch, int heads, T scale, T* probs,
                                matrix_view<T> out) {
    const int tokens = q.rows / batch;
    const std::ptrdiff_t nn = static_cast<std::ptrdiff_t>(tokens) * tokens;
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      const auto Q = eigen_map(head_block(q, bh, heads, tokens));
      const auto K = eigen_map(head_block(k, bh, heads, tokens));
      const auto V = eigen_map(head_block(v, bh, heads, tokens));
      auto P = eigen_map(make_matrix_view(probs + bh * nn, tokens, tokens));
      P.noalias() = scale * Q * K.transpose();
      for (int r = 0; r < tokens; ++r) {
        auto row = P.row(r).array();
        row = (row - row.maxCoeff()).exp();
        row /= row.sum();
      }
      eigen_map(head_block(out, bh, heads, tokens)).noalias() = P * V;
    }
  }

  // dq, dk, dv (shaped as q) are written, not accumulated; scratch holds batch * heads * tokens^2
  // values.
  static void attention_backward(matrix_view<const T> q, matrix_view<const T> k,
                                 matrix_view<const T> v, const T* probs, matrix_view<const T> dout,
                                 int batch, int heads, T scale, T* scratch, matrix_view<T> dq,
                                 matrix_view<T> dk, matrix_view<T> dv) {
    const int tokens = q.rows / batch;
    const std::ptrdiff_t nn = static_cast<std::ptrdiff_t>(tokens) * tokens;
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      const auto Q = eigen_map(head_block(q, bh, heads, tokens));
      const auto K = eigen_map(head_block(k, bh, heads, tokens));
      const auto V = eigen_map(head_block(v, bh, heads, tokens));
      const auto dO = eigen_map(head_block(dout, bh, heads, tokens));
      const auto P = eigen_map(make_matrix_view(probs + bh * nn, tokens, tokens));
      auto dS = eigen_map(make_matrix_view(scratch + bh * nn, tokens, tokens));
      eigen_map(head_block(dv, bh, heads, tokens)).noalias() = P.transpose() * dO;
      dS.noalias() = dO * V.transpose();  // dP
      for (int r = 0; r < tokens; ++r) {
        const T dot = P.row(r).dot(dS.row(r));
        dS.row(r).array() = P.row(r).array() * (dS.row(r).array() - dot);
      }
      eigen_map(head_block(dq, bh, heads, tokens)).noalias() = scale * dS * K;
      eigen_map(head_block(dk, bh, heads, tokens)).noalias() = scale * dS.transpose() * Q;
    }
  }

 private:
  // The tokens x head_dim block of head h of sample b (bh = b * heads + h).
  template <class U>
  static matrix_view<U> head_block(matrix_view<U> m, int bh, int heads, int tokens) {
    assert(m.cols % heads == 0 && m.rows % tokens == 0);
    const int head_dim = m.cols / heads;
    return m.block(bh / heads * tokens, bh % heads * head_dim, tokens, head_dim);
  }
};

}  // namespace ovo
