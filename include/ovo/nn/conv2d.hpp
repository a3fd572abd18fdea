// The elastic 2-D convolution on channels-last images: im2col, then one GEMM on a weight prefix.
#pragma once

#include <cassert>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

// The weight is PyTorch's [out_super, in_super, k, k], used as the matrix [out_super,
// in_super * k * k]: row o, column c * k * k + ky * k + kx. A subnet's (out, in) is its prefix
// [out, in * k * k] (ld in_super * k * k), the order im2col writes columns in, so the product is
// one GEMM on a view, never a copy. x [g.in_rows(), in] and y [g.out_rows(), out] are views.
template <backend Backend>
struct conv2d {
  using T = typename Backend::scalar;
  parameter_ref weight, bias;
  bool has_bias = false;
  int out_super = 0, in_super = 0, kernel = 1, stride = 1, padding = 0;
  workspace_slot columns;  // im2col of the input, [g.out_rows(), in * k * k]

  conv2d() = default;
  // largest: the largest batch and image this layer sees, and its kernel, stride and padding. The
  // im2col columns get a slot of their own in ws.
  conv2d(parameter_store<Backend>& params, workspace<Backend>& ws, const std::string& name, int out,
         int in, const conv_geometry& largest, bool with_bias,
         parameter_init weight_init = parameter_init::truncated_normal)
      : conv2d(params, ws.reserve(column_values(in, largest)), name, out, in, largest, with_bias,
               weight_init) {}
  // The same with the columns in `shared_columns`, a slot of at least column_values(in, largest)
  // values that other layers use too: backward rebuilds the columns, so they are scratch that
  // need not outlive one forward or backward.
  conv2d(parameter_store<Backend>& params, workspace_slot shared_columns, const std::string& name,
         int out, int in, const conv_geometry& largest, bool with_bias,
         parameter_init weight_init = parameter_init::truncated_normal)
      : weight(params.add(name + ".weight", {out, in, largest.kernel, largest.kernel}, true,
                          weight_init)),
        bias(with_bias ? params.add(name + ".bias", {out}, false, parameter_init::zeros)
                       : parameter_ref{}),
        has_bias(with_bias),
        out_super(out),
        in_super(in),
        kernel(largest.kernel),
        stride(largest.stride),
        padding(largest.padding),
        columns(shared_columns) {
    assert(shared_columns.size >= column_values(in, largest));
  }

  // The values of the im2col columns of `in` input channels on geometry g.
  static std::size_t column_values(int in, const conv_geometry& g) {
    return static_cast<std::size_t>(g.out_rows()) * static_cast<std::size_t>(in) *
           static_cast<std::size_t>(g.taps());
  }

  // The geometry of this layer on a batch of height x width images.
  conv_geometry geometry(int batch, int height, int width) const {
    return {batch, height, width, kernel, stride, padding};
  }

  // The [out, in * k * k] prefix of the super weight in `values` (the store's values or gradients).
  template <class U>
  matrix_view<U> weight_view(U* values, int out, int in) const {
    return make_matrix_view(values, out_super, in_super * kernel * kernel)
        .prefix(out, in * kernel * kernel);
  }

  // y [g.out_rows(), out] = conv(x [g.in_rows(), in]) + b[:out], written.
  void forward(const parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> x,
               const conv_geometry& g, matrix_view<T> y) const {
    assert(g.kernel == kernel && g.stride == stride && g.padding == padding);
    const auto cols = column_view(ws, x.cols, g);
    Backend::im2col(x, g, cols);
    linear_forward<Backend>(cols, weight_view(p.value(weight), y.cols, x.cols),
                            has_bias ? p.value(bias) : nullptr, y);
  }

  // dx written (none when dx.data is null); the weight and bias gradients accumulate. The columns
  // are rebuilt from x, so other layers may use the workspace between forward and backward.
  void backward(parameter_store<Backend>& p, workspace<Backend>& ws, matrix_view<const T> dy,
                matrix_view<const T> x, const conv_geometry& g, matrix_view<T> dx) const {
    assert(g.kernel == kernel && g.stride == stride && g.padding == padding);
    const auto cols = column_view(ws, x.cols, g);
    Backend::im2col(x, g, cols);
    Backend::gemm(true, false, T(1), dy, cols, T(1), weight_view(p.grad(weight), dy.cols, x.cols));
    if (has_bias) Backend::accumulate_bias_grad(dy, p.grad(bias));
    if (!dx.data) return;
    Backend::gemm(false, false, T(1), dy, weight_view(p.value(weight), dy.cols, x.cols), T(0),
                  cols);
    Backend::col2im(cols, g, dx);
  }

 private:
  matrix_view<T> column_view(workspace<Backend>& ws, int in, const conv_geometry& g) const {
    return make_matrix_view(ws[columns], g.out_rows(), in * g.taps());
  }
};

}  // namespace ovo
