// The elastic MLP: fc1 to hidden = int(embed * ratio), exact GELU, fc2 back to embed.
#pragma once

#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

template <backend Backend>
struct mlp {
  using T = typename Backend::scalar;
  linear<Backend> fc1, fc2;
  workspace_slot pre_activation, activation;  // [rows, hidden], kept for backward

  mlp() = default;
  mlp(parameter_store<Backend>& params, workspace<Backend>& ws, const std::string& name, int embed,
      int hidden, int max_rows)
      : fc1(params, name + ".fc1", hidden, embed),
        fc2(params, name + ".fc2", embed, hidden),
        pre_activation(ws.reserve(static_cast<std::size_t>(max_rows) * hidden)),
        activation(ws.reserve(static_cast<std::size_t>(max_rows) * hidden)) {}

  // y [rows, e] = fc2(gelu(fc1(x))) for x [rows, e] through `hidden` active units.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               int hidden, matrix_view<T> y) const {
    const int rows = x.rows;
    fc1.forward(p, x, make_matrix_view(ws[pre_activation], rows, hidden));
    Backend::gelu_forward(ws[pre_activation], ws[activation],
                          static_cast<std::size_t>(rows) * hidden);
    fc2.forward(p, make_matrix_view(ws[activation], rows, hidden), y);
  }

  // dx = the input gradient (written); d_hidden: a [rows, hidden] scratch buffer.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, matrix_view<const T> dy,
                matrix_view<const T> x, int hidden, matrix_view<T> dx, T* d_hidden) const {
    const int rows = x.rows;
    const auto d_hidden_view = make_matrix_view(d_hidden, rows, hidden);
    fc2.backward(p, dy, make_matrix_view(ws[activation], rows, hidden), d_hidden_view);
    Backend::gelu_backward(ws[pre_activation], d_hidden, d_hidden,
                           static_cast<std::size_t>(rows) * hidden);
    fc1.backward(p, d_hidden_view, x, dx);
  }
};

}  // namespace ovo
