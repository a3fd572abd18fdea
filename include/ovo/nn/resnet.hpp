// The CIFAR ResNet-(6n+2) (ResNet-56 by default) as a network of exactly one subnet: a ConvNet
// teacher that trains, checkpoints, exports and evaluates as any supernet does.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/backend/backend.hpp"
#include "ovo/nn/basic_block.hpp"
#include "ovo/nn/batch_norm.hpp"
#include "ovo/nn/conv2d.hpp"
#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/resnet_shape.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/util/json.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

// conv1 (3x3, 16 channels) + bn1 + ReLU, layer1..layer3 of n basic blocks each (16, 32, 64
// channels; the first block of layer2 and layer3 has stride 2 and a projection shortcut), global
// average pooling and fc, with the tensor names and shapes of chenyaofo/pytorch-cifar-models'
// cifar100_resnet56 (0.86M parameters at 100 classes). Activations are channels-last rows
// [batch * height * width, channels] in one workspace; every block keeps its own for backward, so
// the memory grows with the depth (ResNet-56, batch 128, 32 x 32 images, float: about 0.6 GB).
// Its one arch is its depth: forward refuses any other.
template <backend Backend>
class resnet {
 public:
  using backend = Backend;
  using arch_type = resnet_arch;
  using T = typename Backend::scalar;
  using block_type = basic_block<Backend>;

  resnet(resnet_shape shape, int max_batch) : shape_(shape), max_batch_(max_batch) {
    shape_.check();
    if (max_batch < 1) throw std::invalid_argument("resnet: max_batch must be positive");
    const std::int64_t rows = std::int64_t{max_batch} * shape_.height * shape_.width;
    if (rows * resnet_shape::stage_channels.back() * 9 > INT_MAX)
      throw std::invalid_argument(fmt::format(
          "resnet: max_batch {} of {}x{} images makes {} pixel rows, expected at most {}",
          max_batch, shape_.height, shape_.width, rows, INT_MAX / 576));
    const int b = max_batch, h = shape_.height, w = shape_.width;
    const conv_geometry stem{b, h, w, 3, 1, 1};
    std::size_t column_values = conv2d<Backend>::column_values(shape_.channels, stem);
    for_each_block([&](int in, int out, int stride, int in_h, int in_w) {
      column_values =
          std::max(column_values, block_type::column_values(in, out, stride, b, in_h, in_w));
    });
    columns_ = ws_.reserve(column_values);

    const int stem_width = resnet_shape::stem_channels;
    stem_conv_ = conv2d<Backend>(params_, columns_, "conv1", stem_width, shape_.channels, stem,
                                 false, parameter_init::kaiming_normal_fan_out);
    stem_bn_ = batch_norm2d<Backend>(params_, buffers_, ws_, "bn1", stem_width);
    int stage = 0, index = 0;
    for_each_block([&](int in, int out, int stride, int in_h, int in_w) {
      if (index == shape_.blocks_per_stage()) {
        ++stage;
        index = 0;
      }
      blocks_.emplace_back(params_, buffers_, ws_, columns_,
                           fmt::format("layer{}.{}", stage + 1, index++), in, out, stride, b, in_h,
                           in_w);
    });
    const int features = resnet_shape::stage_channels.back();
    fc_ = linear<Backend>(params_, "fc", shape_.classes, features);
    params_.allocate();
    buffers_.allocate();

    const auto pixel_rows = static_cast<std::size_t>(rows);
    std::size_t gradient_values = pixel_rows * stem_width;
    for (const auto& blk : blocks_)
      gradient_values = std::max(gradient_values, blk.scratch_values(b));
    image_rows_ = ws_.reserve(pixel_rows * static_cast<std::size_t>(shape_.channels));
    stem_conv_out_ = ws_.reserve(pixel_rows * stem_width);
    stem_out_ = ws_.reserve(pixel_rows * stem_width);
    pooled_ = ws_.reserve(static_cast<std::size_t>(b) * features);
    d_pooled_ = ws_.reserve(static_cast<std::size_t>(b) * features);
    logits_ = ws_.reserve(static_cast<std::size_t>(b) * shape_.classes);
    for (auto* slot : {&gradient_, &next_gradient_, &scratch_first_, &scratch_second_})
      *slot = ws_.reserve(gradient_values);
    ones_ = ws_.reserve(static_cast<std::size_t>(b));
    ws_.allocate();
    Backend::fill(ws_[ones_], static_cast<std::size_t>(b), T(1));
  }

