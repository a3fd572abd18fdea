// The elastic ViT supernet: any arch of its shape runs forward and backward on prefix views.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/vit_block.hpp"
#include "ovo/space/arch.hpp"
#include "ovo/space/vit_shape.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

template <class Backend, class QkvLayout = qkv_blocked>
class vit_supernet {
 public:
  using backend = Backend;
  using arch_type = arch;
  using T = typename Backend::scalar;
  using block_type = vit_block<Backend, QkvLayout>;
  using layout = QkvLayout;

  vit_supernet(vit_shape shape, int max_batch) : shape_(std::move(shape)), max_batch_(max_batch) {
    if (max_batch < 1) throw std::invalid_argument("vit_supernet: max_batch must be positive");
    const int e = shape_.embed, n = shape_.tokens(), patches = shape_.patches();
    patch_weight_ = params_.add("patch_embed.proj.weight",
                                {e, shape_.channels, shape_.patch_size, shape_.patch_size}, true,
                                parameter_init::truncated_normal);
    patch_bias_ = params_.add("patch_embed.proj.bias", {e}, false, parameter_init::zeros);
    cls_token_ = params_.add("cls_token", {1, 1, e}, false, parameter_init::truncated_normal);
    pos_embed_ = params_.add("pos_embed", {1, n, e}, false, parameter_init::truncated_normal);
    for (int i = 0; i < shape_.depth; ++i) {
      const auto l = static_cast<std::size_t>(i);
      blocks_.emplace_back(params_, ws_, fmt::format("blocks.{}", i), e, shape_.heads[l],
                           shape_.head_dim, shape_.mlp_hidden[l], max_batch, n);
    }
    norm_ = layer_norm<Backend>(params_, ws_, "norm", e, max_batch);
    head_ = linear<Backend>(params_, "head", shape_.classes, e);
    params_.allocate();
    buffers_.allocate();

    const auto rows = static_cast<std::size_t>(max_batch) * n, width = static_cast<std::size_t>(e);
    const auto attn_width = static_cast<std::size_t>(shape_.max_heads()) * shape_.head_dim;
    const auto patch_rows = static_cast<std::size_t>(max_batch) * patches;
    patches_ = ws_.reserve(patch_rows * static_cast<std::size_t>(shape_.patch_dim()));
    patch_out_ = ws_.reserve(patch_rows * width);
    for (int i = 0; i <= shape_.depth; ++i) stream_.push_back(ws_.reserve(rows * width));
    cls_normed_ = ws_.reserve(static_cast<std::size_t>(max_batch) * width);
    logits_ = ws_.reserve(static_cast<std::size_t>(max_batch) * shape_.classes);
    grad_ = ws_.reserve(rows * width);
    branch_ = ws_.reserve(rows * width);
    d_normed_ = ws_.reserve(rows * width);
    for (auto* slot : {&dq_, &dk_, &dv_, &dout_}) *slot = ws_.reserve(rows * attn_width);
    dscores_ = ws_.reserve(static_cast<std::size_t>(max_batch) * shape_.max_heads() * n * n);
    d_hidden_ = ws_.reserve(rows * static_cast<std::size_t>(shape_.max_mlp_hidden()));
    ws_.allocate();
  }

  const vit_shape& shape() const { return shape_; }
  int max_batch() const { return max_batch_; }
  int classes() const { return shape_.classes; }
  image_geometry input() const { return {shape_.channels, shape_.image_size, shape_.image_size}; }
  parameter_store<Backend>& parameters() { return params_; }
  const parameter_store<Backend>& parameters() const { return params_; }
  // A ViT has no non-trainable tensors: an empty store.
  parameter_store<Backend>& buffers() { return buffers_; }
  const parameter_store<Backend>& buffers() const { return buffers_; }
  // Bytes of activation and scratch memory, allocated once at construction.
  std::size_t workspace_bytes() const { return ws_.size() * sizeof(T); }

  void initialize(rng_engine& rng) { params_.initialize(rng); }

  // Drop-path rate of the last block; block i uses rate * i / (depth - 1) of the supernet's depth.
  double drop_path_rate = 0.0;

