// The runtime shape of a ViT network: the supernet's largest dims, or one standalone subnet's own.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

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

}  // namespace ovo
