// One pre-norm transformer block: x + drop_path(attn(norm1(x))), then + drop_path(mlp(norm2(.))).
#pragma once

#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/attention.hpp"
#include "ovo/nn/layer_norm.hpp"
#include "ovo/nn/mlp.hpp"

namespace ovo {

template <backend Backend, class QkvLayout = qkv_blocked>
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
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> in,
               int batch, int heads, int hidden, matrix_view<T> out, const scratch& s) const {
    const auto n1 = activations(ws, normed1, in), mid = activations(ws, middle, in),
               n2 = activations(ws, normed2, in);
    const auto branch = make_matrix_view(s.branch, in.rows, in.cols);
    norm1.forward(p, ws, in, n1);
    attn.forward(p, ws, n1, batch, heads, branch);
    Backend::copy(in, mid);
    Backend::add_scaled_residual(mid, branch, ws[keep_attn], batch);
    norm2.forward(p, ws, mid, n2);
    mlp.forward(p, ws, n2, hidden, branch);
    Backend::copy(mid, out);
    Backend::add_scaled_residual(out, branch, ws[keep_mlp], batch);
  }

  // grad holds d(loss)/d(out) on entry and d(loss)/d(in) on return; parameter gradients accumulate.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, matrix_view<const T> in,
                matrix_view<T> grad, int batch, int heads, int hidden, bool drop_path_active,
                const scratch& s) const {
    const auto branch = make_matrix_view(s.branch, in.rows, in.cols);
    const auto d_normed = make_matrix_view(s.d_normed, in.rows, in.cols);
    matrix_view<const T> d_branch = grad;
    if (drop_path_active) {
      Backend::scale_per_sample(grad, ws[keep_mlp], batch, branch);
      d_branch = branch;
    }
    mlp.backward(p, ws, d_branch, activations(ws, normed2, in), hidden, d_normed, s.d_hidden);
    norm2.backward(p, ws, d_normed, activations(ws, middle, in), grad, true);
    d_branch = grad;
    if (drop_path_active) {
      Backend::scale_per_sample(grad, ws[keep_attn], batch, branch);
      d_branch = branch;
    }
    attn.backward(p, ws, d_branch, activations(ws, normed1, in), batch, heads, d_normed, s.attn);
    norm1.backward(p, ws, d_normed, in, grad, true);
  }

 private:
  // The activations kept in `slot`, shaped as the block's input.
  template <class Workspace>
  static auto activations(Workspace& ws, workspace_slot slot, matrix_view<const T> in) {
    return make_matrix_view(ws[slot], in.rows, in.cols);
  }
};

}  // namespace ovo
