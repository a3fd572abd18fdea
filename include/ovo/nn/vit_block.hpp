// One pre-norm transformer block: x + drop_path(attn(norm1(x))), then + drop_path(mlp(norm2(.))).
#pragma once

#include <string>

#include "ovo/nn/attention.hpp"
#include "ovo/nn/layer_norm.hpp"
#include "ovo/nn/mlp.hpp"

namespace ovo {

template <class Backend, class QkvLayout = qkv_blocked>
struct vit_block {
  using T = typename Backend::scalar;
  // Declaration order fixes the parameter order: norm1, attn, norm2, mlp (as timm lists them).
  layer_norm<Backend> norm1;
  attention<Backend, QkvLayout> attn;
  layer_norm<Backend> norm2;
  ovo::mlp<Backend> mlp;
  workspace_slot normed1, middle, normed2;  // [rows, e] each, kept for backward
  workspace_slot keep_attn, keep_mlp;       // per sample: 0 or 1 / (1 - drop-path rate)

  // What a block needs from its caller: one [rows, e] buffer for branch outputs and gradients,
  // one for normalised-input gradients, and the attention's and MLP's scratch.
  struct scratch {
    T* branch;
    T* d_normed;
    typename attention<Backend, QkvLayout>::scratch attn;
    T* d_hidden;
  };

  vit_block() = default;
  vit_block(parameter_store<Backend>& params, workspace<Backend>& ws, const std::string& name,
            int embed, int heads, int head_dim, int hidden, int max_batch, int tokens)
      : norm1(params, ws, name + ".norm1", embed, max_batch * tokens),
        attn(params, ws, name + ".attn", embed, heads, head_dim, max_batch, tokens),
        norm2(params, ws, name + ".norm2", embed, max_batch * tokens),
        mlp(params, ws, name + ".mlp", embed, hidden, max_batch * tokens) {
    const auto rows = static_cast<std::size_t>(max_batch) * tokens;
    normed1 = ws.reserve(rows * static_cast<std::size_t>(embed));
    middle = ws.reserve(rows * static_cast<std::size_t>(embed));
    normed2 = ws.reserve(rows * static_cast<std::size_t>(embed));
    keep_attn = ws.reserve(static_cast<std::size_t>(max_batch));
    keep_mlp = ws.reserve(static_cast<std::size_t>(max_batch));
  }

  // out = block(in), both [batch * tokens, e]; keep scales must be in place (see keep_attn).
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, const T* in, int batch,
               int tokens, int e, int heads, int hidden, T* out, const scratch& s) const {
    const int rows = batch * tokens;
    const auto per_sample = static_cast<std::size_t>(tokens) * e;
    const auto n = static_cast<std::size_t>(rows) * e;
    norm1.forward(p, ws, in, e, rows, e, ws[normed1], e);
    attn.forward(p, ws, ws[normed1], batch, tokens, e, heads, s.branch);
    Backend::copy(in, n, ws[middle]);
    Backend::add_scaled_residual(ws[middle], s.branch, ws[keep_attn], batch, per_sample);
    norm2.forward(p, ws, ws[middle], e, rows, e, ws[normed2], e);
    mlp.forward(p, ws, ws[normed2], rows, e, hidden, s.branch);
    Backend::copy(ws[middle], n, out);
    Backend::add_scaled_residual(out, s.branch, ws[keep_mlp], batch, per_sample);
  }

  // grad holds d(loss)/d(out) on entry and d(loss)/d(in) on return; parameter gradients accumulate.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, const T* in, T* grad,
                int batch, int tokens, int e, int heads, int hidden, bool drop_path_active,
                const scratch& s) const {
    const int rows = batch * tokens;
    const auto per_sample = static_cast<std::size_t>(tokens) * e;
    const T* d_branch = grad;
    if (drop_path_active) {
      Backend::scale_per_sample(grad, ws[keep_mlp], batch, per_sample, s.branch);
      d_branch = s.branch;
    }
    mlp.backward(p, ws, d_branch, ws[normed2], rows, e, hidden, s.d_normed, s.d_hidden);
    norm2.backward(p, ws, s.d_normed, e, ws[middle], e, rows, e, grad, e, true);
    d_branch = grad;
    if (drop_path_active) {
      Backend::scale_per_sample(grad, ws[keep_attn], batch, per_sample, s.branch);
      d_branch = s.branch;
    }
    attn.backward(p, ws, d_branch, ws[normed1], batch, tokens, e, heads, s.d_normed, s.attn);
    norm1.backward(p, ws, s.d_normed, e, in, e, rows, e, grad, e, true);
  }
};

}  // namespace ovo
