// Closed-form parameter and multiply-add counts of an EMO network, part by part, as fvcore counts
// them in the reference's logs.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/space/emo_arch.hpp"
#include "ovo/space/emo_geometry.hpp"

namespace ovo {

struct emo_cost {
  std::int64_t params = 0;
  std::int64_t macs = 0;

  emo_cost& operator+=(const emo_cost& other) {
    params += other.params;
    macs += other.macs;
    return *this;
  }
  friend bool operator==(const emo_cost&, const emo_cost&) = default;
};

// The costs of the reference's modules: `stem` is its stage0 (the stem conv and its norm, then
// the stem's iRMB), `stages` its stage1..stage4, `norm` the head norm and `classifier` the linear
// head.
struct emo_cost_breakdown {
  emo_cost stem;
  std::array<emo_cost, emo_stages> stages;
  emo_cost norm;
  emo_cost classifier;

  emo_cost total() const {
    emo_cost sum = stem;
    for (const auto& stage : stages) sum += stage;
    sum += norm;
    sum += classifier;
    return sum;
  }
};

namespace detail {

// fvcore's count per element of a norm: a batch norm in eval mode with an affine transform 2, a
// layer norm with one 5. Both hold a weight and a bias per channel.
inline emo_cost emo_norm_cost(emo_norm kind, std::int64_t channels, std::int64_t area) {
  return {2 * channels, (kind == emo_norm::batch ? 2 : 5) * channels * area};
}

// One iRMB block: [norm] -> [attention over windows | v: 1x1 conv in -> hidden] -> depthwise conv
// (batch norm) -> [squeeze-excitation] -> 1x1 projection hidden -> out without bias.
struct emo_block {
  std::int64_t in = 0, out = 0, hidden = 0;
  int kernel = 3, stride = 1, in_size = 0;
  bool has_norm = true, attention = false, has_v = true;
  emo_norm norm = emo_norm::batch;
  double se_ratio = 0;
  int head_dim = 1, window = 0;
};

inline emo_cost emo_block_cost(const emo_block& b, const emo_geometry& g) {
  const std::int64_t in_area = std::int64_t{b.in_size} * b.in_size;
  const std::int64_t out_size = emo_conv_output_size(b.in_size, b.kernel, b.stride);
  const std::int64_t out_area = out_size * out_size;
  const std::int64_t bias = g.qkv_bias ? 1 : 0;
  emo_cost c;
  if (b.has_norm) c += emo_norm_cost(b.norm, b.in, in_area);
  if (b.attention) {
    // The normalised input is padded to whole windows; qk, the attention products and v run on
    // the padded map. Each window's q k^T and weighting sum over all heads: tokens^2 * channels.
    const std::int64_t window = b.window > 0 ? b.window : b.in_size;
    const std::int64_t padded = (b.in_size + window - 1) / window * window;
    const std::int64_t padded_area = padded * padded, windows = padded_area / (window * window);
    const std::int64_t tokens = window * window, heads = b.in / b.head_dim;
    const std::int64_t groups = g.v_group ? heads : 1;
    c.params += b.in * 2 * b.in + bias * 2 * b.in;  // qk
    c.macs += b.in * 2 * b.in * padded_area;
    c.macs += windows * tokens * tokens * b.in;                            // q k^T
    c.macs += windows * tokens * tokens * (g.attn_pre ? b.in : b.hidden);  // weights @ x (or v)
    c.params += b.in / groups * b.hidden + bias * b.hidden;                // v
    c.macs += b.in / groups * b.hidden * padded_area;
  } else if (b.has_v) {
    c.params += b.in * b.hidden + bias * b.hidden;
    c.macs += b.in * b.hidden * in_area;
  }
  const std::int64_t taps = std::int64_t{b.kernel} * b.kernel;
  c.params += b.hidden * taps;  // depthwise conv, no bias, then batch norm
  c.macs += b.hidden * taps * out_area;
  c += emo_norm_cost(emo_norm::batch, b.hidden, out_area);
  if (b.se_ratio > 0) {
    // timm's SqueezeExcite: round(hidden * ratio) reduced channels (Python's round, half to even),
    // two 1x1 convs with bias on the pooled map; the pooling itself fvcore does not count.
    const auto reduced = static_cast<std::int64_t>(std::nearbyint(b.hidden * b.se_ratio));
    c.params += 2 * b.hidden * reduced + reduced + b.hidden;
    c.macs += 2 * b.hidden * reduced;
  }
  c.params += b.hidden * b.out;
  c.macs += b.hidden * b.out * out_area;
  return c;
}

}  // namespace detail

// The costs of `a` on geometry `g`, module by module. Parameters are the trainable tensors (batch
// norm statistics are buffers, not counted); multiply-adds are one image's forward pass as fvcore
// counts it: one per product term of every conv, linear layer and attention matmul, plus 2 per
// element of a batch norm and 5 of a layer norm. Biases, activations, softmax, pooling and
// residual sums are not counted. Throws std::invalid_argument naming the field when `a` is not a
// consistent genome, when an attending block's width is not a multiple of its stage's head dim, or
// (v grouped by heads, or attention weighting v) when its hidden width is not a multiple of its
// head count.
inline emo_cost_breakdown emo_costs(const emo_arch& a, const emo_geometry& g) {
  if (const char* why = emo_geometry_error(g))
    throw std::invalid_argument(fmt::format("emo_geometry: {}", why));
  if (auto why = emo_arch_inconsistency(a, g.stem_width); !why.empty())
    throw std::invalid_argument("emo_costs: " + why);
  const auto sizes = emo_feature_sizes(g);
  emo_cost_breakdown out;

  const std::int64_t stem = g.stem_width, stem_area = std::int64_t{sizes[0]} * sizes[0];
  const std::int64_t stem_taps = std::int64_t{g.kernel_sizes[0]} * g.kernel_sizes[0];
  out.stem.params = stem * g.channels * stem_taps + stem;  // the stem conv has a bias
  out.stem.macs = stem * g.channels * stem_taps * stem_area;
  out.stem += detail::emo_norm_cost(g.norms[0], stem, stem_area);
  detail::emo_block stem_block;
  stem_block.in = stem_block.out = stem_block.hidden = stem;
  stem_block.kernel = g.kernel_sizes[0];
  stem_block.in_size = sizes[0];
  stem_block.has_norm = stem_block.has_v = false;
  stem_block.se_ratio = g.stem_se_ratio;
  out.stem += detail::emo_block_cost(stem_block, g);

  int in = g.stem_width;
  for (std::size_t s = 0; s < emo_stages; ++s) {
    const auto& stage = a.stages[s];
    for (std::size_t j = 0; j < static_cast<std::size_t>(stage.depth); ++j) {
      detail::emo_block b;
      b.in = in;
      b.out = stage.width;
      b.hidden = emo_hidden_width(in, stage.expansion[j], j == 0);
      b.kernel = g.kernel_sizes[s];
      b.stride = j == 0 ? 2 : 1;
      b.in_size = j == 0 ? sizes[s] : sizes[s + 1];
      b.norm = g.norms[s];
      b.attention = stage.attention[j];
      b.se_ratio = g.se_ratios[s];
      b.head_dim = g.head_dims[s];
      b.window = g.window_sizes[s];
      if (b.attention && b.in % b.head_dim != 0)
        throw std::invalid_argument(fmt::format(
            "emo_costs: stages[{}].width = {} attends with head dim {}, expected a multiple of it",
            s, in, b.head_dim));
      if (b.attention && (g.v_group || !g.attn_pre) && b.hidden % (b.in / b.head_dim) != 0)
        throw std::invalid_argument(fmt::format(
            "emo_costs: stages[{}].expansion[{}] = {} makes a hidden width of {}, expected a "
            "multiple of the {} heads (v grouped by heads or weighted by attention)",
            s, j, stage.expansion[j], b.hidden, b.in / b.head_dim));
      out.stages[s] += detail::emo_block_cost(b, g);
      in = stage.width;
    }
  }

  const std::int64_t last = in, last_area = std::int64_t{sizes[emo_stages]} * sizes[emo_stages];
  out.norm = detail::emo_norm_cost(g.norms[emo_stages - 1], last, last_area);
  out.classifier = {last * g.classes + g.classes, last * g.classes};
  return out;
}

// Parameters of `a` as a standalone network on geometry `g` (see emo_costs).
inline std::int64_t count_params(const emo_arch& a, const emo_geometry& g) {
  return emo_costs(a, g).total().params;
}

// Multiply-adds of one image's forward pass, as fvcore counts them (see emo_costs).
inline std::int64_t count_macs(const emo_arch& a, const emo_geometry& g) {
  return emo_costs(a, g).total().macs;
}

}  // namespace ovo