  const resnet_shape& shape() const { return shape_; }
  // The network's one arch.
  resnet_arch arch() const { return shape_.arch(); }
  int max_batch() const { return max_batch_; }
  int classes() const { return shape_.classes; }
  image_geometry input() const { return shape_.input(); }
  parameter_store<Backend>& parameters() { return params_; }
  const parameter_store<Backend>& parameters() const { return params_; }
  // The batch norms' running statistics.
  parameter_store<Backend>& buffers() { return buffers_; }
  const parameter_store<Backend>& buffers() const { return buffers_; }
  // Bytes of activation and scratch memory, allocated once at construction.
  std::size_t workspace_bytes() const { return ws_.size() * sizeof(T); }

  // Convolutions Kaiming-normal (fan_out), batch norms 1 and 0 with running statistics 0 and 1,
  // fc truncated normal (std 0.02) with zero bias.
  void initialize(rng_engine& rng) {
    params_.initialize(rng);
    buffers_.initialize(rng);
  }

  // Logits [batch, classes] (back-end memory, valid until the next forward) on `images`. Batch
  // norms use the batch's statistics in training and calibration (moving the running ones), the
  // running statistics in evaluation.
  const T* forward(const image_batch<T>& images, const resnet_arch& a, forward_mode mode) {
    check_images(images);
    if (a != arch())
      throw std::invalid_argument(fmt::format("resnet: arch {}, expected this network's {}",
                                              to_string(a), to_string(arch())));
    batch_ = images.batch;
    batch_statistics_ = mode.batch_statistics();
    const int b = batch_;
    const auto x = image_rows(), c0 = stem_rows(stem_conv_out_), y0 = stem_rows(stem_out_);
    Backend::images_to_channels_last(images.data, b, shape_.channels, shape_.height, shape_.width,
                                     x);
    stem_conv_.forward(params_, ws_, x, stem_geometry(), c0);
    stem_bn_.forward(params_, buffers_, ws_, c0, mode, y0);
    Backend::relu_forward(y0.data, y0.data, static_cast<std::size_t>(y0.rows) * y0.cols);
    const auto s = block_scratch();
    matrix_view<const T> input = y0;
    for (const auto& blk : blocks_) {
      blk.forward(params_, buffers_, ws_, input, b, mode, s);
      input = blk.output(ws_, b);
    }
    Backend::global_average_pool(input, b, pooled());
    fc_.forward(params_, pooled(), make_matrix_view(ws_[logits_], b, shape_.classes));
    return ws_[logits_];
  }

  // The logits of an evaluation pass: the network as a frozen teacher (distillation_step).
  const T* logits(const image_batch<T>& images) {
    return forward(images, arch(), forward_mode::eval());
  }

