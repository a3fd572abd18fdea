// The elastic EMO supernet: stem, four stages of iRMB blocks and a head, every arch of its largest
// one running forward and backward on prefix views of one set of weights.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/channel_norm.hpp"
#include "ovo/nn/conv2d.hpp"
#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/irmb_block.hpp"
#include "ovo/nn/linear.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/workspace.hpp"
#include "ovo/space/emo_arch.hpp"
#include "ovo/space/emo_geometry.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

// The reference's EMO (attn_pre, v ungrouped) on `geometry`, holding the weights of `largest`:
// every stage's depth, width, per-block expansion and attention at most the largest's (a block
// may attend where the largest's attends). Its subnets are the emo_archs that fit
// (fit_error). Batch norms keep running statistics as buffers (recalibrate them per subnet before
// evaluating it: search/batch_norm_calibration.hpp). Names are the reference's state-dict names
// (`stage0.0.convs.0.0.weight`, `stage2.1.conv_local.norm.running_mean`, `head.weight`, ...).
template <backend Backend>
class emo_supernet {
 public:
  using backend = Backend;
  using arch_type = emo_arch;
  using T = typename Backend::scalar;

  emo_supernet(const emo_geometry& geometry, const emo_arch& largest, int max_batch)
      : geometry_(geometry), largest_(largest), max_batch_(max_batch) {
    if (const char* why = emo_geometry_error(geometry_))
      throw std::invalid_argument(fmt::format("emo_supernet: geometry: {}", why));
    if (geometry_.v_group || !geometry_.attn_pre)
      throw std::invalid_argument(
          "emo_supernet: geometry: expected attn_pre true and v_group false (the reference "
          "models' setting, the one this network runs)");
    if (auto why = emo_arch_inconsistency(largest_, geometry_.stem_width); !why.empty())
      throw std::invalid_argument("emo_supernet: largest arch: " + why);
    if (max_batch < 1) throw std::invalid_argument("emo_supernet: max_batch must be positive");
    const auto sizes = emo_feature_sizes(geometry_);
    const int k0 = geometry_.kernel_sizes[0], stem = geometry_.stem_width;
    const int image = geometry_.image_size;
    stem_conv_ = conv2d<Backend>(
        params_, ws_, "stage0.0.convs.0.0", stem, geometry_.channels,
        {max_batch, image, image, k0, geometry_.stem_stride, (k0 - geometry_.stem_stride + 1) / 2},
        true, parameter_init::fan_in_uniform);
    stem_norm_ = channel_norm<Backend>(params_, buffers_, ws_, "stage0.0.convs.0.1",
                                       geometry_.norms[0], stem, rows(max_batch, sizes[0]));
    irmb_shape stem_block;
    stem_block.in = stem_block.out = stem_block.hidden = stem;
    stem_block.in_size = sizes[0];
    stem_block.kernel = k0;
    stem_block.has_norm = stem_block.has_v = stem_block.skip = false;
    stem_block.act = geometry_.activations[0];
    stem_block.se_ratio = geometry_.stem_se_ratio;
    stem_block_ = irmb_block<Backend>(params_, buffers_, ws_, "stage0.1", stem_block, max_batch);

    int blocks = 0;
    for (const auto& stage : largest_.stages) blocks += stage.depth;
    int in = stem, index = 0;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& stage = largest_.stages[s];
      for (int j = 0; j < stage.depth; ++j, ++index) {
        const auto b = static_cast<std::size_t>(j);
        irmb_shape shape;
        shape.in = in;
        shape.out = stage.width;
        shape.hidden = emo_hidden_width(in, stage.expansion[b], j == 0);
        shape.in_size = j == 0 ? sizes[s] : sizes[s + 1];
        shape.kernel = geometry_.kernel_sizes[s];
        shape.stride = j == 0 ? 2 : 1;
        shape.skip = j > 0;
        shape.can_attend = stage.attention[b];
        shape.norm = geometry_.norms[s];
        shape.act = geometry_.activations[s];
        shape.se_ratio = geometry_.se_ratios[s];
        shape.head_dim = geometry_.head_dims[s];
        shape.window = geometry_.window_sizes[s];
        shape.qkv_bias = geometry_.qkv_bias;
        if (shape.can_attend && in % shape.head_dim != 0)
          throw std::invalid_argument(fmt::format(
              "emo_supernet: largest arch: stages[{}].width = {} attends with head dim {}, "
              "expected a multiple of it",
              s, in, shape.head_dim));
        drop_path_share_.push_back(blocks > 1 ? double(index) / (blocks - 1) : 1.0);
        blocks_.emplace_back(params_, buffers_, ws_, fmt::format("stage{}.{}", s + 1, j), shape,
                             max_batch);
        stage_of_.push_back({s, j});
        in = stage.width;
      }
    }
    const int last_rows = rows(max_batch, sizes[emo_stages]);
    head_norm_ =
        channel_norm<Backend>(params_, buffers_, ws_, "norm", geometry_.norms[3], in, last_rows);
    head_ = linear<Backend>(params_, "head", geometry_.classes, in);
    params_.allocate();
    buffers_.allocate();

