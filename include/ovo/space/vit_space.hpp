// Compile-time ViT search spaces: the choices are template arguments, the space samples and checks
// archs.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/space/arch.hpp"
#include "ovo/space/choices.hpp"
#include "ovo/space/genome.hpp"
#include "ovo/space/search_space.hpp"
#include "ovo/space/vit_cost.hpp"
#include "ovo/space/vit_shape.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

template <int... Dims>
struct embed {
  static constexpr std::array<int, sizeof...(Dims)> values{Dims...};
  static_assert(detail::strictly_increasing_positive(values),
                "embed<...>: choices must be positive and strictly increasing");
};
template <int... Depths>
struct depth {
  static constexpr std::array<int, sizeof...(Depths)> values{Depths...};
  static_assert(detail::strictly_increasing_positive(values),
                "depth<...>: choices must be positive and strictly increasing");
};
template <int... Counts>
struct heads {
  static constexpr std::array<int, sizeof...(Counts)> values{Counts...};
  static_assert(detail::strictly_increasing_positive(values),
                "heads<...>: choices must be positive and strictly increasing");
};
template <double... Ratios>
struct mlp_ratio {
  static constexpr std::array<double, sizeof...(Ratios)> values{Ratios...};
  static_assert(detail::strictly_increasing_positive(values),
                "mlp_ratio<...>: choices must be positive and strictly increasing");
};
template <int Size, int Patch, int Channels = 3>
struct image {
  static constexpr int size = Size, patch = Patch, channels = Channels;
  static_assert(Size > 0 && Patch > 0 && Channels > 0, "image<>: sizes must be positive");
  static_assert(Size % Patch == 0, "image<>: the image size must be a multiple of the patch size");
};
template <int N>
struct classes {
  static constexpr int count = N;
  static_assert(N > 1, "classes<N>: need at least two classes");
};
template <int D>
struct head_dim {
  static constexpr int value = D;
  static_assert(D > 0, "head_dim<D>: must be positive");
};

// The supernet's own dims when they exceed the largest choices (AutoFormer-T: 256/14/4/4.0 for
// embed choices up to 240). `void` in vit_space means: the largest choice of each gene.
template <int Embed, int Depth, int Heads, double MlpRatio>
struct supernet_dims {
  static constexpr int embed = Embed, depth = Depth, heads = Heads;
  static constexpr double mlp_ratio = MlpRatio;
};

template <class Embed, class Depth, class Heads, class MlpRatio, class Image = image<224, 16, 3>,
          class Classes = classes<1000>, class HeadDim = head_dim<64>, class Super = void>
struct vit_space {
  using arch_type = arch;
  static constexpr auto embed_choices = Embed::values;
  static constexpr auto depth_choices = Depth::values;
  static constexpr auto head_choices = Heads::values;
  static constexpr auto mlp_ratio_choices = MlpRatio::values;
  static constexpr int image_size = Image::size;
  static constexpr int patch_size = Image::patch;
  static constexpr int channels = Image::channels;
  static constexpr int num_classes = Classes::count;
  static constexpr int dim_per_head = HeadDim::value;

  using super_spec =
      std::conditional_t<std::is_void_v<Super>,
                         supernet_dims<embed_choices.back(), depth_choices.back(),
                                       head_choices.back(), mlp_ratio_choices.back()>,
                         Super>;
  static constexpr int super_embed = super_spec::embed;
  static constexpr int super_depth = super_spec::depth;
  static constexpr int super_heads = super_spec::heads;
  static constexpr double super_mlp_ratio = super_spec::mlp_ratio;
  static_assert(super_embed >= embed_choices.back() && super_depth >= depth_choices.back() &&
                    super_heads >= head_choices.back() &&
                    super_mlp_ratio >= mlp_ratio_choices.back(),
                "vit_space: the supernet must be at least as large as every choice");
  static constexpr int super_mlp_hidden = static_cast<int>(super_embed * super_mlp_ratio);
  static_assert(super_mlp_hidden > 0, "vit_space: the largest MLP hidden width must be positive");

