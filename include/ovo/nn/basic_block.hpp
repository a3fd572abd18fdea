// The ResNet basic block on channels-last images: two 3x3 convolutions with batch norm, a shortcut
// (identity, or a strided 1x1 convolution with batch norm), ReLU after the sum.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/batch_norm.hpp"
#include "ovo/nn/conv2d.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)) with PyTorch's (torchvision's and
// chenyaofo/pytorch-cifar-models') names: conv1, bn1, conv2, bn2, and for a projection shortcut
// downsample.0 (1x1 convolution, the block's stride) and downsample.1 (batch norm). Convolutions
// have no bias and start Kaiming-normal (fan_out). x is [batch * in_height * in_width,
// in_channels]; the block keeps the activations its backward needs in its own slots of the
// workspace, its output among them.
template <backend Backend>
struct basic_block {
  using T = typename Backend::scalar;

  // Workspace shared by the blocks of a network: two scratch buffers of scratch_values() values
  // each, and max_batch ones (the keep scales of a plain residual sum).
  struct scratch {
    T* first;
    T* second;
    const T* ones;
  };

  int in_channels = 0, channels = 0, stride = 1;
  int in_height = 0, in_width = 0, out_height = 0, out_width = 0;
  bool projection = false;  // downsample.0/1: the stride is not 1 or the channels change
  conv2d<Backend> conv1, conv2, shortcut_conv;
  batch_norm2d<Backend> bn1, bn2, shortcut_bn;
  // The last forward's conv1 output, the hidden ReLU's output, conv2's output, the projection
  // convolution's output and the block's output, each [batch * pixels, width].
  workspace_slot conv1_out, hidden, conv2_out, shortcut_conv_out, out;

  basic_block() = default;
  // columns: the shared im2col slot, at least column_values(...) values. A batch of up to
  // max_batch images of in_height x in_width.
  basic_block(parameter_store<Backend>& params, parameter_store<Backend>& buffers,
              workspace<Backend>& ws, workspace_slot columns, const std::string& name,
              int in_channels_, int channels_, int stride_, int max_batch, int in_height_,
              int in_width_)
      : in_channels(in_channels_),
        channels(channels_),
        stride(stride_),
        in_height(in_height_),
        in_width(in_width_),
        projection(stride_ != 1 || in_channels_ != channels_) {
    const auto g1 = conv1_geometry(max_batch), g2 = conv2_geometry(max_batch);
    out_height = g1.out_height();
    out_width = g1.out_width();
    constexpr auto kaiming = parameter_init::kaiming_normal_fan_out;
    conv1 = conv2d<Backend>(params, columns, name + ".conv1", channels, in_channels, g1, false,
                            kaiming);
    bn1 = batch_norm2d<Backend>(params, buffers, ws, name + ".bn1", channels);
    conv2 =
        conv2d<Backend>(params, columns, name + ".conv2", channels, channels, g2, false, kaiming);
    bn2 = batch_norm2d<Backend>(params, buffers, ws, name + ".bn2", channels);
    if (projection) {
      shortcut_conv = conv2d<Backend>(params, columns, name + ".downsample.0", channels,
                                      in_channels, shortcut_geometry(max_batch), false, kaiming);
      shortcut_bn = batch_norm2d<Backend>(params, buffers, ws, name + ".downsample.1", channels);
    }
    const std::size_t values = output_values(max_batch);
    for (auto* slot : {&conv1_out, &hidden, &conv2_out, &out}) *slot = ws.reserve(values);
    if (projection) shortcut_conv_out = ws.reserve(values);
  }

  // The im2col values the block's widest convolution needs, and the values each scratch buffer
  // must hold: the larger of an input and an output of the block.
  static std::size_t column_values(int in_channels, int channels, int stride, int max_batch,
                                   int in_height, int in_width) {
    const conv_geometry g1{max_batch, in_height, in_width, 3, stride, 1};
    const conv_geometry g2{max_batch, g1.out_height(), g1.out_width(), 3, 1, 1};
    return std::max(conv2d<Backend>::column_values(in_channels, g1),
                    conv2d<Backend>::column_values(channels, g2));
  }
  std::size_t scratch_values(int max_batch) const {
    return std::max(output_values(max_batch),
                    static_cast<std::size_t>(max_batch) * in_height * in_width * in_channels);
  }