    const auto count = [](int r, int c) { return static_cast<std::size_t>(r) * c; };
    pixels_ = ws_.reserve(count(rows(max_batch, image), geometry_.channels));
    stem_out_ = ws_.reserve(count(rows(max_batch, sizes[0]), stem));
    stem_normed_ = ws_.reserve(count(rows(max_batch, sizes[0]), stem));
    stem_stream_ = ws_.reserve(count(rows(max_batch, sizes[0]), stem));
    std::size_t grad = count(rows(max_batch, sizes[0]), stem), hidden = 0, narrow = 0, probs = 0,
                tokens = 0;
    for (const auto* block : all_blocks()) {
      hidden = std::max(hidden, block->hidden_values(max_batch));
      narrow = std::max(narrow, block->narrow_values(max_batch));
      const auto& s = block->shape;
      grad = std::max({grad, count(rows(max_batch, s.in_size), s.in),
                       count(rows(max_batch, s.out_size()), s.out)});
      if (s.can_attend) {
        const auto w = block->windows(max_batch);
        probs = std::max(probs, block->attn.probs_size(w, s.in));
        tokens = std::max(tokens, count(w.token_rows(), s.in));
      }
    }
    for (const auto& block : blocks_)
      streams_.push_back(
          ws_.reserve(count(rows(max_batch, block.shape.out_size()), block.shape.out)));
    head_normed_ = ws_.reserve(count(last_rows, in));
    pooled_ = ws_.reserve(count(max_batch, in));
    d_pooled_ = ws_.reserve(count(max_batch, in));
    logits_ = ws_.reserve(count(max_batch, geometry_.classes));
    grad_a_ = ws_.reserve(grad);
    grad_b_ = ws_.reserve(grad);
    for (auto* slot : {&hidden_a_, &hidden_b_, &hidden_c_}) *slot = ws_.reserve(hidden);
    for (auto* slot : {&narrow_a_, &narrow_b_}) *slot = ws_.reserve(narrow);
    d_out_ = ws_.reserve(tokens);
    d_qk_ = ws_.reserve(2 * tokens);
    d_windows_ = ws_.reserve(tokens);
    d_scores_ = ws_.reserve(probs);
    ws_.allocate();
  }

  const emo_geometry& geometry() const { return geometry_; }
  const emo_arch& largest() const { return largest_; }
  int max_batch() const { return max_batch_; }
  int classes() const { return geometry_.classes; }
  image_geometry input() const {
    return {geometry_.channels, geometry_.image_size, geometry_.image_size};
  }
  parameter_store<Backend>& parameters() { return params_; }
  const parameter_store<Backend>& parameters() const { return params_; }
  // The batch norms' running means and variances.
  parameter_store<Backend>& buffers() { return buffers_; }
  const parameter_store<Backend>& buffers() const { return buffers_; }
  std::size_t workspace_bytes() const { return ws_.size() * sizeof(T); }

  void initialize(rng_engine& rng) {
    params_.initialize(rng);
    buffers_.initialize(rng);
  }

  // Drop-path rate of the last block: block i of the n of stages 1-4 uses rate * i / (n - 1), as
  // the reference's linspace (the stem's block has none; a stage's first block has no residual).
  double drop_path_rate = 0.0;

  // Why `a` cannot run on this network, naming the field; empty when it can.
  std::string fit_error(const emo_arch& a) const {
    if (auto why = emo_arch_inconsistency(a, geometry_.stem_width); !why.empty()) return why;
    int in = geometry_.stem_width, super_in = geometry_.stem_width;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto &stage = a.stages[s], &super = largest_.stages[s];
      if (stage.depth > super.depth)
        return fmt::format("stages[{}].depth = {}, expected at most {}", s, stage.depth,
                           super.depth);
      if (stage.width > super.width)
        return fmt::format("stages[{}].width = {}, expected at most {}", s, stage.width,
                           super.width);
      for (std::size_t b = 0; b < static_cast<std::size_t>(stage.depth); ++b) {
        const int block_in = b == 0 ? in : stage.width;
        const int super_block_in = b == 0 ? super_in : super.width;
        const int hidden = emo_hidden_width(block_in, stage.expansion[b], b == 0);
        const int super_hidden = emo_hidden_width(super_block_in, super.expansion[b], b == 0);
        if (hidden > super_hidden)
          return fmt::format(
              "stages[{}].expansion[{}] = {} makes a hidden width of {}, expected "
              "at most {}",
              s, b, stage.expansion[b], hidden, super_hidden);
        if (stage.attention[b] && !super.attention[b])
          return fmt::format(
              "stages[{}].attention[{}] = true, expected false (the supernet's "
              "block does not attend)",
              s, b);
        if (stage.attention[b] && block_in % geometry_.head_dims[s] != 0)
          return fmt::format(
              "stages[{}].width = {} attends with head dim {}, expected a "
              "multiple of it",
              s, block_in, geometry_.head_dims[s]);
      }
      in = stage.width;
      super_in = super.width;
    }
    return {};
  }
  void check_fits(const emo_arch& a) const {
    if (auto why = fit_error(a); !why.empty())
      throw std::invalid_argument("emo_supernet: arch does not fit: " + why);
  }

  // Logits [batch, classes] (back-end memory, valid until the next forward) of `a` on `images`.
  const T* forward(const image_batch<T>& images, const emo_arch& a, forward_mode mode) {
    check_images(images);
    check_fits(a);
    arch_ = a;
    batch_ = images.batch;
    batch_statistics_ = mode.batch_statistics();
    const int b = batch_, image = geometry_.image_size, stem = geometry_.stem_width;
    const auto sizes = emo_feature_sizes(geometry_);
    Backend::images_to_channels_last(images.data, b, geometry_.channels, image, image, pixels());
    stem_conv_.forward(params_, ws_, pixels(), stem_conv_.geometry(b, image, image), stem_out());
    stem_norm_.forward(params_, buffers_, ws_, stem_out(), mode, stem_normed());
    stem_block_.forward(params_, buffers_, ws_, stem_normed(), {stem, stem, stem, false}, b, mode,
                        stem_stream());
    matrix_view<const T> x = stem_stream();
    for_each_active_block([&](std::size_t k, const irmb_widths& w) {
      auto& block = blocks_[k];
      block.path.rate = drop_path_rate * drop_path_share_[k];
      const auto y = stream(k, w.out);
      block.forward(params_, buffers_, ws_, x, w, b, mode, y);
      x = y;
    });
    const int c = x.cols, last_rows = rows(b, sizes[emo_stages]);
    const auto normed = make_matrix_view(ws_[head_normed_], last_rows, c);
    head_norm_.forward(params_, buffers_, ws_, x, mode, normed);
    Backend::global_average_pool(normed, b, make_matrix_view(ws_[pooled_], b, c));
    head_.forward(params_, make_matrix_view(ws_[pooled_], b, c),
                  make_matrix_view(ws_[logits_], b, geometry_.classes));
    return ws_[logits_];
  }

  // Accumulates into the parameter gradients the backward pass of the last forward, given
  // d(loss)/d(logits) [batch, classes] in back-end memory.
  void backward(const T* dlogits) {
    if (batch_ == 0) throw std::logic_error("emo_supernet::backward before forward");
    const int b = batch_, stem = geometry_.stem_width, image = geometry_.image_size;
    const auto sizes = emo_feature_sizes(geometry_);
    std::vector<std::pair<std::size_t, irmb_widths>> active;
    for_each_active_block([&](std::size_t k, const irmb_widths& w) { active.push_back({k, w}); });
    const int c = active.back().second.out, last_rows = rows(b, sizes[emo_stages]);
    const auto d_pooled = make_matrix_view(ws_[d_pooled_], b, c);
    head_.backward(params_, make_matrix_view(dlogits, b, geometry_.classes),
                   make_matrix_view(ws_[pooled_], b, c), d_pooled);
    T* dy = ws_[grad_a_];
    T* dx = ws_[grad_b_];
    const auto d_normed = make_matrix_view(dx, last_rows, c);
    Backend::global_average_pool_backward(d_pooled, b, d_normed);
    head_norm_.backward(params_, buffers_, ws_, d_normed, stream(active.back().first, c),
                        batch_statistics_, make_matrix_view(dy, last_rows, c));
    const auto s = block_scratch();
    for (auto it = active.rbegin(); it != active.rend(); ++it) {
      const auto [k, w] = *it;
      const auto& block = blocks_[k];
      const auto x = it + 1 == active.rend() ? matrix_view<const T>(stem_stream())
                                             : matrix_view<const T>(stream((it + 1)->first, w.in));
      block.backward(params_, buffers_, ws_,
                     make_matrix_view<const T>(dy, rows(b, block.shape.out_size()), w.out), x, w, b,
                     batch_statistics_, s,
                     make_matrix_view(dx, rows(b, block.shape.in_size), w.in));
      std::swap(dx, dy);
    }
    const int stem_rows = rows(b, sizes[0]);
    stem_block_.backward(params_, buffers_, ws_, make_matrix_view<const T>(dy, stem_rows, stem),
                         stem_normed(), {stem, stem, stem, false}, b, batch_statistics_, s,
                         make_matrix_view(dx, stem_rows, stem));
    stem_norm_.backward(params_, buffers_, ws_, make_matrix_view<const T>(dx, stem_rows, stem),
                        stem_out(), batch_statistics_, make_matrix_view(dy, stem_rows, stem));
    stem_conv_.backward(params_, ws_, make_matrix_view<const T>(dy, stem_rows, stem), pixels(),
                        stem_conv_.geometry(b, image, image), matrix_view<T>{});
  }

  // The last forward's final feature map: the last stage's output (before the head's norm and
  // pooling), a view of its channels-last rows, valid until the next forward.
  feature_map<T> last_features() const {
    if (batch_ == 0) throw std::logic_error("emo_supernet::last_features before forward");
    const auto [k, w] = active_widths(arch_).back();
    const int side = blocks_[k].shape.out_size();
    return channels_last_features<T>(make_matrix_view(ws_[streams_[k]], rows(batch_, side), w.out),
                                     batch_, side, side);
  }

  // The tensors of `a` as the reference's standalone model names and shapes them.
  std::vector<subnet_tensor> subnet_tensors(const emo_arch& a) const {
    check_fits(a);
    std::vector<subnet_tensor> out;
    const auto add_vector = [&](const std::string& name, parameter_ref p, int n, bool buffer) {
      out.push_back({name, {n}, p, prefix_block(1, n, n), buffer});
    };
    const auto add_norm = [&](const std::string& name, const channel_norm<Backend>& norm, int n) {
      if (norm.kind == emo_norm::layer) {
        add_vector(name + ".norm.weight", norm.layer.gamma, n, false);
        add_vector(name + ".norm.bias", norm.layer.beta, n, false);
        return;
      }
      add_batch_norm(out, name, norm.batch, n);
    };
    const int stem = geometry_.stem_width, k0 = geometry_.kernel_sizes[0];
    const int stem_cols = geometry_.channels * k0 * k0;
    out.push_back({"stage0.0.convs.0.0.weight",
                   {stem, geometry_.channels, k0, k0},
                   stem_conv_.weight,
                   prefix_block(stem, stem_cols, stem_cols)});
    add_vector("stage0.0.convs.0.0.bias", stem_conv_.bias, stem, false);
    add_norm("stage0.0.convs.0.1", stem_norm_, stem);
    add_block(out, "stage0.1", stem_block_, {stem, stem, stem, false}, add_norm);
    int c = stem;
    const auto widths = active_widths(a);
    for (const auto& [k, w] : widths) {
      const auto [s, j] = stage_of_[k];
      add_block(out, fmt::format("stage{}.{}", s + 1, j), blocks_[k], w, add_norm);
      c = w.out;
    }
    add_norm("norm", head_norm_, c);
    out.push_back({"head.weight",
                   {geometry_.classes, c},
                   head_.weight,
                   prefix_block(geometry_.classes, c, head_.in_super)});
    add_vector("head.bias", head_.bias, geometry_.classes, false);
    return out;
  }

  // What a checkpoint must match to load into this network: the geometry and the largest arch.
  std::vector<identity_field> identity() const {
    return {{"geometry", "EMO geometry", nlohmann::json(geometry_).dump()},
            {"largest", "largest arch", nlohmann::json(largest_).dump()}};
  }

  // The arch and the geometry, as export writes them beside its tensors.
  text_fields subnet_description(const emo_arch& a) const {
    check_fits(a);
    return {{"arch", nlohmann::json(a).dump()}, {"geometry", nlohmann::json(geometry_).dump()}};
  }

  // The network of exactly the subnet that `fields` describe, and its arch. The shapes of the
  // stem conv, of every block's depthwise conv and projection and of the head are checked against
  // the stored tensors before the network is built, so that it holds no more weights than the
  // file.
  static std::pair<emo_supernet, emo_arch> standalone(const text_fields& fields,
                                                      const tensor_shapes& stored, int max_batch) {
    const auto field = [&](const std::string& key) { return required_field(fields, key); };
    const emo_arch a = emo_arch_from_json(field("arch"));
    const auto g = parse_json_as<emo_geometry>(field("geometry"), "emo_geometry JSON");
    if (auto why = emo_arch_inconsistency(a, g.stem_width); !why.empty())
      throw std::invalid_argument("arch: " + why);
    const auto stored_as = [&](const std::string& name, const std::vector<std::int64_t>& expected) {
      require_stored_shape(stored, name, expected, "the arch and geometry");
    };
    const std::int64_t k0 = g.kernel_sizes[0];
    stored_as("stage0.0.convs.0.0.weight", {g.stem_width, g.channels, k0, k0});
    int in = g.stem_width;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& stage = a.stages[s];
      const std::int64_t k = g.kernel_sizes[s];
      for (int j = 0; j < stage.depth; ++j) {
        const std::int64_t hidden =
            emo_hidden_width(in, stage.expansion[static_cast<std::size_t>(j)], j == 0);
        const auto name = fmt::format("stage{}.{}.", s + 1, j);
        stored_as(name + "conv_local.conv.weight", {hidden, 1, k, k});
        stored_as(name + "proj.conv.weight", {stage.width, hidden, 1, 1});
        in = stage.width;
      }
    }
    stored_as("head.weight", {g.classes, in});
    return {emo_supernet(g, a, max_batch), a};
  }

 private:
  static int rows(int batch, int size) { return batch * size * size; }

  // Calls f(block index, widths) for the blocks `arch_` runs, in order.
  template <class F>
  void for_each_active_block(F&& f) const {
    for (const auto& [k, w] : active_widths(arch_)) f(k, w);
  }
  std::vector<std::pair<std::size_t, irmb_widths>> active_widths(const emo_arch& a) const {
    std::vector<std::pair<std::size_t, irmb_widths>> out;
    std::size_t first = 0;
    int in = geometry_.stem_width;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& stage = a.stages[s];
      for (std::size_t j = 0; j < static_cast<std::size_t>(stage.depth); ++j) {
        const int block_in = j == 0 ? in : stage.width;
        out.push_back(
            {first + j,
             {block_in, stage.width, emo_hidden_width(block_in, stage.expansion[j], j == 0),
              static_cast<bool>(stage.attention[j])}});
      }
      first += static_cast<std::size_t>(largest_.stages[s].depth);
      in = stage.width;
    }
    return out;
  }

  std::vector<const irmb_block<Backend>*> all_blocks() const {
    std::vector<const irmb_block<Backend>*> out{&stem_block_};
    for (const auto& block : blocks_) out.push_back(&block);
    return out;
  }

  static void add_batch_norm(std::vector<subnet_tensor>& out, const std::string& name,
                             const batch_norm2d<Backend>& norm, int n) {
    const auto prefix = prefix_block(1, n, n);
    out.push_back({name + ".weight", {n}, norm.gamma, prefix, false});
    out.push_back({name + ".bias", {n}, norm.beta, prefix, false});
    out.push_back({name + ".running_mean", {n}, norm.running_mean, prefix, true});
    out.push_back({name + ".running_var", {n}, norm.running_var, prefix, true});
  }

  template <class AddNorm>
  void add_block(std::vector<subnet_tensor>& out, const std::string& name,
                 const irmb_block<Backend>& block, const irmb_widths& w,
                 const AddNorm& add_norm) const {
    const auto& s = block.shape;
    if (s.has_norm) add_norm(name + ".norm", block.norm, w.in);
    if (w.attention) {
      const int cs = s.in;
      out.push_back({name + ".qk.conv.weight",
                     {2 * w.in, w.in, 1, 1},
                     block.attn.qk.weight,
                     {{0, cs, w.in, w.in}, {std::ptrdiff_t{cs} * cs, cs, w.in, w.in}}});
      if (block.attn.qk.has_bias)
        out.push_back({name + ".qk.conv.bias",
                       {2 * w.in},
                       block.attn.qk.bias,
                       {{0, 0, 1, w.in}, {cs, 0, 1, w.in}}});
    }
    if (s.has_v) {
      out.push_back({name + ".v.conv.weight",
                     {w.hidden, w.in, 1, 1},
                     block.v.weight,
                     prefix_block(w.hidden, w.in, s.in)});
      if (block.v.has_bias)
        out.push_back(
            {name + ".v.conv.bias", {w.hidden}, block.v.bias, prefix_block(1, w.hidden, w.hidden)});
    }
    const int taps = s.kernel * s.kernel;
    out.push_back({name + ".conv_local.conv.weight",
                   {w.hidden, 1, s.kernel, s.kernel},
                   block.local.weight,
                   prefix_block(w.hidden, taps, taps)});
    add_batch_norm(out, name + ".conv_local.norm", block.local_norm, w.hidden);
    if (s.se_ratio > 0) {
      const int reduced = squeeze_excitation<Backend>::reduced_width(w.hidden, s.se_ratio);
      const auto& se = block.se;
      out.push_back({name + ".se.conv_reduce.weight",
                     {reduced, w.hidden, 1, 1},
                     se.reduce.weight,
                     prefix_block(reduced, w.hidden, s.hidden)});
      out.push_back({name + ".se.conv_reduce.bias",
                     {reduced},
                     se.reduce.bias,
                     prefix_block(1, reduced, reduced)});
      out.push_back({name + ".se.conv_expand.weight",
                     {w.hidden, reduced, 1, 1},
                     se.expand.weight,
                     prefix_block(w.hidden, reduced, se.reduce.out_super)});
      out.push_back({name + ".se.conv_expand.bias",
                     {w.hidden},
                     se.expand.bias,
                     prefix_block(1, w.hidden, w.hidden)});
    }
    out.push_back({name + ".proj.conv.weight",
                   {w.out, w.hidden, 1, 1},
                   block.proj.weight,
                   prefix_block(w.out, w.hidden, s.hidden)});
  }

  void check_images(const image_batch<T>& images) const {
    const auto in = input();
    if (images.channels != in.channels || images.height != in.height || images.width != in.width)
      throw std::invalid_argument(fmt::format(
          "emo_supernet: images of {}x{}x{} (channels x height x width), expected {}x{}x{}",
          images.channels, images.height, images.width, in.channels, in.height, in.width));
    if (images.batch < 1 || images.batch > max_batch_)
      throw std::invalid_argument(fmt::format("emo_supernet: batch of {} images, expected 1..{}",
                                              images.batch, max_batch_));
  }

  typename irmb_block<Backend>::scratch block_scratch() {
    return {ws_[hidden_a_], ws_[hidden_b_],
            ws_[hidden_c_], ws_[narrow_a_],
            ws_[narrow_b_], {ws_[d_out_], ws_[d_qk_], ws_[d_windows_], ws_[d_scores_]}};
  }

  // The last forward's activations.
  matrix_view<T> pixels() {
    return make_matrix_view(ws_[pixels_], rows(batch_, geometry_.image_size), geometry_.channels);
  }
  matrix_view<T> stem_rows_view(workspace_slot slot) {
    return make_matrix_view(ws_[slot], rows(batch_, emo_feature_sizes(geometry_)[0]),
                            geometry_.stem_width);
  }
  matrix_view<T> stem_out() { return stem_rows_view(stem_out_); }
  matrix_view<T> stem_normed() { return stem_rows_view(stem_normed_); }
  matrix_view<T> stem_stream() { return stem_rows_view(stem_stream_); }
  // Block k's output, `width` channels wide.
  matrix_view<T> stream(std::size_t k, int width) {
    return make_matrix_view(ws_[streams_[k]], rows(batch_, blocks_[k].shape.out_size()), width);
  }

  emo_geometry geometry_;
  emo_arch largest_;
  int max_batch_;
  parameter_store<Backend> params_, buffers_;
  workspace<Backend> ws_;
  conv2d<Backend> stem_conv_;
  channel_norm<Backend> stem_norm_;
  irmb_block<Backend> stem_block_;
  std::vector<irmb_block<Backend>> blocks_;
  struct block_position {
    std::size_t stage;
    int index;
  };
  std::vector<block_position> stage_of_;
  std::vector<double> drop_path_share_;
  channel_norm<Backend> head_norm_;
  linear<Backend> head_;
  workspace_slot pixels_, stem_out_, stem_normed_, stem_stream_, head_normed_, pooled_, d_pooled_,
      logits_, grad_a_, grad_b_, hidden_a_, hidden_b_, hidden_c_, narrow_a_, narrow_b_, d_out_,
      d_qk_, d_windows_, d_scores_;
  std::vector<workspace_slot> streams_;
  emo_arch arch_;
  int batch_ = 0;
  bool batch_statistics_ = false;
};

}  // namespace ovo
