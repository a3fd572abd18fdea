// Drop-path on a residual branch of images or token rows: per-sample keep scales drawn in
// training.
#pragma once

#include <cstddef>
#include <vector>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/workspace.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

// x += keep[b] * branch for the rows of sample b, where keep[b] is 0 with probability `rate` and
// 1 / (1 - rate) otherwise in a training pass, 1 in any other pass (timm's DropPath).
template <backend Backend>
struct drop_path {
  using T = typename Backend::scalar;
  double rate = 0;
  workspace_slot keep;  // [max_batch]: the last forward's scales

  drop_path() = default;
  drop_path(workspace<Backend>& ws, int max_batch, double rate_ = 0)
      : rate(rate_), keep(ws.reserve(static_cast<std::size_t>(max_batch))) {}

  // x [batch * rows per sample, C] += keep * branch; draws the scales from a training pass's
  // engine (one draw per sample, uploaded), or sets them to 1 on the back end when the pass is
  // not training or the rate is 0.
  void forward(workspace<Backend>& ws, matrix_view<T> x, matrix_view<const T> branch, int batch,
               const forward_mode& mode) const {
    if (mode.training() && rate > 0) {
      std::vector<T> scales(static_cast<std::size_t>(batch));
      for (auto& s : scales) s = uniform_unit(mode.rng()) < rate ? T(0) : T(1.0 / (1.0 - rate));
      Backend::copy_from_host(scales, ws[keep]);
    } else {
      Backend::fill(ws[keep], static_cast<std::size_t>(batch), T(1));
    }
    Backend::add_scaled_residual(x, branch, ws[keep], batch);
  }

  // d_branch = keep * dx per sample, written (x's own gradient passes through unchanged).
  void backward(const workspace<Backend>& ws, matrix_view<const T> dx, int batch,
                matrix_view<T> d_branch) const {
    Backend::scale_per_sample(dx, ws[keep], batch, d_branch);
  }
};

}  // namespace ovo
