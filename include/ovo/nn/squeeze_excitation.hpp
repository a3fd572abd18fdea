// The elastic squeeze-excitation of channels-last images (timm's SqueezeExcite): a per-image
// channel gate from the pooled channels.
#pragma once

#include <cmath>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/activation.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

// y = x * sigmoid(expand(act(reduce(mean over pixels of x)))) per image: `conv_reduce` C ->
// round(C * ratio) and `conv_expand` back, 1x1 convs with bias on the pooled [batch, C]. A subnet
// of C channels uses the [round(C * ratio), C] and [C, round(C * ratio)] prefixes (Python's round:
// half to even, as the reference).
template <backend Backend>
struct squeeze_excitation {
  using T = typename Backend::scalar;
  linear<Backend> reduce, expand;
  activation<Backend> act;
  double ratio = 0;
  // [max_batch, *]: the last forward's values, and the backward's gradients of three of them.
  workspace_slot pooled, reduced_in, reduced, expanded_in, gate, d_pooled, d_reduced, d_gate;

  squeeze_excitation() = default;
  squeeze_excitation(parameter_store<Backend>& params, workspace<Backend>& ws,
                     const std::string& name, int channels, double ratio_, emo_activation kind,
                     int max_batch)
      : reduce(params, name + ".conv_reduce", reduced_width(channels, ratio_), channels, true,
               parameter_init::fan_in_uniform),
        expand(params, name + ".conv_expand", channels, reduced_width(channels, ratio_), true,
               parameter_init::fan_in_uniform),
        act{kind},
        ratio(ratio_) {
    const auto wide = static_cast<std::size_t>(max_batch) * channels;
    const auto narrow = static_cast<std::size_t>(max_batch) * reduce.out_super;
    pooled = ws.reserve(wide);
    reduced_in = ws.reserve(narrow);
    reduced = ws.reserve(narrow);
    expanded_in = ws.reserve(wide);
    gate = ws.reserve(wide);
    d_pooled = ws.reserve(wide);
    d_reduced = ws.reserve(narrow);
    d_gate = ws.reserve(wide);
  }

  static int reduced_width(int channels, double ratio) {
    return static_cast<int>(std::nearbyint(channels * ratio));
  }

  // y [batch * pixels, C] written from x of the same shape.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               int batch, matrix_view<T> y) const {
    const auto v = views(ws, batch, x.cols);
    Backend::global_average_pool(x, batch, v.pooled);
    reduce.forward(p, v.pooled, v.reduced_in);
    act.forward(v.reduced_in.data, v.reduced.data, size(v.reduced));
    expand.forward(p, v.reduced, v.expanded_in);
    Backend::sigmoid_forward(v.expanded_in.data, v.gate.data, size(v.gate));
    Backend::scale_channels(x, v.gate, batch, y);
  }

  // dx written from dy and the forward's x; the weight and bias gradients accumulate.
  void backward(parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> dy,
                matrix_view<const T> x, int batch, matrix_view<T> dx) const {
    const auto v = views(ws, batch, x.cols);
    Backend::scale_channels_backward(dy, x, v.gate, batch, dx, v.d_gate);
    Backend::sigmoid_backward(v.expanded_in.data, v.d_gate.data, v.d_gate.data, size(v.d_gate));
    expand.backward(p, v.d_gate, v.reduced, v.d_reduced);
    act.backward(v.reduced_in.data, v.d_reduced.data, v.d_reduced.data, size(v.d_reduced));
    reduce.backward(p, v.d_reduced, v.pooled, v.d_pooled);
    Backend::global_average_pool_backward(v.d_pooled, batch, dx, true);
  }

 private:
  struct scratch_views {
    matrix_view<T> pooled, reduced_in, reduced, expanded_in, gate, d_pooled, d_reduced, d_gate;
  };
  scratch_views views(workspace<Backend>& ws, int batch, int channels) const {
    const int narrow = reduced_width(channels, ratio);
    const auto wide_view = [&](workspace_slot s) {
      return make_matrix_view(ws[s], batch, channels);
    };
    const auto narrow_view = [&](workspace_slot s) {
      return make_matrix_view(ws[s], batch, narrow);
    };
    return {wide_view(pooled),      narrow_view(reduced_in), narrow_view(reduced),
            wide_view(expanded_in), wide_view(gate),         wide_view(d_pooled),
            narrow_view(d_reduced), wide_view(d_gate)};
  }
  static std::size_t size(matrix_view<T> m) { return static_cast<std::size_t>(m.rows) * m.cols; }
};

}  // namespace ovo
