// The elastic iRMB block of EMO: norm, optional windowed attention, 1x1 expansion, depthwise conv,
// optional squeeze-excitation, 1x1 projection, inner and outer residuals.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/window_geometry.hpp"
#include "ovo/nn/activation.hpp"
#include "ovo/nn/batch_norm.hpp"
#include "ovo/nn/channel_norm.hpp"
#include "ovo/nn/depthwise_conv.hpp"
#include "ovo/nn/drop_path.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/squeeze_excitation.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/window_attention.hpp"
#include "ovo/nn/workspace.hpp"
#include "ovo/space/emo_geometry.hpp"

namespace ovo {

// What a super iRMB block is, fixed at construction: its largest widths, its map and its modules.
struct irmb_shape {
  int in = 0, out = 0, hidden = 0;  // the largest widths
  int in_size = 0;                  // side of the input map
  int kernel = 3, stride = 1;       // the depthwise conv's
  bool has_norm = true;             // the input norm (the stem's block has none)
  bool has_v = true;                // the 1x1 expansion (the stem's block has none: hidden = in)
  bool can_attend = false;          // holds the attention's qk: a subnet may switch it on
  bool skip = true;                 // inner and outer residuals (stride 1, in == out)
  emo_norm norm = emo_norm::batch;
  emo_activation act = emo_activation::silu;  // after v, and inside squeeze-excitation
  double se_ratio = 0;                        // 0: none
  int head_dim = 1, window = 0;
  bool qkv_bias = true;

  int out_size() const { return emo_conv_output_size(in_size, kernel, stride); }
};

// The widths of one call: a subnet's prefixes, and whether the block attends.
struct irmb_widths {
  int in = 0, out = 0, hidden = 0;
  bool attention = false;
};

// Forward and backward of one block on channels-last rows x [batch * in_size^2, in] -> y [batch *
// out_size^2, out], as the reference's iRMB with attn_pre: y = x + drop_path(proj(v' + se(act(
// bn(dw(v'))))) with v' = act(v(attend(norm(x)))) when the block skips, else y = proj(se(act(bn(
// dw(v'))))). Module names are the reference's (`norm`, `qk.conv`, `v.conv`, `conv_local.conv`,
// `conv_local.norm`, `se.conv_reduce`, `se.conv_expand`, `proj.conv`).
template <backend Backend>
class irmb_block {
 public:
  using T = typename Backend::scalar;

  // The backward's scratch, shared by every block of a network: three buffers of
  // hidden_values(), two of narrow_values(), and the attention's.
  struct scratch {
    T *hidden_a, *hidden_b, *hidden_c, *narrow_a, *narrow_b;
    typename window_attention<Backend>::scratch attention;
  };

  irmb_shape shape;
  channel_norm<Backend> norm;
  window_attention<Backend> attn;
  linear<Backend> v;
  activation<Backend> act;
  depthwise_conv<Backend> local;
  batch_norm2d<Backend> local_norm;
  squeeze_excitation<Backend> se;
  linear<Backend> proj;
  drop_path<Backend> path;

  irmb_block() = default;
  irmb_block(parameter_store<Backend>& params, parameter_store<Backend>& buffers,
             workspace<Backend>& ws, const std::string& name, const irmb_shape& s, int max_batch)
      : shape(s), act{s.act} {
    const auto in_rows = static_cast<std::size_t>(rows(max_batch, s.in_size));
    const auto out_rows = static_cast<std::size_t>(rows(max_batch, s.out_size()));
    if (s.has_norm)
      norm = channel_norm<Backend>(params, buffers, ws, name + ".norm", s.norm, s.in,
                                   static_cast<int>(in_rows));
    if (s.can_attend)
      attn = window_attention<Backend>(params, ws, name + ".qk.conv", s.in, s.head_dim,
                                       windows(max_batch), s.qkv_bias);
    if (s.has_v)
      v = linear<Backend>(params, name + ".v.conv", s.hidden, s.in, s.qkv_bias,
                          parameter_init::fan_in_uniform);
    local = depthwise_conv<Backend>(params, name + ".conv_local.conv", s.hidden, s.kernel, s.stride,
                                    false, parameter_init::fan_in_uniform);
    local_norm =
        batch_norm2d<Backend>(params, buffers, ws, name + ".conv_local.norm", s.hidden, 1e-6);
    if (s.se_ratio > 0)
      se = squeeze_excitation<Backend>(params, ws, name + ".se", s.hidden, s.se_ratio, s.act,
                                       max_batch);
    proj = linear<Backend>(params, name + ".proj.conv", s.out, s.hidden, false,
                           parameter_init::fan_in_uniform);
    if (s.skip) path = drop_path<Backend>(ws, max_batch);  // its rate is the network's to set
    const auto reserve = [&](bool needed, std::size_t count) {
      return needed ? ws.reserve(count) : workspace_slot{};
    };
    normed_ = reserve(s.has_norm, in_rows * s.in);
    attended_ = reserve(s.can_attend, in_rows * s.in);
    v_in_ = reserve(s.has_v, in_rows * s.hidden);
    v_out_ = reserve(s.has_v, in_rows * s.hidden);
    local_in_ = ws.reserve(out_rows * s.hidden);
    local_normed_ = ws.reserve(out_rows * s.hidden);
    local_out_ = ws.reserve(out_rows * s.hidden);
    gated_ = reserve(s.se_ratio > 0, out_rows * s.hidden);
    mixed_ = reserve(s.skip, out_rows * s.hidden);
    projected_ = reserve(s.skip, out_rows * s.out);
  }