  // Logits [batch, classes] (back-end memory, valid until the next forward) of `a` on `images`.
  // A training pass draws drop-path from the mode's engine; an evaluation pass has none.
  const T* forward(const image_batch<T>& images, const arch& a, forward_mode mode) {
    rng_engine* drop_path_rng = mode.training() ? &mode.rng() : nullptr;
    check_images(images);
    shape_.check_fits(a);
    arch_ = a;
    batch_ = images.batch;
    const int b = batch_, e = a.embed;
    Backend::image_to_patches(images.data, b, shape_.channels, shape_.image_size, shape_.patch_size,
                              patch_rows());
    linear_forward<Backend>(patch_rows(), patch_weight(params_.value(patch_weight_)),
                            params_.value(patch_bias_), patch_embeddings());
    Backend::assemble_tokens(patch_embeddings(), params_.value(cls_token_),
                             position_embedding(params_.value(pos_embed_)), b, stream(0));
    drop_path_active_ = drop_path_rng != nullptr && drop_path_rate > 0.0;
    const auto s = block_scratch();
    for (int i = 0; i < a.depth; ++i) {
      const auto l = static_cast<std::size_t>(i);
      draw_keep_scales(blocks_[l], i, b, drop_path_rng);
      blocks_[l].forward(params_, ws_, stream(l), b, a.heads[l], a.mlp_hidden(i), stream(l + 1), s);
    }
    // Only the class token reaches the head: the final norm runs on those rows alone.
    norm_.forward(params_, ws_, class_token_rows(ws_[stream_[final_stream()]]),
                  make_matrix_view(ws_[cls_normed_], b, e));
    head_.forward(params_, make_matrix_view(ws_[cls_normed_], b, e),
                  make_matrix_view(ws_[logits_], b, shape_.classes));
    return ws_[logits_];
  }

  // Accumulates into the parameter gradients the backward pass of the last forward, given
  // d(loss)/d(logits) [batch, classes] in back-end memory.
  void backward(const T* dlogits) {
    if (batch_ == 0) throw std::logic_error("vit_supernet::backward before forward");
    const arch& a = arch_;
    const int b = batch_, n = shape_.tokens(), e = a.embed;
    const auto grad = make_matrix_view(ws_[grad_], b * n, e);
    const auto d_normed = make_matrix_view(ws_[d_normed_], b, e);
    Backend::fill(grad.data, static_cast<std::size_t>(b) * n * e, T(0));
    head_.backward(params_, make_matrix_view(dlogits, b, shape_.classes),
                   make_matrix_view(ws_[cls_normed_], b, e), d_normed);
    norm_.backward(params_, ws_, d_normed, class_token_rows(ws_[stream_[final_stream()]]),
                   class_token_rows(grad.data), false);
    const auto s = block_scratch();
    for (int i = a.depth - 1; i >= 0; --i) {
      const auto l = static_cast<std::size_t>(i);
      blocks_[l].backward(params_, ws_, stream(l), grad, b, a.heads[l], a.mlp_hidden(i),
                          drop_path_active_, s);
    }
    Backend::assemble_tokens_backward(grad, b, patch_embeddings(), params_.grad(cls_token_),
                                      position_embedding(params_.grad(pos_embed_)));
    linear_backward<Backend>(patch_embeddings(), patch_rows(),
                             patch_weight(params_.value(patch_weight_)),
                             patch_weight(params_.grad(patch_weight_)), params_.grad(patch_bias_),
                             matrix_view<T>{}, false);
  }

  // The last forward's final feature map: the patch tokens (class token excluded) that the last
  // active block output, before the final norm, as a grid of patches_per_side() squared
  // positions; a view of the token stream [batch * tokens, embed], valid until the next forward.
  feature_map<T> last_features() const {
    if (batch_ == 0) throw std::logic_error("vit_supernet::last_features before forward");
    const int e = arch_.embed, side = shape_.patches_per_side();
    const std::ptrdiff_t token = e;
    return {.data = ws_[stream_[final_stream()]] + token,  // image 0's first patch token
            .batch = batch_,
            .channels = e,
            .height = side,
            .width = side,
            .batch_stride = shape_.tokens() * token,
            .channel_stride = 1,
            .row_stride = side * token,
            .column_stride = token};
  }

