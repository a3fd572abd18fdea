// The elastic LayerNorm: statistics over the first `width` channels, gamma[:width], beta[:width].
#pragma once

#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

template <backend Backend>
struct layer_norm {
  using T = typename Backend::scalar;
  static constexpr double eps = 1e-6;
  parameter_ref gamma, beta;
  workspace_slot mean, rstd;  // per row, kept for backward

  layer_norm() = default;
  layer_norm(parameter_store<Backend>& params, workspace<Backend>& ws, const std::string& name,
             int width, int max_rows)
      : gamma(params.add(name + ".weight", {width}, false, parameter_init::ones)),
        beta(params.add(name + ".bias", {width}, false, parameter_init::zeros)),
        mean(ws.reserve(static_cast<std::size_t>(max_rows))),
        rstd(ws.reserve(static_cast<std::size_t>(max_rows))) {}

  // y = norm(x) over x.cols channels (x and y [rows, width], rows at most max_rows).
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               matrix_view<T> y) const {
    Backend::layer_norm_forward(x, p.value(gamma), p.value(beta), T(eps), y, ws[mean], ws[rstd]);
  }
  // dx = (or += when accumulate) the input gradient; gamma and beta gradients accumulate.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, matrix_view<const T> dy,
                matrix_view<const T> x, matrix_view<T> dx, bool accumulate) const {
    Backend::layer_norm_backward(dy, x, p.value(gamma), ws[mean], ws[rstd], dx, accumulate,
                                 p.grad(gamma), p.grad(beta));
  }
};

}  // namespace ovo
