// The elastic MLP: fc1 to hidden = int(embed * ratio), exact GELU, fc2 back to embed.
#pragma once

#include <string>

#include "ovo/nn/linear.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

template <class Backend>
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

  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, const T* x, int rows,
               int e, int hidden, T* y) const {
    fc1.forward(p, x, e, rows, e, hidden, ws[pre_activation], hidden);
    Backend::gelu_forward(ws[pre_activation], ws[activation],
                          static_cast<std::size_t>(rows) * hidden);
    fc2.forward(p, ws[activation], hidden, rows, hidden, e, y, e);
  }

  // dx = the input gradient; d_hidden: a [rows, hidden] scratch buffer.
  void backward(parameter_store<Backend>& p, const workspace<Backend>& ws, const T* dy, const T* x,
                int rows, int e, int hidden, T* dx, T* d_hidden) const {
    fc2.backward(p, dy, e, ws[activation], hidden, rows, hidden, e, d_hidden, hidden);
    Backend::gelu_backward(ws[pre_activation], d_hidden, d_hidden,
                           static_cast<std::size_t>(rows) * hidden);
    fc1.backward(p, d_hidden, hidden, x, e, rows, e, hidden, dx, e);
  }
};

}  // namespace ovo