  static int rows(int batch, int size) { return batch * size * size; }
  // The scratch this block needs at `max_batch`: values of each hidden and narrow buffer.
  std::size_t hidden_values(int max_batch) const {
    return static_cast<std::size_t>(rows(max_batch, std::max(shape.in_size, shape.out_size()))) *
           shape.hidden;
  }
  std::size_t narrow_values(int max_batch) const {
    return static_cast<std::size_t>(rows(max_batch, shape.in_size)) * std::max(shape.in, shape.out);
  }
  // The windows of a call on `batch` images.
  window_geometry windows(int batch) const {
    return {batch, shape.in_size, shape.in_size, shape.window};
  }

  // y [batch * out_size^2, w.out] written from x [batch * in_size^2, w.in]. Batch norms run in the
  // mode's statistics; drop-path draws from a training pass's engine.
  void forward(const parameter_store<Backend>& p, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, matrix_view<const T> x, const irmb_widths& w, int batch,
               const forward_mode& mode, matrix_view<T> y) const {
    const int in_rows = rows(batch, shape.in_size), out_rows = rows(batch, shape.out_size());
    matrix_view<const T> source = x;
    if (shape.has_norm) {
      const auto normed = view(ws, normed_, in_rows, w.in);
      norm.forward(p, buffers, ws, source, mode, normed);
      source = normed;
    }
    if (w.attention) {
      const auto attended = view(ws, attended_, in_rows, w.in);
      attn.forward(p, ws, source, windows(batch), attended);
      source = attended;
    }
    matrix_view<const T> expanded = source;
    if (shape.has_v) {
      const auto v_in = view(ws, v_in_, in_rows, w.hidden),
                 v_out = view(ws, v_out_, in_rows, w.hidden);
      v.forward(p, source, v_in);
      act.forward(v_in.data, v_out.data, count(v_out));
      expanded = v_out;
    }
    const auto local_in = view(ws, local_in_, out_rows, w.hidden);
    const auto local_normed = view(ws, local_normed_, out_rows, w.hidden);
    const auto local_out = view(ws, local_out_, out_rows, w.hidden);
    local.forward(p, expanded, conv(batch), local_in);
    local_norm.forward(p, buffers, ws, local_in, mode, local_normed);
    Backend::silu_forward(local_normed.data, local_out.data, count(local_out));
    matrix_view<const T> branch = local_out;
    if (shape.se_ratio > 0) {
      const auto gated = view(ws, gated_, out_rows, w.hidden);
      se.forward(p, ws, local_out, batch, gated);
      branch = gated;
    }
    if (!shape.skip) {
      proj.forward(p, branch, y);
      return;
    }
    const auto mixed = view(ws, mixed_, out_rows, w.hidden);
    Backend::copy(branch, mixed);
    Backend::add_to(expanded, mixed);
    const auto projected = view(ws, projected_, out_rows, w.out);
    proj.forward(p, mixed, projected);
    Backend::copy(x, y);
    path.forward(ws, y, projected, batch, mode);
  }