  // The tensors of `a` as a standalone model (timm names; q, k, v stacked in blocks).
  std::vector<subnet_tensor> subnet_tensors(const arch& a) const {
    shape_.check_fits(a);
    const int e = a.embed, es = shape_.embed, n = shape_.tokens(), pd = shape_.patch_dim();
    std::vector<subnet_tensor> out;
    out.push_back({"patch_embed.proj.weight",
                   {e, shape_.channels, shape_.patch_size, shape_.patch_size},
                   patch_weight_,
                   prefix_block(e, pd, pd)});
    out.push_back({"patch_embed.proj.bias", {e}, patch_bias_, prefix_block(1, e, es)});
    out.push_back({"cls_token", {1, 1, e}, cls_token_, prefix_block(1, e, es)});
    out.push_back({"pos_embed", {1, n, e}, pos_embed_, prefix_block(n, e, es)});
    for (int i = 0; i < a.depth; ++i) {
      const auto l = static_cast<std::size_t>(i);
      const auto& blk = blocks_[l];
      const int h = a.heads[l], att = h * shape_.head_dim, hid = a.mlp_hidden(i);
      const std::string name = fmt::format("blocks.{}.", i);
      out.push_back({name + "norm1.weight", {e}, blk.norm1.gamma, prefix_block(1, e, es)});
      out.push_back({name + "norm1.bias", {e}, blk.norm1.beta, prefix_block(1, e, es)});
      subnet_tensor qkv_w{name + "attn.qkv.weight", {3 * att, e}, blk.attn.qkv_weight, {}};
      subnet_tensor qkv_b{name + "attn.qkv.bias", {3 * att}, blk.attn.qkv_bias, {}};
      for (int part = 0; part < 3; ++part) {
        const auto v = blk.attn.part(part, h);
        qkv_w.blocks.push_back({v.weight_offset, v.weight_ld, att, e});
        qkv_b.blocks.push_back({v.bias_offset, 0, 1, att});
      }
      out.push_back(std::move(qkv_w));
      out.push_back(std::move(qkv_b));
      const int att_super = blk.attn.super_heads * shape_.head_dim;
      out.push_back({name + "attn.proj.weight",
                     {e, att},
                     blk.attn.proj.weight,
                     prefix_block(e, att, att_super)});
      out.push_back({name + "attn.proj.bias", {e}, blk.attn.proj.bias, prefix_block(1, e, es)});
      out.push_back({name + "norm2.weight", {e}, blk.norm2.gamma, prefix_block(1, e, es)});
      out.push_back({name + "norm2.bias", {e}, blk.norm2.beta, prefix_block(1, e, es)});
      const int hid_super = blk.mlp.fc1.out_super;
      out.push_back(
          {name + "mlp.fc1.weight", {hid, e}, blk.mlp.fc1.weight, prefix_block(hid, e, es)});
      out.push_back(
          {name + "mlp.fc1.bias", {hid}, blk.mlp.fc1.bias, prefix_block(1, hid, hid_super)});
      out.push_back(
          {name + "mlp.fc2.weight", {e, hid}, blk.mlp.fc2.weight, prefix_block(e, hid, hid_super)});
      out.push_back({name + "mlp.fc2.bias", {e}, blk.mlp.fc2.bias, prefix_block(1, e, es)});
    }
    out.push_back({"norm.weight", {e}, norm_.gamma, prefix_block(1, e, es)});
    out.push_back({"norm.bias", {e}, norm_.beta, prefix_block(1, e, es)});
    out.push_back(
        {"head.weight", {shape_.classes, e}, head_.weight, prefix_block(shape_.classes, e, es)});
    out.push_back({"head.bias", {shape_.classes}, head_.bias, prefix_block(1, shape_.classes, es)});
    return out;
  }

  // What a checkpoint must match to load into this network: the shape and the q/k/v layout.
  std::vector<identity_field> identity() const {
    return {{"shape", "supernet shape", nlohmann::json(shape_).dump()},
            {"qkv_layout", "qkv layout", QkvLayout::interleaved ? "interleaved" : "blocked"}};
  }

  // The arch and the standalone shape of `a`, as export writes them beside its tensors.
  text_fields subnet_description(const arch& a) const {
    shape_.check_fits(a);
    return {{"arch", nlohmann::json(a).dump()},
            {"shape", nlohmann::json(vit_shape::of_subnet(a, shape_)).dump()}};
  }

  // The network of exactly the subnet that `fields` describe, and its arch. The shape is checked
  // to be the arch's own and each of its dims that of the stored tensor that holds it before the
  // network is built, so that it holds no more weights than the file.
  static std::pair<vit_supernet, arch> standalone(const text_fields& fields,
                                                  const tensor_shapes& stored, int max_batch) {
    const auto field = [&](const std::string& key) { return required_field(fields, key); };
    const arch a = arch_from_json(field("arch"));
    const vit_shape shape = vit_shape_from_json(field("shape"));
    shape.check_fits(a);
    check_standalone_shape(a, shape, stored);
    return {vit_supernet(shape, max_batch), a};
  }

 private:
  static void check_standalone_shape(const arch& a, const vit_shape& shape,
                                     const tensor_shapes& stored) {
    const vit_shape own = vit_shape::of_subnet(a, shape);
    const auto same = [](std::string_view name, const auto& value, const auto& expected) {
      if (value != expected)
        throw std::invalid_argument(fmt::format(
            "shape field '{}' is {}, expected {} (the arch's own)", name, value, expected));
    };
    same("embed", shape.embed, own.embed);
    same("depth", shape.depth, own.depth);
    same("heads", shape.heads, own.heads);
    same("mlp_hidden", shape.mlp_hidden, own.mlp_hidden);
    const auto stored_as = [&](const std::string& name, const std::vector<std::int64_t>& expected,
                               std::string_view fields) {
      require_stored_shape(stored, name, expected, fmt::format("the shape's {}", fields));
    };
    const std::int64_t e = shape.embed;
    stored_as("patch_embed.proj.weight", {e, shape.channels, shape.patch_size, shape.patch_size},
              "embed, channels and patch_size");
    stored_as("pos_embed", {1, shape.tokens(), e}, "image_size and patch_size");
    stored_as("head.weight", {shape.classes, e}, "classes");
    for (std::size_t i = 0; i < shape.heads.size(); ++i) {
      stored_as(fmt::format("blocks.{}.attn.qkv.weight", i),
                {3 * std::int64_t{shape.heads[i]} * shape.head_dim, e}, "heads and head_dim");
      stored_as(fmt::format("blocks.{}.mlp.fc1.weight", i), {shape.mlp_hidden[i], e}, "mlp_hidden");
    }
  }

