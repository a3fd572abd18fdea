// The elastic linear layer: Y = X W[:out, :in]^T + b[:out] on a prefix view of the super weight.
#pragma once

#include <string>

#include "ovo/nn/parameters.hpp"

namespace ovo {

// Y[rows x out] = X[rows x in] * W^T + b, where W is the out x in prefix of a matrix with row
// stride ldw (the super weight's input width) and b may be null.
template <class Backend, class T = typename Backend::scalar>
void linear_forward(const T* x, int ldx, int rows, int in, int out, const T* w, int ldw, const T* b,
                    T* y, int ldy) {
  Backend::gemm(false, true, rows, out, in, T(1), x, ldx, w, ldw, T(0), y, ldy);
  if (b) Backend::add_bias(y, rows, out, ldy, b);
}

// dW (same prefix view, row stride ldw) += dY^T X; db += column sums of dY (when db is not null);
// dX = dY W, or dX += dY W when accumulate_dx (when dx is not null).
template <class Backend, class T = typename Backend::scalar>
void linear_backward(const T* dy, int lddy, const T* x, int ldx, int rows, int in, int out,
                     const T* w, int ldw, T* dw, T* db, T* dx, int lddx, bool accumulate_dx) {
  if (dx)
    Backend::gemm(false, false, rows, in, out, T(1), dy, lddy, w, ldw, accumulate_dx ? T(1) : T(0),
                  dx, lddx);
  Backend::gemm(true, false, out, in, rows, T(1), dy, lddy, x, ldx, T(1), dw, ldw);
  if (db) Backend::accumulate_bias_grad(dy, rows, out, lddy, db);
}

// A linear layer's super-shaped weight [out_super, in_super] and bias [out_super].
template <class Backend>
struct linear {
  using T = typename Backend::scalar;
  parameter_ref weight, bias;
  int out_super = 0, in_super = 0;

  linear() = default;
  linear(parameter_store<Backend>& params, const std::string& name, int out, int in)
      : weight(params.add(name + ".weight", {out, in}, true, parameter_init::truncated_normal)),
        bias(params.add(name + ".bias", {out}, false, parameter_init::zeros)),
        out_super(out),
        in_super(in) {}

  void forward(const parameter_store<Backend>& p, const T* x, int ldx, int rows, int in, int out,
               T* y, int ldy) const {
    linear_forward<Backend>(x, ldx, rows, in, out, p.value(weight), in_super, p.value(bias), y,
                            ldy);
  }
  void backward(parameter_store<Backend>& p, const T* dy, int lddy, const T* x, int ldx, int rows,
                int in, int out, T* dx, int lddx) const {
    linear_backward<Backend>(dy, lddy, x, ldx, rows, in, out, p.value(weight), in_super,
                             p.grad(weight), p.grad(bias), dx, lddx, false);
  }
};

}  // namespace ovo
