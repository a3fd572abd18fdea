// The runtime shape of a ViT network: the supernet's largest dims, or one standalone subnet's own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/space/arch.hpp"
#include "ovo/util/json.hpp"

namespace ovo {

struct vit_shape {
  int embed = 0;
  int depth = 0;
  std::vector<int> heads;       // per layer, the widest head count that layer holds
  std::vector<int> mlp_hidden;  // per layer, the widest MLP hidden width that layer holds
  int head_dim = 64;
  int image_size = 224;
  int patch_size = 16;
  int channels = 3;
  int classes = 1000;

  friend bool operator==(const vit_shape&, const vit_shape&) = default;

  // The largest width from_json accepts for any dim (embed, depth, classes, a layer's heads,
  // attention width heads * head_dim and MLP width, a patch's values, the tokens): products of two
  // such widths, which the layers form in int, cannot overflow.
  static constexpr int max_json_width = 1 << 15;

  int patches_per_side() const { return image_size / patch_size; }
  int patches() const { return patches_per_side() * patches_per_side(); }
  int tokens() const { return patches() + 1; }
  int patch_dim() const { return channels * patch_size * patch_size; }
  int max_heads() const { return *std::max_element(heads.begin(), heads.end()); }
  int max_mlp_hidden() const { return *std::max_element(mlp_hidden.begin(), mlp_hidden.end()); }

  // Throws unless `a` fits inside this shape (every gene at most the width the layer holds).
  void check_fits(const arch& a) const {
    if (a.embed < 1 || a.embed > embed)
      throw std::invalid_argument(fmt::format("arch: embed {} outside 1..{}", a.embed, embed));
    if (a.depth < 1 || a.depth > depth)
      throw std::invalid_argument(fmt::format("arch: depth {} outside 1..{}", a.depth, depth));
    if (a.heads.size() != static_cast<std::size_t>(a.depth) ||
        a.mlp_ratio.size() != static_cast<std::size_t>(a.depth))
      throw std::invalid_argument(fmt::format("arch: depth {} but {} heads and {} mlp ratios",
                                              a.depth, a.heads.size(), a.mlp_ratio.size()));
    for (int i = 0; i < a.depth; ++i) {
      const auto l = static_cast<std::size_t>(i);
      if (a.heads[l] < 1 || a.heads[l] > heads[l])
        throw std::invalid_argument(
            fmt::format("arch: layer {} heads {} outside 1..{}", i, a.heads[l], heads[l]));
      if (a.mlp_hidden(i) < 1 || a.mlp_hidden(i) > mlp_hidden[l])
        throw std::invalid_argument(fmt::format("arch: layer {} mlp hidden {} outside 1..{}", i,
                                                a.mlp_hidden(i), mlp_hidden[l]));
    }
  }

  // The shape of a standalone network holding exactly `a`.
  static vit_shape of_subnet(const arch& a, const vit_shape& super) {
    vit_shape s = super;
    s.embed = a.embed;
    s.depth = a.depth;
    s.heads = a.heads;
    s.mlp_hidden.resize(static_cast<std::size_t>(a.depth));
    for (int i = 0; i < a.depth; ++i) s.mlp_hidden[static_cast<std::size_t>(i)] = a.mlp_hidden(i);
    return s;
  }
};

inline void to_json(nlohmann::json& j, const vit_shape& s) {
  j = nlohmann::json{
      {"embed", s.embed},           {"depth", s.depth},       {"heads", s.heads},
      {"mlp_hidden", s.mlp_hidden}, {"head_dim", s.head_dim}, {"image_size", s.image_size},
      {"patch_size", s.patch_size}, {"channels", s.channels}, {"classes", s.classes}};
}

// Reads a shape and checks it: consistent, and every width at most vit_shape::max_json_width.
inline void from_json(const nlohmann::json& j, vit_shape& s) {
  const auto error = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("vit_shape JSON: {} in {}", why, j.dump()));
  };
  try {
    s.embed = detail::json_int(j.at("embed"), "embed");
    s.depth = detail::json_int(j.at("depth"), "depth");
    s.heads = detail::json_ints(j.at("heads"), "heads");
    s.mlp_hidden = detail::json_ints(j.at("mlp_hidden"), "mlp_hidden");
    s.head_dim = detail::json_int(j.at("head_dim"), "head_dim");
    s.image_size = detail::json_int(j.at("image_size"), "image_size");
    s.patch_size = detail::json_int(j.at("patch_size"), "patch_size");
    s.channels = detail::json_int(j.at("channels"), "channels");
    s.classes = detail::json_int(j.at("classes"), "classes");
  } catch (const nlohmann::json::exception& e) {
    throw error(e.what());
  } catch (const std::invalid_argument& e) {
    throw error(e.what());
  }
  const auto check_width = [&](const std::string& name, std::int64_t value) {
    if (value < 1 || value > vit_shape::max_json_width)
      throw error(fmt::format("{} {} outside 1..{}", name, value, vit_shape::max_json_width));
  };
  for (const auto& [name, value] : {std::pair{"embed", s.embed},
                                    {"depth", s.depth},
                                    {"head_dim", s.head_dim},
                                    {"image_size", s.image_size},
                                    {"patch_size", s.patch_size},
                                    {"channels", s.channels},
                                    {"classes", s.classes}})
    check_width(name, value);
  if (s.heads.size() != static_cast<std::size_t>(s.depth) ||
      s.mlp_hidden.size() != static_cast<std::size_t>(s.depth) || s.image_size % s.patch_size != 0)
    throw std::invalid_argument(fmt::format("vit_shape JSON: inconsistent shape {}", j.dump()));
  for (std::size_t i = 0; i < s.heads.size(); ++i) {
    check_width(fmt::format("heads[{}]", i), s.heads[i]);
    check_width(fmt::format("heads[{}] * head_dim", i), std::int64_t{s.heads[i]} * s.head_dim);
    check_width(fmt::format("mlp_hidden[{}]", i), s.mlp_hidden[i]);
  }
  check_width("channels * patch_size^2", std::int64_t{s.channels} * s.patch_size * s.patch_size);
  const std::int64_t side = s.image_size / s.patch_size;
  check_width("tokens (image_size / patch_size)^2 + 1", side * side + 1);
}

// Parses a shape from JSON text (see from_json); throws std::invalid_argument starting
// "vit_shape JSON: ".
inline vit_shape vit_shape_from_json(const std::string& text) {
  return parse_json_as<vit_shape>(text, "vit_shape JSON");
}

}  // namespace ovo
