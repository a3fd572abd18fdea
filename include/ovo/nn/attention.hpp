// Multi-head self-attention with elastic heads (and embed): qkv on prefix views, softmax,
// projection.
#pragma once

#include <cmath>
#include <string>

#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/qkv_layout.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

template <class Backend, class QkvLayout = qkv_blocked>
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
  T scale() const { return T(1) / std::sqrt(T(head_dim)); }

  // y[batch * tokens, e] = attention(x[batch * tokens, e]) with `heads` active heads.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, const T* x, int batch,
               int tokens, int e, int heads, T* y) const {
    const int rows = batch * tokens, a = heads * head_dim;
    T* qkv[3] = {ws[q], ws[k], ws[v]};
    for (int i = 0; i < 3; ++i) {
      const auto view = part(i, heads);
      linear_forward<Backend>(x, e, rows, e, a, p.value(qkv_weight) + view.weight_offset,
                              view.weight_ld, p.value(qkv_bias) + view.bias_offset, qkv[i], a);
    }
    Backend::attention_forward(ws[q], ws[k], ws[v], a, batch, tokens, heads, head_dim, scale(),
                               ws[probs], ws[out]);
    proj.forward(p, ws[out], a, rows, a, e, y, e);
  }

  // dx = the input gradient; scratch: three [rows, a] buffers, a [rows, a] one, and the scores'.
  struct scratch {
    T* dq;
    T* dk;
    T* dv;
    T* dout;
    T* dscores;
  };
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, const T* dy, const T* x,
                int batch, int tokens, int e, int heads, T* dx, scratch s) const {
    const int rows = batch * tokens, a = heads * head_dim;
    proj.backward(p, dy, e, ws[out], a, rows, a, e, s.dout, a);
    Backend::attention_backward(ws[q], ws[k], ws[v], ws[probs], s.dout, a, batch, tokens, heads,
                                head_dim, scale(), s.dscores, s.dq, s.dk, s.dv);
    const T* dqkv[3] = {s.dq, s.dk, s.dv};
    for (int i = 0; i < 3; ++i) {
      const auto view = part(i, heads);
      linear_backward<Backend>(dqkv[i], a, x, e, rows, e, a,
                               p.value(qkv_weight) + view.weight_offset, view.weight_ld,
                               p.grad(qkv_weight) + view.weight_offset,
                               p.grad(qkv_bias) + view.bias_offset, dx, e, i > 0);
    }
  }
};

}  // namespace ovo
