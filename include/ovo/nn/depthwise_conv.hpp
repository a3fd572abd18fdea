// The elastic depthwise convolution on channels-last images: one k x k filter per channel.
#pragma once

#include <cassert>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/parameters.hpp"

namespace ovo {

// The weight is PyTorch's [channels_super, 1, k, k], used as the matrix [channels_super, k * k];
// a subnet's first `channels` channels read its row prefix. Padding is k / 2 (odd k: the image
// keeps its size at stride 1, halves, rounded up, at stride 2).
template <backend Backend>
struct depthwise_conv {
  using T = typename Backend::scalar;
  parameter_ref weight, bias;
  bool has_bias = false;
  int channels_super = 0, kernel = 3, stride = 1;

  depthwise_conv() = default;
  depthwise_conv(parameter_store<Backend>& params, const std::string& name, int channels,
                 int kernel_size, int stride_, bool with_bias,
                 parameter_init init = parameter_init::truncated_normal)
      : weight(params.add(name + ".weight", {channels, 1, kernel_size, kernel_size}, true, init)),
        bias(with_bias ? params.add(name + ".bias", {channels}, false, parameter_init::zeros)
                       : parameter_ref{}),
        has_bias(with_bias),
        channels_super(channels),
        kernel(kernel_size),
        stride(stride_) {}

  // The geometry of this layer on a batch of height x width images.
  conv_geometry geometry(int batch, int height, int width) const {
    return {batch, height, width, kernel, stride, kernel / 2};
  }

  // The [channels, k * k] prefix of the super weight in `values` (the store's values or gradients).
  template <class U>
  matrix_view<U> weight_view(U* values, int channels) const {
    return make_matrix_view(values, channels_super, kernel * kernel)
        .prefix(channels, kernel * kernel);
  }

  // y [g.out_rows(), C] = the per-channel convolution of x [g.in_rows(), C] (+ b[:C]), written.
  void forward(const parameter_store<Backend>& p, matrix_view<const T> x, const conv_geometry& g,
               matrix_view<T> y) const {
    assert(g.kernel == kernel && g.stride == stride && g.padding == kernel / 2);
    Backend::depthwise_conv_forward(x, weight_view(p.value(weight), x.cols), g, y);
    if (has_bias) Backend::add_bias(y, p.value(bias));
  }

  // dx written; the weight and bias gradients accumulate.
  void backward(parameter_store<Backend>& p, matrix_view<const T> dy, matrix_view<const T> x,
                const conv_geometry& g, matrix_view<T> dx) const {
    assert(g.kernel == kernel && g.stride == stride && g.padding == kernel / 2);
    Backend::depthwise_conv_backward(dy, x, weight_view(p.value(weight), x.cols), g, dx,
                                     weight_view(p.grad(weight), x.cols));
    if (has_bias) Backend::accumulate_bias_grad(dy, p.grad(bias));
  }
};

}  // namespace ovo