  // Accumulates into the parameter gradients the backward pass of the last forward, given
  // d(loss)/d(logits) [batch, classes] in back-end memory.
  void backward(const T* dlogits) {
    if (batch_ == 0) throw std::logic_error("resnet::backward before forward");
    const int b = batch_;
    const auto d_pooled = make_matrix_view(ws_[d_pooled_], b, pooled().cols);
    fc_.backward(params_, make_matrix_view(dlogits, b, shape_.classes), pooled(), d_pooled);
    T* gradient = ws_[gradient_];
    T* next = ws_[next_gradient_];
    const auto& last = blocks_.back();
    Backend::global_average_pool_backward(d_pooled, b, with_data(last.output(ws_, b), gradient));
    const auto s = block_scratch();
    for (std::size_t i = blocks_.size(); i-- > 0;) {
      const auto& blk = blocks_[i];
      const matrix_view<const T> x = i == 0 ? stem_rows(stem_out_) : blocks_[i - 1].output(ws_, b);
      blk.backward(params_, buffers_, ws_, x, b, batch_statistics_,
                   with_data(blk.output(ws_, b), gradient), with_data(x, next), s);
      std::swap(gradient, next);
    }
    const auto y0 = stem_rows(stem_out_), d_y0 = with_data(y0, gradient);
    const auto d_c0 = with_data(y0, ws_[scratch_first_]);
    Backend::relu_backward(y0.data, d_y0.data, d_y0.data,
                           static_cast<std::size_t>(y0.rows) * y0.cols);
    stem_bn_.backward(params_, buffers_, ws_, d_y0, stem_rows(stem_conv_out_), batch_statistics_,
                      d_c0);
    stem_conv_.backward(params_, ws_, d_c0, image_rows(), stem_geometry(), matrix_view<T>{});
  }

  // The last forward's final feature map: the last stage's output before pooling, a view of its
  // channels-last rows, valid until the next forward.
  feature_map<T> last_features() const {
    if (batch_ == 0) throw std::logic_error("resnet::last_features before forward");
    const auto& last = blocks_.back();
    const int rows = batch_ * last.out_height * last.out_width;
    return channels_last_features<T>(make_matrix_view(ws_[last.out], rows, last.channels), batch_,
                                     last.out_height, last.out_width);
  }

  // The tensors as PyTorch's state_dict names and shapes them (without num_batches_tracked).
  std::vector<subnet_tensor> subnet_tensors(const resnet_arch& a) const {
    check_arch(a);
    std::vector<subnet_tensor> out;
    for (const auto* store : {&params_, &buffers_})
      for (const auto& e : store->entries())
        out.push_back({e.name,
                       e.shape,
                       {e.offset},
                       {{0, 0, 1, static_cast<int>(e.size)}},
                       store == &buffers_});
    return out;
  }

  // What a checkpoint must match to load into this network: the network kind and its shape.
  std::vector<identity_field> identity() const {
    return {{"network", "network", "resnet"},
            {"shape", "resnet shape", nlohmann::json(shape_).dump()}};
  }

  // The network kind, the arch and the shape, as export writes them beside the tensors.
  text_fields subnet_description(const resnet_arch& a) const {
    check_arch(a);
    return {{"network", "resnet"},
            {"arch", nlohmann::json(a).dump()},
            {"shape", nlohmann::json(shape_).dump()}};
  }

  // The network that `fields` describe, and its arch: the shape is checked against the arch and
  // against the stored tensors that hold its channels, classes and blocks before anything is
  // allocated.
  static std::pair<resnet, resnet_arch> standalone(const text_fields& fields,
                                                   const tensor_shapes& stored, int max_batch) {
    const auto field = [&](const std::string& key) { return required_field(fields, key); };
    if (field("network") != "resnet")
      throw std::invalid_argument(
          fmt::format("metadata field 'network' is '{}', expected 'resnet'", field("network")));
    const auto a = parse_json_as<resnet_arch>(field("arch"), "resnet_arch JSON");
    const auto shape = parse_json_as<resnet_shape>(field("shape"), "resnet_shape JSON");
    if (a != shape.arch())
      throw std::invalid_argument(fmt::format("metadata field 'arch' is {}, but the shape's is {}",
                                              to_string(a), to_string(shape.arch())));
    check_stored_shapes(shape, stored);
    return {resnet(shape, max_batch), a};
  }

