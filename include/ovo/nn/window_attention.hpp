// The elastic windowed multi-head attention of EMO's iRMB in its `attn_pre` order: weights from q
// and k of the normalised input, applied to that input itself.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/window_geometry.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

// On x [pixels, C] (channels-last): the map is cut into EMO's zero-padded windows
// (window_geometry), `qk` (a 1x1 conv C -> 2C with bias: q in its first C rows, k in rows
// [C_super, C_super + C) of the super weight, so a subnet's q and k are two prefix views) gives q
// and k per token, heads of `head_dim` channels attend within each window with scale
// head_dim^-0.5, the weights apply to x's own channels (head h to channels [h * head_dim, (h + 1) *
// head_dim)), and the windows are put back, the padding dropped. The iRMB's v expansion follows,
// outside this layer.
template <backend Backend>
struct window_attention {
  using T = typename Backend::scalar;
  linear<Backend> qk;
  int channels_super = 0, head_dim = 1;
  workspace_slot windows, qk_out, probs, out;  // the last forward's, for backward

  // The backward's scratch, shared by every attention of a network: sized by scratch_sizes.
  struct scratch {
    T *d_out, *d_qk, *d_windows, *d_scores;
  };

  window_attention() = default;
  // largest: the batch and map of the largest call.
  window_attention(parameter_store<Backend>& params, workspace<Backend>& ws,
                   const std::string& name, int channels, int head_dim_,
                   const window_geometry& largest, bool qk_bias)
      : qk(params, name, 2 * channels, channels, qk_bias, parameter_init::fan_in_uniform),
        channels_super(channels),
        head_dim(head_dim_) {
    const auto rows = static_cast<std::size_t>(largest.token_rows());
    windows = ws.reserve(rows * channels);
    qk_out = ws.reserve(rows * 2 * channels);
    probs = ws.reserve(probs_size(largest, channels));
    out = ws.reserve(rows * channels);
  }

  // The attention weights of a call on `g` with `channels` channels: the size of the backward's
  // d_scores (its d_out and d_windows hold g.token_rows() x channels values, d_qk twice that).
  std::size_t probs_size(const window_geometry& g, int channels) const {
    return static_cast<std::size_t>(g.windows()) * (channels / head_dim) * g.tokens() * g.tokens();
  }

  // y [g.pixel_rows(), C] written from x [g.pixel_rows(), C]; C a multiple of head_dim.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               const window_geometry& g, matrix_view<T> y) const {
    const int c = x.cols, rows = g.token_rows();
    const auto win = make_matrix_view(ws[windows], rows, c);
    const auto qk_rows = make_matrix_view(ws[qk_out], rows, 2 * c);
    const auto attended = make_matrix_view(ws[out], rows, c);
    Backend::window_partition(x, g, win);
    for (int part = 0; part < 2; ++part)
      linear_forward<Backend>(win, part_weight(p.value(qk.weight), part, c),
                              qk.has_bias ? p.value(qk.bias) + part * channels_super : nullptr,
                              qk_rows.block(0, part * c, rows, c));
    Backend::attention_forward(qk_rows.block(0, 0, rows, c), qk_rows.block(0, c, rows, c), win,
                               g.windows(), c / head_dim, scale(), ws[probs], attended);
    Backend::window_reverse(attended, g, y);
  }

  // dx [g.pixel_rows(), C] written; the qk weight and bias gradients accumulate.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, matrix_view<const T> dy,
                const window_geometry& g, const scratch& s, matrix_view<T> dx) const {
    const int c = dy.cols, rows = g.token_rows();
    const auto win = make_matrix_view(ws[windows], rows, c);
    const auto qk_rows = make_matrix_view(ws[qk_out], rows, 2 * c);
    const auto d_out = make_matrix_view(s.d_out, rows, c);
    const auto d_qk = make_matrix_view(s.d_qk, rows, 2 * c);
    const auto d_win = make_matrix_view(s.d_windows, rows, c);
    Backend::window_partition(dy, g, d_out);
    Backend::attention_backward(qk_rows.block(0, 0, rows, c), qk_rows.block(0, c, rows, c), win,
                                ws[probs], d_out, g.windows(), c / head_dim, scale(), s.d_scores,
                                d_qk.block(0, 0, rows, c), d_qk.block(0, c, rows, c), d_win);
    for (int part = 0; part < 2; ++part)
      linear_backward<Backend>(
          d_qk.block(0, part * c, rows, c), win, part_weight(p.value(qk.weight), part, c),
          part_weight(p.grad(qk.weight), part, c),
          qk.has_bias ? p.grad(qk.bias) + part * channels_super : nullptr, d_win, true);
    Backend::window_reverse(d_win, g, dx);
  }

 private:
  T scale() const { return T(1.0 / std::sqrt(static_cast<double>(head_dim))); }

  // q's (part 0) or k's (part 1) [C, C] prefix of the super qk weight in `values`.
  template <class U>
  matrix_view<U> part_weight(U* values, int part, int c) const {
    return make_matrix_view(values, 2 * channels_super, channels_super)
        .block(part * channels_super, 0, c, c);
  }
};

}  // namespace ovo
