// A norm over the channels of channels-last pixel rows chosen at run time: EMO's `bn_2d`
// (BatchNorm2d) or `ln_2d` (LayerNorm over each pixel's channels).
#pragma once

#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/batch_norm.hpp"
#include "ovo/nn/layer_norm.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/workspace.hpp"
#include "ovo/space/emo_geometry.hpp"

namespace ovo {

// Names as the reference's modules: a batch norm `name.weight`, `name.running_mean`, ...; a layer
// norm (its LayerNorm2d wraps nn.LayerNorm as `norm`) `name.norm.weight`, `name.norm.bias`. Both
// use eps 1e-6, as the reference's get_norm.
template <backend Backend>
struct channel_norm {
  using T = typename Backend::scalar;
  emo_norm kind = emo_norm::batch;
  batch_norm2d<Backend> batch;
  layer_norm<Backend> layer;

  channel_norm() = default;
  // max_rows: the most pixel rows it normalises (a layer norm keeps per-row statistics).
  channel_norm(parameter_store<Backend>& params, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, const std::string& name, emo_norm kind_, int channels,
               int max_rows)
      : kind(kind_) {
    if (kind == emo_norm::batch)
      batch = batch_norm2d<Backend>(params, buffers, ws, name, channels, 1e-6);
    else
      layer = layer_norm<Backend>(params, ws, name + ".norm", channels, max_rows);
  }

  // y [rows, C] written (a batch norm on batch statistics moves its running statistics).
  void forward(const parameter_store<Backend>& p, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, matrix_view<const T> x, const forward_mode& mode,
               matrix_view<T> y) const {
    if (kind == emo_norm::batch)
      batch.forward(p, buffers, ws, x, mode, y);
    else
      layer.forward(p, ws, x, y);
  }
  // dx written; the weight and bias gradients accumulate. `batch_statistics`: the last forward's.
  void backward(parameter_store<Backend>& p, const parameter_store<Backend>& buffers,
                const workspace<Backend>& ws, matrix_view<const T> dy, matrix_view<const T> x,
                bool batch_statistics, matrix_view<T> dx) const {
    if (kind == emo_norm::batch)
      batch.backward(p, buffers, ws, dy, x, batch_statistics, dx);
    else
      layer.backward(p, ws, dy, x, dx, false);
  }
};

}  // namespace ovo