  conv_geometry conv1_geometry(int batch) const {
    return {batch, in_height, in_width, 3, stride, 1};
  }
  conv_geometry conv2_geometry(int batch) const { return {batch, out_height, out_width, 3, 1, 1}; }
  conv_geometry shortcut_geometry(int batch) const {
    return {batch, in_height, in_width, 1, stride, 0};
  }

  // The block's output [batch * out_height * out_width, channels] in the workspace.
  matrix_view<T> output(workspace<Backend>& ws, int batch) const { return rows_of(ws, out, batch); }

  // Writes the block's output for x [batch * in_height * in_width, in_channels].
  void forward(const parameter_store<Backend>& p, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, matrix_view<const T> x, int batch, const forward_mode& mode,
               const scratch& s) const {
    const auto c1 = rows_of(ws, conv1_out, batch), h = rows_of(ws, hidden, batch),
               c2 = rows_of(ws, conv2_out, batch), y = rows_of(ws, out, batch);
    const auto n = values(y);
    conv1.forward(p, ws, x, conv1_geometry(batch), c1);
    bn1.forward(p, buffers, ws, c1, mode, h);
    Backend::relu_forward(h.data, h.data, n);
    conv2.forward(p, ws, h, conv2_geometry(batch), c2);
    bn2.forward(p, buffers, ws, c2, mode, y);
    if (projection) {
      const auto sc = rows_of(ws, shortcut_conv_out, batch);
      const auto normed = make_matrix_view(s.first, y.rows, channels);
      shortcut_conv.forward(p, ws, x, shortcut_geometry(batch), sc);
      shortcut_bn.forward(p, buffers, ws, sc, mode, normed);
      Backend::add_scaled_residual(y, normed, s.ones, batch);
    } else {
      Backend::add_scaled_residual(y, x, s.ones, batch);
    }
    Backend::relu_forward(y.data, y.data, n);
  }

  // The backward of the last forward (on batch statistics or not) given d_out, the gradient of
  // the block's output (overwritten: it becomes that of the sum); dx [batch * in_height *
  // in_width, in_channels] written, the parameter gradients accumulate. The ReLUs' gradients read
  // their outputs, which are positive exactly where their inputs are.
  void backward(parameter_store<Backend>& p, const parameter_store<Backend>& buffers,
                workspace<Backend>& ws, matrix_view<const T> x, int batch, bool batch_statistics,
                matrix_view<T> d_out, matrix_view<T> dx, const scratch& s) const {
    const auto c1 = rows_of(ws, conv1_out, batch), h = rows_of(ws, hidden, batch),
               c2 = rows_of(ws, conv2_out, batch), y = rows_of(ws, out, batch);
    const auto n = values(y);
    const auto d_inner = make_matrix_view(s.first, y.rows, channels);
    const auto d_hidden = make_matrix_view(s.second, y.rows, channels);
    Backend::relu_backward(y.data, d_out.data, d_out.data, n);
    bn2.backward(p, buffers, ws, d_out, c2, batch_statistics, d_inner);
    conv2.backward(p, ws, d_inner, h, conv2_geometry(batch), d_hidden);
    Backend::relu_backward(h.data, d_hidden.data, d_hidden.data, n);
    bn1.backward(p, buffers, ws, d_hidden, c1, batch_statistics, d_inner);
    conv1.backward(p, ws, d_inner, x, conv1_geometry(batch), dx);
    if (projection) {
      const auto d_input = make_matrix_view(s.second, x.rows, in_channels);
      shortcut_bn.backward(p, buffers, ws, d_out, rows_of(ws, shortcut_conv_out, batch),
                           batch_statistics, d_inner);
      shortcut_conv.backward(p, ws, d_inner, x, shortcut_geometry(batch), d_input);
      Backend::add_scaled_residual(dx, d_input, s.ones, batch);
    } else {
      Backend::add_scaled_residual(dx, d_out, s.ones, batch);
    }
  }

 private:
  std::size_t output_values(int batch) const {
    return static_cast<std::size_t>(batch) * out_height * out_width * channels;
  }
  matrix_view<T> rows_of(workspace<Backend>& ws, workspace_slot slot, int batch) const {
    return make_matrix_view(ws[slot], batch * out_height * out_width, channels);
  }
  static std::size_t values(matrix_view<const T> m) {
    return static_cast<std::size_t>(m.rows) * static_cast<std::size_t>(m.cols);
  }
};

}  // namespace ovo
