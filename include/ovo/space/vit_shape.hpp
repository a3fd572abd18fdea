// The runtime shape of a ViT network: the supernet's largest dims, or one standalone subnet's own.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/space/arch.hpp"

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

inline void from_json(const nlohmann::json& j, vit_shape& s) {
  try {
    j.at("embed").get_to(s.embed);
    j.at("depth").get_to(s.depth);
    j.at("heads").get_to(s.heads);
    j.at("mlp_hidden").get_to(s.mlp_hidden);
    j.at("head_dim").get_to(s.head_dim);
    j.at("image_size").get_to(s.image_size);
    j.at("patch_size").get_to(s.patch_size);
    j.at("channels").get_to(s.channels);
    j.at("classes").get_to(s.classes);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("vit_shape JSON: {} in {}", e.what(), j.dump()));
  }
  if (s.depth < 1 || s.heads.size() != static_cast<std::size_t>(s.depth) ||
      s.mlp_hidden.size() != static_cast<std::size_t>(s.depth) || s.patch_size < 1 ||
      s.image_size % s.patch_size != 0)
    throw std::invalid_argument(fmt::format("vit_shape JSON: inconsistent shape {}", j.dump()));
}

}  // namespace ovo
