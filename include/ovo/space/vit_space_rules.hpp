// The operations of a ViT search space (sample, mutate, crossover, costs, checks, gene coding) over
// its four choice lists, shared by the compile-time spaces and the run-time one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
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
namespace detail {

// The number of distinct archs of a ViT space, the sum over depths d of
// |embed| * (|heads| * |mlp|)^d; 0 if it exceeds 64 bits.
template <class Embed, class Depth, class Heads, class Ratios>
constexpr std::uint64_t vit_arch_count(const Embed& embed, const Depth& depth, const Heads& heads,
                                       const Ratios& mlp_ratio) {
  const std::uint64_t per_layer = heads.size() * mlp_ratio.size();
  std::uint64_t total = 0;
  for (int d : depth) {
    std::uint64_t n = embed.size();
    for (int i = 0; i < d; ++i) {
      if (n > std::numeric_limits<std::uint64_t>::max() / per_layer) return 0;
      n *= per_layer;
    }
    if (total > std::numeric_limits<std::uint64_t>::max() - n) return 0;
    total += n;
  }
  return total;
}

}  // namespace detail

// Space (the derived type) provides embed_choices, depth_choices, head_choices and
// mlp_ratio_choices (random-access ranges, increasing) and shape(), the supernet's shape.
template <class Space>
struct vit_space_rules {
  using arch_type = arch;

  static arch uniform_arch(int embed_dim, int depth_, int heads_, double ratio) {
    return arch{embed_dim, depth_, std::vector<int>(static_cast<std::size_t>(depth_), heads_),
                std::vector<double>(static_cast<std::size_t>(depth_), ratio)};
  }
  static arch smallest() {
    return uniform_arch(Space::embed_choices.front(), Space::depth_choices.front(),
                        Space::head_choices.front(), Space::mlp_ratio_choices.front());
  }
  static arch largest() {
    return uniform_arch(Space::embed_choices.back(), Space::depth_choices.back(),
                        Space::head_choices.back(), Space::mlp_ratio_choices.back());
  }

  // One arch drawn uniformly gene by gene: embed, depth, then heads and mlp ratio of each layer.
  static arch sample(rng_engine& rng) {
    arch a;
    a.embed = Space::embed_choices[uniform_index(rng, Space::embed_choices.size())];
    a.depth = Space::depth_choices[uniform_index(rng, Space::depth_choices.size())];
    for (int i = 0; i < a.depth; ++i) {
      a.heads.push_back(Space::head_choices[uniform_index(rng, Space::head_choices.size())]);
      a.mlp_ratio.push_back(
          Space::mlp_ratio_choices[uniform_index(rng, Space::mlp_ratio_choices.size())]);
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
      const int new_depth = draw(Space::depth_choices);
      for (int i = child.depth; i < new_depth; ++i) {
        child.heads.push_back(draw(Space::head_choices));
        child.mlp_ratio.push_back(draw(Space::mlp_ratio_choices));
      }
      child.depth = new_depth;
      child.heads.resize(static_cast<std::size_t>(new_depth));
      child.mlp_ratio.resize(static_cast<std::size_t>(new_depth));
    }
    for (auto& ratio : child.mlp_ratio)
      if (uniform_unit(rng) < rates.gene) ratio = draw(Space::mlp_ratio_choices);
    for (auto& count : child.heads)
      if (uniform_unit(rng) < rates.gene) count = draw(Space::head_choices);
    if (uniform_unit(rng) < rates.structure) child.embed = draw(Space::embed_choices);
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
  static std::int64_t params(const arch& a) { return count_params(a, Space::shape()); }
  static std::int64_t macs(const arch& a) { return count_macs(a, Space::shape()); }

  // The first gene of `a` that is not a choice of this space, described; empty if `a` is in it.
  static std::string invalid_gene(const arch& a) {
    if (!detail::one_of(Space::embed_choices, a.embed))
      return fmt::format("embed = {}, expected one of {}", a.embed, Space::embed_choices);
    if (!detail::one_of(Space::depth_choices, a.depth))
      return fmt::format("depth = {}, expected one of {}", a.depth, Space::depth_choices);
    if (a.heads.size() != static_cast<std::size_t>(a.depth))
      return fmt::format("heads has {} entries, expected depth = {}", a.heads.size(), a.depth);
    if (a.mlp_ratio.size() != static_cast<std::size_t>(a.depth))
      return fmt::format("mlp_ratio has {} entries, expected depth = {}", a.mlp_ratio.size(),
                         a.depth);
    for (std::size_t i = 0; i < a.heads.size(); ++i) {
      if (!detail::one_of(Space::head_choices, a.heads[i]))
        return fmt::format("heads[{}] = {}, expected one of {}", i, a.heads[i],
                           Space::head_choices);
      if (!detail::one_of(Space::mlp_ratio_choices, a.mlp_ratio[i]))
        return fmt::format("mlp_ratio[{}] = {}, expected one of {}", i, a.mlp_ratio[i],
                           Space::mlp_ratio_choices);
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
    std::vector<gene> out{{"embed", static_cast<int>(Space::embed_choices.size())},
                          {"depth", static_cast<int>(Space::depth_choices.size())}};
    for (int i = 0; i < Space::depth_choices.back(); ++i)
      out.push_back({fmt::format("heads[{}]", i), static_cast<int>(Space::head_choices.size())});
    for (int i = 0; i < Space::depth_choices.back(); ++i)
      out.push_back(
          {fmt::format("mlp_ratio[{}]", i), static_cast<int>(Space::mlp_ratio_choices.size())});
    return out;
  }
  static std::vector<int> encode(const arch& a) {
    validate(a);
    const auto layers = static_cast<std::size_t>(Space::depth_choices.back());
    std::vector<int> out(2 + 2 * layers, -1);
    out[0] = detail::choice_index(Space::embed_choices, a.embed);
    out[1] = detail::choice_index(Space::depth_choices, a.depth);
    for (std::size_t i = 0; i < static_cast<std::size_t>(a.depth); ++i) {
      out[2 + i] = detail::choice_index(Space::head_choices, a.heads[i]);
      out[2 + layers + i] = detail::choice_index(Space::mlp_ratio_choices, a.mlp_ratio[i]);
    }
    return out;
  }
  static arch decode(std::span<const int> values) {
    const auto list = genes();
    detail::gene_reader read(values, list);
    arch a;
    a.embed = Space::embed_choices[static_cast<std::size_t>(read.next())];
    a.depth = Space::depth_choices[static_cast<std::size_t>(read.next())];
    const auto unused = static_cast<std::size_t>(Space::depth_choices.back() - a.depth);
    for (int i = 0; i < a.depth; ++i)
      a.heads.push_back(Space::head_choices[static_cast<std::size_t>(read.next())]);
    read.skip(unused);
    for (int i = 0; i < a.depth; ++i)
      a.mlp_ratio.push_back(Space::mlp_ratio_choices[static_cast<std::size_t>(read.next())]);
    return a;
  }
};

}  // namespace ovo
