// The fixed geometry of an EMO network: image, classes, stem, and per stage kernel, heads, window,
// norm and activation; everything the genome (emo_arch) does not choose.
#pragma once

#include <array>
#include <cstddef>

#include "ovo/space/emo_arch.hpp"

namespace ovo {

enum class emo_norm { batch, layer };
enum class emo_activation { silu, gelu };

// The reference's EMO constructor arguments that are not genes. Its `depths`, `embed_dims`,
// `exp_ratios` and `attn_ss` are the genes of emo_arch; `attn_drop`, `drop` and `drop_path` are
// training settings of the network, not its architecture, and cost nothing.
struct emo_geometry {
  int image_size = 224;  // square images
  int channels = 3;
  int classes = 1000;
  int stem_width = 24;         // `stem_dim`
  int stem_stride = 2;         // the reference's stem conv has stride 2
  double stem_se_ratio = 1.0;  // squeeze-excitation of the stem's iRMB, 1 in the reference
  std::array<int, emo_stages> kernel_sizes{3, 3, 5, 5};   // `dw_kss`; the stem uses the first
  std::array<int, emo_stages> head_dims{16, 16, 20, 21};  // `dim_heads`: heads = width / head dim
  std::array<int, emo_stages> window_sizes{7, 7, 7, 7};   // 0: one window over the whole map
  std::array<double, emo_stages> se_ratios{0, 0, 0, 0};   // 0: no squeeze-excitation
  // `norm_layers`: each block's input norm; the stem uses the first, the head norm the last. The
  // depthwise convs always use batch norm and SiLU, as in the reference.
  std::array<emo_norm, emo_stages> norms{emo_norm::batch, emo_norm::batch, emo_norm::layer,
                                         emo_norm::layer};
  // `act_layers`: the activation after each block's expansion (and inside squeeze-excitation).
  std::array<emo_activation, emo_stages> activations{emo_activation::silu, emo_activation::silu,
                                                     emo_activation::gelu, emo_activation::gelu};
  bool qkv_bias = true;  // bias on the qk and v 1x1 convs
  bool v_group = false;  // the v conv of an attending block grouped by heads
  bool attn_pre = true;  // attention weights the block's input, before the v expansion
};

// The reference's geometry at another image size, class count and head dims; the four models
// differ only in head dims (EMO-1M 16,16,20,21; 2M 16,16,20,20; 5M 24,24,32,32; 6M 16,24,20,32).
constexpr emo_geometry emo_reference_geometry(std::array<int, emo_stages> head_dims,
                                              int image_size = 224, int channels = 3,
                                              int classes = 1000) {
  emo_geometry g;
  g.head_dims = head_dims;
  g.image_size = image_size;
  g.channels = channels;
  g.classes = classes;
  return g;
}

// The side of a conv's output: padding ceil((kernel - stride) / 2) as the reference pads.
constexpr int emo_conv_output_size(int size, int kernel, int stride) {
  const int padding = (kernel - stride + 1) / 2;
  return (size + 2 * padding - kernel) / stride + 1;
}

// The side of the feature map after the stem (index 0) and after each stage (1..4): every stage
// starts with a stride-2 block.
constexpr std::array<int, emo_stages + 1> emo_feature_sizes(const emo_geometry& g) {
  std::array<int, emo_stages + 1> sizes{};
  sizes[0] = emo_conv_output_size(g.image_size, g.kernel_sizes[0], g.stem_stride);
  for (std::size_t s = 0; s < emo_stages; ++s)
    sizes[s + 1] = emo_conv_output_size(sizes[s], g.kernel_sizes[s], 2);
  return sizes;
}

// Why `g` cannot describe a network, naming the field; nullptr when it can.
constexpr const char* emo_geometry_error(const emo_geometry& g) {
  if (g.image_size < 1) return "image_size: expected at least 1";
  if (g.channels < 1) return "channels: expected at least 1";
  if (g.classes < 2) return "classes: expected at least 2";
  if (g.stem_width < 1) return "stem_width: expected at least 1";
  if (g.stem_stride != 1 && g.stem_stride != 2) return "stem_stride: expected 1 or 2";
  if (!(g.stem_se_ratio >= 0)) return "stem_se_ratio: expected at least 0";
  for (std::size_t s = 0; s < emo_stages; ++s) {
    if (g.kernel_sizes[s] < 1 || g.kernel_sizes[s] % 2 == 0)
      return "kernel_sizes: expected odd sizes";
    if (g.head_dims[s] < 1) return "head_dims: expected at least 1";
    if (g.window_sizes[s] < 0) return "window_sizes: expected at least 0";
    if (!(g.se_ratios[s] >= 0)) return "se_ratios: expected at least 0";
  }
  if (emo_feature_sizes(g)[0] < 1) return "image_size: expected at least the stem's kernel";
  return nullptr;
}

}  // namespace ovo
