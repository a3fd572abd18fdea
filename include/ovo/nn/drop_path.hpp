// Drop-path on a residual branch of images or token rows: per-sample keep scales drawn in
// training.
#pragma once

#include <cstddef>

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

  // x [batch * rows per sample, C] += keep * branch. The scales are set on the back end: in a
  // training pass with a rate drawn from one draw of the mode's engine (their seed), else 1.
  void forward(workspace<Backend>& ws, matrix_view<T> x, matrix_view<const T> branch, int batch,
               const forward_mode& mode) const {
    const auto n = static_cast<std::size_t>(batch);
    if (mode.training() && rate > 0)
      Backend::drop_path_scales(ws[keep], n, rate, mode.rng()());
    else
      Backend::fill(ws[keep], n, T(1));
    Backend::add_scaled_residual(x, branch, ws[keep], batch);
  }

  // d_branch = keep * dx per sample, written (x's own gradient passes through unchanged).
  void backward(const workspace<Backend>& ws, matrix_view<const T> dx, int batch,
                matrix_view<T> d_branch) const {
    Backend::scale_per_sample(dx, ws[keep], batch, d_branch);
  }
};

}  // namespace ovo