  int final_stream() const { return arch_.depth; }

  // The last forward's activations: the patch rows [batch * patches, patch_dim], their
  // embeddings [batch * patches, e] and token stream l [batch * tokens, e].
  matrix_view<T> patch_rows() {
    return make_matrix_view(ws_[patches_], batch_ * shape_.patches(), shape_.patch_dim());
  }
  matrix_view<T> patch_embeddings() {
    return make_matrix_view(ws_[patch_out_], batch_ * shape_.patches(), arch_.embed);
  }
  matrix_view<T> stream(std::size_t l) {
    return make_matrix_view(ws_[stream_[l]], batch_ * shape_.tokens(), arch_.embed);
  }
  // The class-token rows [batch, e] of a token-stream buffer (row stride tokens * e).
  matrix_view<T> class_token_rows(T* stream_values) const {
    return make_matrix_view(stream_values, batch_, arch_.embed, shape_.tokens() * arch_.embed);
  }
  // The arch's prefixes, in `values` (the parameters' values or gradients), of the patch
  // projection [E, patch_dim] and the position embedding [tokens, E].
  template <class U>
  matrix_view<U> patch_weight(U* values) const {
    return make_matrix_view(values, shape_.embed, shape_.patch_dim())
        .prefix(arch_.embed, shape_.patch_dim());
  }
  template <class U>
  matrix_view<U> position_embedding(U* values) const {
    return make_matrix_view(values, shape_.tokens(), shape_.embed)
        .prefix(shape_.tokens(), arch_.embed);
  }

  typename block_type::scratch block_scratch() {
    return {ws_[branch_],
            ws_[d_normed_],
            {ws_[dq_], ws_[dk_], ws_[dv_], ws_[dout_], ws_[dscores_]},
            ws_[d_hidden_]};
  }

  void check_images(const image_batch<T>& images) const {
    if (images.channels != shape_.channels || images.height != shape_.image_size ||
        images.width != shape_.image_size)
      throw std::invalid_argument(fmt::format(
          "vit_supernet: images of {}x{}x{} (channels x height x width), expected {}x{}x{}",
          images.channels, images.height, images.width, shape_.channels, shape_.image_size,
          shape_.image_size));
    if (images.batch < 1 || images.batch > max_batch_)
      throw std::invalid_argument(fmt::format("vit_supernet: batch of {} images, expected 1..{}",
                                              images.batch, max_batch_));
  }

  // Per-sample keep scales of block `index`'s two residual branches, set on the back end: 1
  // without drop-path, else 0 with probability rate and 1 / (1 - rate) otherwise, from one
  // draw of the engine per branch (the seed of its samples' scales).
  void draw_keep_scales(const block_type& blk, int index, int batch, rng_engine* rng) {
    const double rate =
        shape_.depth > 1 ? drop_path_rate * index / (shape_.depth - 1) : drop_path_rate;
    const std::array slots{blk.keep_attn, blk.keep_mlp};
    for (auto slot : slots) {
      if (!drop_path_active_ || rng == nullptr) {
        Backend::fill(ws_[slot], static_cast<std::size_t>(batch), T(1));
        continue;
      }
      Backend::drop_path_scales(ws_[slot], static_cast<std::size_t>(batch), rate, (*rng)());
    }
  }

  vit_shape shape_;
  int max_batch_;
  parameter_store<Backend> params_, buffers_;
  workspace<Backend> ws_;
  parameter_ref patch_weight_, patch_bias_, cls_token_, pos_embed_;
  std::vector<block_type> blocks_;
  layer_norm<Backend> norm_;
  linear<Backend> head_;
  workspace_slot patches_, patch_out_, cls_normed_, logits_, grad_, branch_, d_normed_;
  workspace_slot dq_, dk_, dv_, dout_, dscores_, d_hidden_;
  std::vector<workspace_slot> stream_;
  arch arch_;
  int batch_ = 0;
  bool drop_path_active_ = false;
};

}  // namespace ovo
