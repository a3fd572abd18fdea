// The fixed geometry of an EMO network: image, classes, stem, and per stage kernel, heads, window,
// norm and activation; everything the genome (emo_arch) does not choose.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/space/emo_arch.hpp"
#include "ovo/util/json.hpp"

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

inline void to_json(nlohmann::json& j, const emo_geometry& g) {
  nlohmann::json norms = nlohmann::json::array(), activations = nlohmann::json::array();
  for (auto n : g.norms) norms.push_back(n == emo_norm::batch ? "batch" : "layer");
  for (auto a : g.activations) activations.push_back(a == emo_activation::silu ? "silu" : "gelu");
  j = {{"image_size", g.image_size},
       {"channels", g.channels},
       {"classes", g.classes},
       {"stem_width", g.stem_width},
       {"stem_stride", g.stem_stride},
       {"stem_se_ratio", g.stem_se_ratio},
       {"kernel_sizes", g.kernel_sizes},
       {"head_dims", g.head_dims},
       {"window_sizes", g.window_sizes},
       {"se_ratios", g.se_ratios},
       {"norms", norms},
       {"activations", activations},
       {"qkv_bias", g.qkv_bias},
       {"v_group", g.v_group},
       {"attn_pre", g.attn_pre}};
}

// Reads every field to_json writes; throws std::invalid_argument starting "emo_geometry JSON: "
// naming a missing or mistyped field, or the field emo_geometry_error names.
inline void from_json(const nlohmann::json& j, emo_geometry& g) {
  const auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name))
      throw std::invalid_argument(fmt::format("emo_geometry JSON: missing field '{}'", name));
    return j.at(name);
  };
  const auto number = [&](const char* name) {
    const auto& v = field(name);
    if (!v.is_number())
      throw std::invalid_argument(
          fmt::format("emo_geometry JSON: {} is {}, expected a number", name, v.dump()));
    return v.get<double>();
  };
  const auto boolean = [&](const char* name) {
    const auto& v = field(name);
    if (!v.is_boolean())
      throw std::invalid_argument(
          fmt::format("emo_geometry JSON: {} is {}, expected true or false", name, v.dump()));
    return v.get<bool>();
  };
  const auto per_stage = [&](const char* name, auto&& read) {
    const auto& v = field(name);
    if (!v.is_array() || v.size() != static_cast<std::size_t>(emo_stages))
      throw std::invalid_argument(fmt::format(
          "emo_geometry JSON: {} is {}, expected an array of {}", name, v.dump(), emo_stages));
    for (std::size_t s = 0; s < emo_stages; ++s) read(s, v[s], fmt::format("{}[{}]", name, s));
  };
  try {
    g.image_size = detail::json_int(field("image_size"), "image_size");
    g.channels = detail::json_int(field("channels"), "channels");
    g.classes = detail::json_int(field("classes"), "classes");
    g.stem_width = detail::json_int(field("stem_width"), "stem_width");
    g.stem_stride = detail::json_int(field("stem_stride"), "stem_stride");
    per_stage("kernel_sizes", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
      g.kernel_sizes[s] = detail::json_int(v, w);
    });
    per_stage("head_dims", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
      g.head_dims[s] = detail::json_int(v, w);
    });
    per_stage("window_sizes", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
      g.window_sizes[s] = detail::json_int(v, w);
    });
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).starts_with("emo_geometry JSON: ")) throw;
    throw std::invalid_argument(std::string("emo_geometry JSON: ") + e.what());
  }
  g.stem_se_ratio = number("stem_se_ratio");
  per_stage("se_ratios", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
    if (!v.is_number())
      throw std::invalid_argument(
          fmt::format("emo_geometry JSON: {} is {}, expected a number", w, v.dump()));
    g.se_ratios[s] = v.get<double>();
  });
  per_stage("norms", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
    if (v != "batch" && v != "layer")
      throw std::invalid_argument(
          fmt::format("emo_geometry JSON: {} is {}, expected \"batch\" or \"layer\"", w, v.dump()));
    g.norms[s] = v == "batch" ? emo_norm::batch : emo_norm::layer;
  });
  per_stage("activations", [&](std::size_t s, const nlohmann::json& v, const std::string& w) {
    if (v != "silu" && v != "gelu")
      throw std::invalid_argument(
          fmt::format("emo_geometry JSON: {} is {}, expected \"silu\" or \"gelu\"", w, v.dump()));
    g.activations[s] = v == "silu" ? emo_activation::silu : emo_activation::gelu;
  });
  g.qkv_bias = boolean("qkv_bias");
  g.v_group = boolean("v_group");
  g.attn_pre = boolean("attn_pre");
  if (const char* why = emo_geometry_error(g))
    throw std::invalid_argument(fmt::format("emo_geometry JSON: {}", why));
}

}  // namespace ovo
