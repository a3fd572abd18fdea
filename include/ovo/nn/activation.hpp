// An activation chosen at run time (EMO's per-stage SiLU or GELU), forward and backward.
#pragma once

#include <cstddef>

#include "ovo/backend/backend.hpp"
#include "ovo/space/emo_geometry.hpp"

namespace ovo {

template <backend Backend>
struct activation {
  using T = typename Backend::scalar;
  emo_activation kind = emo_activation::silu;

  // y[:n] = act(x[:n]), written.
  void forward(const T* x, T* y, std::size_t n) const {
    if (kind == emo_activation::silu)
      Backend::silu_forward(x, y, n);
    else
      Backend::gelu_forward(x, y, n);
  }
  // dx[:n] = dy * act'(x), written (dx may be dy).
  void backward(const T* x, const T* dy, T* dx, std::size_t n) const {
    if (kind == emo_activation::silu)
      Backend::silu_backward(x, dy, dx, n);
    else
      Backend::gelu_backward(x, dy, dx, n);
  }
};

}  // namespace ovo
