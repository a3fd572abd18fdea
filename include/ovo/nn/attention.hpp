// Multi-head self-attention with elastic heads (and embed): qkv on prefix views, softmax,
// projection.
#pragma once

#include <cmath>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/qkv_layout.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

template <backend Backend, class QkvLayout = qkv_blocked>
struct attention {
  using T = typename Backend::scalar;
  parameter_ref qkv_weight, qkv_bias;  // [3 * A, E], [3 * A], A = head_dim * max heads
  linear<Backend> proj;                // [E, A]
  int head_dim = 0, super_heads = 0, super_embed = 0;
  workspace_slot q, k, v, probs, out;  // kept for backward

  attention() = default;
  attention(parameter_store<Backend>& params, workspace<Backend>& ws, const std::string& name,
            int embed, int heads, int dim_per_head, int max_batch, int tokens)
      : qkv_weight(params.add(name + ".qkv.weight", {3 * heads * dim_per_head, embed}, true,
                              parameter_init::truncated_normal)),
        qkv_bias(params.add(name + ".qkv.bias", {3 * heads * dim_per_head}, false,
                            parameter_init::zeros)),
        proj(params, name + ".proj", embed, heads * dim_per_head),
        head_dim(dim_per_head),
        super_heads(heads),
        super_embed(embed) {
    const auto rows = static_cast<std::size_t>(max_batch) * tokens;
    const auto width = static_cast<std::size_t>(heads) * dim_per_head;
    q = ws.reserve(rows * width);
    k = ws.reserve(rows * width);
    v = ws.reserve(rows * width);
    out = ws.reserve(rows * width);
    probs = ws.reserve(static_cast<std::size_t>(max_batch) * heads * tokens * tokens);
  }

  qkv_part_view part(int index, int heads) const {
    return QkvLayout::part(index, heads * head_dim, super_heads * head_dim, super_embed);
  }
  // The weight rows of q (0), k (1) or v (2) for `heads` heads and input width e, in `values`
  // (the store's values or gradients).
  template <class U>
  matrix_view<U> part_weight(U* values, int index, int heads, int e) const {
    const auto view = part(index, heads);
    return make_matrix_view(values + view.weight_offset, heads * head_dim, e, view.weight_ld);
  }
  T scale() const { return T(1) / std::sqrt(T(head_dim)); }

  // y [batch * tokens, e] = attention(x [batch * tokens, e]) with `heads` active heads.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               int batch, int heads, matrix_view<T> y) const {
    const int rows = x.rows, e = x.cols, a = heads * head_dim;
    const matrix_view<T> qkv[3] = {make_matrix_view(ws[q], rows, a),
                                   make_matrix_view(ws[k], rows, a),
                                   make_matrix_view(ws[v], rows, a)};
    for (int i = 0; i < 3; ++i)
      linear_forward<Backend>(x, part_weight(p.value(qkv_weight), i, heads, e),
                              p.value(qkv_bias) + part(i, heads).bias_offset, qkv[i]);
    const auto attended = make_matrix_view(ws[out], rows, a);
    Backend::attention_forward(qkv[0], qkv[1], qkv[2], batch, heads, scale(), ws[probs], attended);
    proj.forward(p, attended, y);
  }

  // dx = the input gradient; scratch: three [rows, a] buffers, a [rows, a] one, and the scores'.
  struct scratch {
    T* dq;
    T* dk;
    T* dv;
    T* dout;
    T* dscores;
  };
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, matrix_view<const T> dy,
                matrix_view<const T> x, int batch, int heads, matrix_view<T> dx, scratch s) const {
    const int rows = x.rows, e = x.cols, a = heads * head_dim;
    const auto dout = make_matrix_view(s.dout, rows, a);
    proj.backward(p, dy, make_matrix_view(ws[out], rows, a), dout);
    const matrix_view<T> dqkv[3] = {make_matrix_view(s.dq, rows, a),
                                    make_matrix_view(s.dk, rows, a),
                                    make_matrix_view(s.dv, rows, a)};
    Backend::attention_backward(make_matrix_view(ws[q], rows, a), make_matrix_view(ws[k], rows, a),
                                make_matrix_view(ws[v], rows, a), ws[probs], dout, batch, heads,
                                scale(), s.dscores, dqkv[0], dqkv[1], dqkv[2]);
    for (int i = 0; i < 3; ++i)
      linear_backward<Backend>(dqkv[i], x, part_weight(p.value(qkv_weight), i, heads, e),
                               part_weight(p.grad(qkv_weight), i, heads, e),
                               p.grad(qkv_bias) + part(i, heads).bias_offset, dx, i > 0);
  }
};

}  // namespace ovo