  // dx [batch * in_size^2, w.in] written from dy and the forward's x; parameter gradients
  // accumulate. `batch_statistics`: the last forward's mode.
  void backward(parameter_store<Backend>& p, const parameter_store<Backend>& buffers,
                workspace<Backend>& ws, matrix_view<const T> dy, matrix_view<const T> x,
                const irmb_widths& w, int batch, bool batch_statistics, const scratch& s,
                matrix_view<T> dx) const {
    const int in_rows = rows(batch, shape.in_size), out_rows = rows(batch, shape.out_size());
    const int hidden = w.hidden;
    const auto d_mixed = make_matrix_view(s.hidden_a, out_rows, hidden);
    if (shape.skip) {
      const auto d_projected = make_matrix_view(s.narrow_a, out_rows, w.out);
      path.backward(ws, dy, batch, d_projected);
      proj.backward(p, d_projected, view(ws, mixed_, out_rows, hidden), d_mixed);
    } else {
      proj.backward(p, dy, branch_of(ws, out_rows, hidden), d_mixed);
    }
    matrix_view<const T> d_local_out = d_mixed;
    if (shape.se_ratio > 0) {
      const auto d_gated_in = make_matrix_view(s.hidden_b, out_rows, hidden);
      se.backward(p, ws, d_mixed, view(ws, local_out_, out_rows, hidden), batch, d_gated_in);
      d_local_out = d_gated_in;
    }
    const auto d_local_normed = make_matrix_view(s.hidden_c, out_rows, hidden);
    Backend::silu_backward(view(ws, local_normed_, out_rows, hidden).data, d_local_out.data,
                           d_local_normed.data, count(d_local_normed));
    const auto d_local_in = make_matrix_view(s.hidden_b, out_rows, hidden);
    local_norm.backward(p, buffers, ws, d_local_normed, view(ws, local_in_, out_rows, hidden),
                        batch_statistics, d_local_in);
    const auto d_expanded = make_matrix_view(s.hidden_c, in_rows, hidden);
    local.backward(p, d_local_in, expanded_of(ws, x, w, in_rows), conv(batch), d_expanded);
    if (shape.skip) Backend::add_to(d_mixed, d_expanded);
    matrix_view<const T> d_source = d_expanded;
    if (shape.has_v) {
      act.backward(view(ws, v_in_, in_rows, hidden).data, d_expanded.data, d_expanded.data,
                   count(d_expanded));
      const auto d_v_in = make_matrix_view(s.narrow_a, in_rows, w.in);
      v.backward(p, d_expanded, v_source(ws, x, w, in_rows), d_v_in);
      d_source = d_v_in;
    }
    if (w.attention) {
      const auto d_normed = make_matrix_view(s.narrow_b, in_rows, w.in);
      attn.backward(p, ws, d_source, windows(batch), s.attention, d_normed);
      d_source = d_normed;
    }
    if (shape.has_norm)
      norm.backward(p, buffers, ws, d_source, x, batch_statistics, dx);
    else
      Backend::copy(d_source, dx);
    if (shape.skip) Backend::add_to(dy, dx);
  }

 private:
  static std::size_t count(matrix_view<T> m) { return static_cast<std::size_t>(m.rows) * m.cols; }
  matrix_view<T> view(workspace<Backend>& ws, workspace_slot slot, int r, int c) const {
    return make_matrix_view(ws[slot], r, c);
  }
  conv_geometry conv(int batch) const {
    return local.geometry(batch, shape.in_size, shape.in_size);
  }
  // What v expanded (the attended or normalised input, or x), and what the depthwise conv took
  // (v's output, or that same input when there is no v), as the last forward left them.
  matrix_view<const T> v_source(workspace<Backend>& ws, matrix_view<const T> x,
                                const irmb_widths& w, int in_rows) const {
    if (w.attention) return view(ws, attended_, in_rows, w.in);
    if (shape.has_norm) return view(ws, normed_, in_rows, w.in);
    return x;
  }
  matrix_view<const T> expanded_of(workspace<Backend>& ws, matrix_view<const T> x,
                                   const irmb_widths& w, int in_rows) const {
    return shape.has_v ? view(ws, v_out_, in_rows, w.hidden) : v_source(ws, x, w, in_rows);
  }
  // What the projection took in a block without skip: the gated or the activated local output.
  matrix_view<const T> branch_of(workspace<Backend>& ws, int out_rows, int hidden) const {
    return view(ws, shape.se_ratio > 0 ? gated_ : local_out_, out_rows, hidden);
  }

  workspace_slot normed_, attended_, v_in_, v_out_, local_in_, local_normed_, local_out_, gated_,
      mixed_, projected_;
};

}  // namespace ovo
