// The elastic linear layer: Y = X W[:out, :in]^T + b[:out] on a prefix view of the super weight.
#pragma once

#include <string>
#include <type_traits>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/parameters.hpp"

namespace ovo {

// Y [rows, out] = X [rows, in] * W^T + b (written), W [out, in] a view (the prefix of a super
// weight), b [out] or null.
template <backend Backend, class T = typename Backend::scalar>
void linear_forward(matrix_view<const std::type_identity_t<T>> x,
                    matrix_view<const std::type_identity_t<T>> w, const std::type_identity_t<T>* b,
                    matrix_view<std::type_identity_t<T>> y) {
  Backend::gemm(false, true, T(1), x, w, T(0), y);
  if (b) Backend::add_bias(y, b);
}

// dW += dY^T X (dw: w's view of the gradient); db += column sums of dY (when db is not null);
// dX = dY W, or dX += dY W when accumulate_dx (when dx.data is not null).
template <backend Backend, class T = typename Backend::scalar>
void linear_backward(matrix_view<const std::type_identity_t<T>> dy,
                     matrix_view<const std::type_identity_t<T>> x,
                     matrix_view<const std::type_identity_t<T>> w,
                     matrix_view<std::type_identity_t<T>> dw, std::type_identity_t<T>* db,
                     matrix_view<std::type_identity_t<T>> dx, bool accumulate_dx) {
  if (dx.data) Backend::gemm(false, false, T(1), dy, w, accumulate_dx ? T(1) : T(0), dx);
  Backend::gemm(true, false, T(1), dy, x, T(1), dw);
  if (db) Backend::accumulate_bias_grad(dy, db);
}

// A linear layer's super-shaped weight [out_super, in_super] and bias [out_super] (or none): a
// ViT's or head's linear, or a 1x1 convolution on channels-last pixel rows.
template <backend Backend>
struct linear {
  using T = typename Backend::scalar;
  parameter_ref weight, bias;
  int out_super = 0, in_super = 0;
  bool has_bias = true;

  linear() = default;
  linear(parameter_store<Backend>& params, const std::string& name, int out, int in,
         bool with_bias = true, parameter_init init = parameter_init::truncated_normal)
      : weight(params.add(name + ".weight", {out, in}, true, init)),
        bias(with_bias ? params.add(name + ".bias", {out}, false, parameter_init::zeros)
                       : parameter_ref{}),
        out_super(out),
        in_super(in),
        has_bias(with_bias) {}

  // The out x in prefix of the super weight in `values` (the store's values or gradients).
  template <class U>
  matrix_view<U> weight_view(U* values, int out, int in) const {
    return make_matrix_view(values, out_super, in_super).prefix(out, in);
  }

  // y [rows, out] = x [rows, in] W[:out, :in]^T + b[:out].
  void forward(const parameter_store<Backend>& p, matrix_view<const T> x, matrix_view<T> y) const {
    linear_forward<Backend>(x, weight_view(p.value(weight), y.cols, x.cols),
                            has_bias ? p.value(bias) : nullptr, y);
  }
  // dx [rows, in] written (+= when accumulate_dx; none when dx.data is null); the weight and bias
  // gradients accumulate.
  void backward(parameter_store<Backend>& p, matrix_view<const T> dy, matrix_view<const T> x,
                matrix_view<T> dx, bool accumulate_dx = false) const {
    linear_backward<Backend>(dy, x, weight_view(p.value(weight), dy.cols, x.cols),
                             weight_view(p.grad(weight), dy.cols, x.cols),
                             has_bias ? p.grad(bias) : nullptr, dx, accumulate_dx);
  }
};

}  // namespace ovo