  // The number of distinct archs: sum over depths d of |embed| * (|heads| * |mlp|)^d.
  static constexpr std::uint64_t size() {
    const std::uint64_t per_layer = head_choices.size() * mlp_ratio_choices.size();
    std::uint64_t total = 0;
    for (int d : depth_choices) {
      std::uint64_t n = embed_choices.size();
      for (int i = 0; i < d; ++i) {
        if (n > std::numeric_limits<std::uint64_t>::max() / per_layer) return 0;
        n *= per_layer;
      }
      total += n;
    }
    return total;
  }
  static_assert(size() > 0, "vit_space: more archs than a 64-bit count holds");

  // The supernet's shape: every layer at its widest.
  static vit_shape shape() {
    vit_shape s;
    s.embed = super_embed;
    s.depth = super_depth;
    s.heads.assign(super_depth, super_heads);
    s.mlp_hidden.assign(super_depth, super_mlp_hidden);
    s.head_dim = dim_per_head;
    s.image_size = image_size;
    s.patch_size = patch_size;
    s.channels = channels;
    s.classes = num_classes;
    return s;
  }

  static arch uniform_arch(int embed_dim, int depth_, int heads_, double ratio) {
    return arch{embed_dim, depth_, std::vector<int>(static_cast<std::size_t>(depth_), heads_),
                std::vector<double>(static_cast<std::size_t>(depth_), ratio)};
  }
  static arch smallest() {
    return uniform_arch(embed_choices.front(), depth_choices.front(), head_choices.front(),
                        mlp_ratio_choices.front());
  }
  static arch largest() {
    return uniform_arch(embed_choices.back(), depth_choices.back(), head_choices.back(),
                        mlp_ratio_choices.back());
  }

  // One arch drawn uniformly gene by gene: embed, depth, then heads and mlp ratio of each layer.
  static arch sample(rng_engine& rng) {
    arch a;
    a.embed = embed_choices[uniform_index(rng, embed_choices.size())];
    a.depth = depth_choices[uniform_index(rng, depth_choices.size())];
    for (int i = 0; i < a.depth; ++i) {
      a.heads.push_back(head_choices[uniform_index(rng, head_choices.size())]);
      a.mlp_ratio.push_back(mlp_ratio_choices[uniform_index(rng, mlp_ratio_choices.size())]);
    }
    return a;
  }

  // A mutation of `parent`, as AutoFormer draws it: with probability rates.structure a new depth
  // (growing appends layers of random heads and mlp ratio, shrinking drops the last layers); then
  // each layer's mlp ratio and, in a second pass, each layer's heads redrawn with probability
  // rates.gene; last, the embed dim redrawn with probability rates.structure. A redraw picks any
  // choice, the current one included.
  static arch mutate(const arch& parent, mutation_rates rates, rng_engine& rng) {
    auto draw = [&rng](const auto& choices) { return choices[uniform_index(rng, choices.size())]; };
    arch child = parent;
    if (uniform_unit(rng) < rates.structure) {
      const int new_depth = draw(depth_choices);
      for (int i = child.depth; i < new_depth; ++i) {
        child.heads.push_back(draw(head_choices));
        child.mlp_ratio.push_back(draw(mlp_ratio_choices));
      }
      child.depth = new_depth;
      child.heads.resize(static_cast<std::size_t>(new_depth));
      child.mlp_ratio.resize(static_cast<std::size_t>(new_depth));
    }
    for (auto& ratio : child.mlp_ratio)
      if (uniform_unit(rng) < rates.gene) ratio = draw(mlp_ratio_choices);
    for (auto& count : child.heads)
      if (uniform_unit(rng) < rates.gene) count = draw(head_choices);
    if (uniform_unit(rng) < rates.structure) child.embed = draw(embed_choices);
    return child;
  }

  // Crossover pairs parents of equal depth.
  static bool crossable(const arch& first, const arch& second) {
    return first.depth == second.depth;
  }

  // A crossover of two parents of equal depth: the embed dim and each layer's heads and mlp ratio
  // from either parent with probability 1/2 each.
  static arch crossover(const arch& first, const arch& second, rng_engine& rng) {
    const auto layers = static_cast<std::size_t>(first.depth);
    if (first.depth != second.depth || first.heads.size() != layers ||
        second.heads.size() != layers || first.mlp_ratio.size() != layers ||
        second.mlp_ratio.size() != layers)
      throw std::invalid_argument(
          fmt::format("crossover: expected two parents of equal depth, got {} and {}",
                      to_string(first), to_string(second)));
    auto from_second = [&rng] { return uniform_index(rng, 2) == 1; };
    arch child = first;
    if (from_second()) child.embed = second.embed;
    for (std::size_t i = 0; i < layers; ++i) {
      if (from_second()) child.heads[i] = second.heads[i];
      if (from_second()) child.mlp_ratio[i] = second.mlp_ratio[i];
    }
    return child;
  }