 private:
  // Calls f(in_channels, channels, stride, in_height, in_width) for each block in order.
  template <class F>
  void for_each_block(F&& f) const {
    int in = resnet_shape::stem_channels, h = shape_.height, w = shape_.width;
    for (std::size_t stage = 0; stage < resnet_shape::stage_channels.size(); ++stage)
      for (int i = 0; i < shape_.blocks_per_stage(); ++i) {
        const int out = resnet_shape::stage_channels[stage];
        const int stride = stage > 0 && i == 0 ? 2 : 1;
        f(in, out, stride, h, w);
        const conv_geometry g{1, h, w, 3, stride, 1};
        in = out;
        h = g.out_height();
        w = g.out_width();
      }
  }

  static void check_stored_shapes(const resnet_shape& shape, const tensor_shapes& stored) {
    const auto stored_as = [&](const std::string& name, const std::vector<std::int64_t>& expected,
                               std::string_view fields) {
      require_stored_shape(stored, name, expected, fmt::format("the shape's {}", fields));
    };
    const std::int64_t widest = resnet_shape::stage_channels.back();
    stored_as("conv1.weight", {resnet_shape::stem_channels, shape.channels, 3, 3}, "channels");
    stored_as("fc.weight", {shape.classes, widest}, "classes");
    const int n = shape.blocks_per_stage();
    stored_as(fmt::format("layer3.{}.conv2.weight", n - 1), {widest, widest, 3, 3}, "depth");
    const std::string beyond = fmt::format("layer3.{}.conv1.weight", n);
    if (stored.contains(beyond))
      throw std::invalid_argument(
          fmt::format("tensor '{}' is stored, but the shape's depth {} has {} blocks per stage",
                      beyond, shape.depth, n));
  }

  void check_arch(const resnet_arch& a) const {
    if (a != arch())
      throw std::invalid_argument(fmt::format("resnet: arch {}, expected this network's {}",
                                              to_string(a), to_string(arch())));
  }

  void check_images(const image_batch<T>& images) const {
    if (images.channels != shape_.channels || images.height != shape_.height ||
        images.width != shape_.width)
      throw std::invalid_argument(
          fmt::format("resnet: images of {}x{}x{} (channels x height x width), expected {}x{}x{}",
                      images.channels, images.height, images.width, shape_.channels, shape_.height,
                      shape_.width));
    if (images.batch < 1 || images.batch > max_batch_)
      throw std::invalid_argument(
          fmt::format("resnet: batch of {} images, expected 1..{}", images.batch, max_batch_));
  }

  conv_geometry stem_geometry() const { return {batch_, shape_.height, shape_.width, 3, 1, 1}; }
  // The last forward's image rows [batch * pixels, channels], a stem activation [batch * pixels,
  // 16] and the pooled features [batch, 64].
  matrix_view<T> image_rows() {
    return make_matrix_view(ws_[image_rows_], batch_ * shape_.height * shape_.width,
                            shape_.channels);
  }
  matrix_view<T> stem_rows(workspace_slot slot) {
    return make_matrix_view(ws_[slot], batch_ * shape_.height * shape_.width,
                            resnet_shape::stem_channels);
  }
  matrix_view<T> pooled() {
    return make_matrix_view(ws_[pooled_], batch_, resnet_shape::stage_channels.back());
  }
  // The matrix of m's shape at `data` (packed rows).
  static matrix_view<T> with_data(matrix_view<const T> m, T* data) {
    return make_matrix_view(data, m.rows, m.cols);
  }

  typename block_type::scratch block_scratch() {
    return {ws_[scratch_first_], ws_[scratch_second_], ws_[ones_]};
  }

  resnet_shape shape_;
  int max_batch_;
  parameter_store<Backend> params_, buffers_;
  workspace<Backend> ws_;
  conv2d<Backend> stem_conv_;
  batch_norm2d<Backend> stem_bn_;
  std::vector<block_type> blocks_;
  linear<Backend> fc_;
  workspace_slot columns_, image_rows_, stem_conv_out_, stem_out_, pooled_, d_pooled_, logits_;
  workspace_slot gradient_, next_gradient_, scratch_first_, scratch_second_, ones_;
  int batch_ = 0;
  bool batch_statistics_ = false;
};

}  // namespace ovo