  // Parameters of `a` as a standalone model and multiply-adds of one image's forward pass, on
  // this space's geometry.
  static std::int64_t params(const arch& a) { return count_params(a, shape()); }
  static std::int64_t macs(const arch& a) { return count_macs(a, shape()); }

  // The first gene of `a` that is not a choice of this space, described; empty if `a` is in it.
  static std::string invalid_gene(const arch& a) {
    if (!detail::one_of(embed_choices, a.embed))
      return fmt::format("embed = {}, expected one of {}", a.embed, embed_choices);
    if (!detail::one_of(depth_choices, a.depth))
      return fmt::format("depth = {}, expected one of {}", a.depth, depth_choices);
    if (a.heads.size() != static_cast<std::size_t>(a.depth))
      return fmt::format("heads has {} entries, expected depth = {}", a.heads.size(), a.depth);
    if (a.mlp_ratio.size() != static_cast<std::size_t>(a.depth))
      return fmt::format("mlp_ratio has {} entries, expected depth = {}", a.mlp_ratio.size(),
                         a.depth);
    for (std::size_t i = 0; i < a.heads.size(); ++i) {
      if (!detail::one_of(head_choices, a.heads[i]))
        return fmt::format("heads[{}] = {}, expected one of {}", i, a.heads[i], head_choices);
      if (!detail::one_of(mlp_ratio_choices, a.mlp_ratio[i]))
        return fmt::format("mlp_ratio[{}] = {}, expected one of {}", i, a.mlp_ratio[i],
                           mlp_ratio_choices);
    }
    return {};
  }
  static bool contains(const arch& a) { return invalid_gene(a).empty(); }
  static void validate(const arch& a) {
    if (auto why = invalid_gene(a); !why.empty())
      throw std::invalid_argument("arch outside the search space: " + why);
  }

  // The gene list (gene_coded_space): embed, depth, then the heads and the mlp ratio of each layer
  // of the deepest choice; a layer at or beyond an arch's depth is unused.
  static std::vector<gene> genes() {
    std::vector<gene> out{{"embed", static_cast<int>(embed_choices.size())},
                          {"depth", static_cast<int>(depth_choices.size())}};
    for (int i = 0; i < depth_choices.back(); ++i)
      out.push_back({fmt::format("heads[{}]", i), static_cast<int>(head_choices.size())});
    for (int i = 0; i < depth_choices.back(); ++i)
      out.push_back({fmt::format("mlp_ratio[{}]", i), static_cast<int>(mlp_ratio_choices.size())});
    return out;
  }
  static std::vector<int> encode(const arch& a) {
    validate(a);
    const auto layers = static_cast<std::size_t>(depth_choices.back());
    std::vector<int> out(2 + 2 * layers, -1);
    out[0] = detail::choice_index(embed_choices, a.embed);
    out[1] = detail::choice_index(depth_choices, a.depth);
    for (std::size_t i = 0; i < static_cast<std::size_t>(a.depth); ++i) {
      out[2 + i] = detail::choice_index(head_choices, a.heads[i]);
      out[2 + layers + i] = detail::choice_index(mlp_ratio_choices, a.mlp_ratio[i]);
    }
    return out;
  }
  static arch decode(std::span<const int> values) {
    const auto list = genes();
    detail::gene_reader read(values, list);
    arch a;
    a.embed = embed_choices[static_cast<std::size_t>(read.next())];
    a.depth = depth_choices[static_cast<std::size_t>(read.next())];
    const auto unused = static_cast<std::size_t>(depth_choices.back() - a.depth);
    for (int i = 0; i < a.depth; ++i)
      a.heads.push_back(head_choices[static_cast<std::size_t>(read.next())]);
    read.skip(unused);
    for (int i = 0; i < a.depth; ++i)
      a.mlp_ratio.push_back(mlp_ratio_choices[static_cast<std::size_t>(read.next())]);
    return a;
  }
};

}  // namespace ovo
