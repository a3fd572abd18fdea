// Compile-time EMO search spaces: per stage the depth, width and expansion choices and whether
// blocks attend, as template arguments; the space samples, mutates, checks and costs emo_archs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/space/choices.hpp"
#include "ovo/space/emo_arch.hpp"
#include "ovo/space/emo_cost.hpp"
#include "ovo/space/emo_geometry.hpp"
#include "ovo/space/genome.hpp"
#include "ovo/space/search_space.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

template <int... Depths>
struct emo_depths {
  static constexpr std::array<int, sizeof...(Depths)> values{Depths...};
  static_assert(detail::strictly_increasing_positive(values),
                "emo_depths<...>: choices must be positive and strictly increasing");
};
template <int... Widths>
struct emo_widths {
  static constexpr std::array<int, sizeof...(Widths)> values{Widths...};
  static_assert(detail::strictly_increasing_positive(values),
                "emo_widths<...>: choices must be positive and strictly increasing");
};
template <double... Ratios>
struct emo_expansions {
  static constexpr std::array<double, sizeof...(Ratios)> values{Ratios...};
  static_assert(detail::strictly_increasing_positive(values),
                "emo_expansions<...>: choices must be positive and strictly increasing");
};

// Whether the blocks of a stage after its first attend: never, always, or each block either way.
enum class emo_attention { off, on, either };

template <class Depths, class Widths, class Expansions,
          emo_attention Attention = emo_attention::off>
struct emo_stage {
  static constexpr auto depths = Depths::values;
  static constexpr auto widths = Widths::values;
  static constexpr auto expansions = Expansions::values;
  static constexpr emo_attention attention = Attention;
};

// The choices of one stage, as spans over the template arguments.
struct emo_stage_choices {
  std::span<const int> depths, widths;
  std::span<const double> expansions;
  emo_attention attention = emo_attention::off;
};

// A geometry as a type: `G::value` is the emo_geometry.
template <class G>
concept emo_geometry_type = requires {
  { G::value } -> std::convertible_to<emo_geometry>;
};

template <class Stage0, class Stage1, class Stage2, class Stage3, emo_geometry_type Geometry>
struct emo_space {
  using arch_type = emo_arch;
  static constexpr emo_geometry geometry = Geometry::value;
  // The images and classes of the geometry, under the names a ViT space gives them.
  static constexpr int image_size = geometry.image_size, channels = geometry.channels,
                       num_classes = geometry.classes;
  static constexpr std::array<emo_stage_choices, emo_stages> stages{
      emo_stage_choices{Stage0::depths, Stage0::widths, Stage0::expansions, Stage0::attention},
      emo_stage_choices{Stage1::depths, Stage1::widths, Stage1::expansions, Stage1::attention},
      emo_stage_choices{Stage2::depths, Stage2::widths, Stage2::expansions, Stage2::attention},
      emo_stage_choices{Stage3::depths, Stage3::widths, Stage3::expansions, Stage3::attention}};

  static_assert(emo_geometry_error(geometry) == nullptr,
                "emo_space: the geometry cannot describe a network (see emo_geometry_error)");

  // Every width of a stage whose blocks may attend is a multiple of the stage's head dim, and
  // when the v conv is grouped by heads or attention weights v, so is every hidden width.
  static constexpr bool heads_divide_widths() {
    for (std::size_t s = 0; s < emo_stages; ++s) {
      if (stages[s].attention == emo_attention::off) continue;
      const int head_dim = geometry.head_dims[s];
      const bool hidden_by_heads = geometry.v_group || !geometry.attn_pre;
      for (int width : stages[s].widths) {
        if (width % head_dim != 0) return false;
        for (double ratio : stages[s].expansions)
          if (hidden_by_heads && static_cast<int>(width * ratio) % (width / head_dim) != 0)
            return false;
      }
    }
    return true;
  }
  static_assert(heads_divide_widths(),
                "emo_space: the widths of a stage that attends must be multiples of its head dim "
                "(and its hidden widths of the head count when v is grouped or weighted)");

  // Every gene at its first choice (largest: its last); attention on where a stage may attend.
  static emo_arch smallest() { return uniform_arch(false); }
  static emo_arch largest() { return uniform_arch(true); }

  // One arch drawn gene by gene, stage by stage: depth, width, then each block's expansion ratio
  // and, where the stage lets a block choose, its attention.
  static emo_arch sample(rng_engine& rng) {
    emo_arch a;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      auto& stage = a.stages[s];
      stage.depth = draw(stages[s].depths, rng);
      stage.width = draw(stages[s].widths, rng);
      for (int b = 0; b < stage.depth; ++b) append_block(stage, s, rng);
    }
    return a;
  }

  // A mutation of `parent`, stage by stage: with probability rates.structure a new depth (growing
  // appends random blocks, shrinking drops the last ones) and, again with probability
  // rates.structure, a new width; then each block's expansion ratio and, where the stage lets it
  // choose, its attention redrawn with probability rates.gene. A redraw picks any choice, the
  // current one included.
  static emo_arch mutate(const emo_arch& parent, mutation_rates rates, rng_engine& rng) {
    emo_arch child = parent;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      auto& stage = child.stages[s];
      if (uniform_unit(rng) < rates.structure) {
        const int depth = draw(stages[s].depths, rng);
        while (stage.depth < depth) {
          append_block(stage, s, rng);
          ++stage.depth;
        }
        stage.depth = depth;
        stage.expansion.resize(static_cast<std::size_t>(depth));
        stage.attention.resize(static_cast<std::size_t>(depth));
      }
      if (uniform_unit(rng) < rates.structure) stage.width = draw(stages[s].widths, rng);
      for (auto& ratio : stage.expansion)
        if (uniform_unit(rng) < rates.gene) ratio = draw(stages[s].expansions, rng);
      if (stages[s].attention == emo_attention::either)
        for (std::size_t b = 1; b < stage.attention.size(); ++b)
          if (uniform_unit(rng) < rates.gene) stage.attention[b] = uniform_index(rng, 2) == 1;
    }
    return child;
  }

  // Crossover pairs parents whose stages have equal depths.
  static bool crossable(const emo_arch& first, const emo_arch& second) {
    for (std::size_t s = 0; s < emo_stages; ++s)
      if (first.stages[s].depth != second.stages[s].depth) return false;
    return true;
  }

  // A crossover of two crossable parents: each stage's width and each block's expansion ratio
  // and attention from either parent with probability 1/2 each.
  static emo_arch crossover(const emo_arch& first, const emo_arch& second, rng_engine& rng) {
    if (!crossable(first, second) || !emo_arch_inconsistency(first, geometry.stem_width).empty() ||
        !emo_arch_inconsistency(second, geometry.stem_width).empty())
      throw std::invalid_argument(
          fmt::format("crossover: expected two consistent parents of equal stage depths, got {} "
                      "and {}",
                      to_string(first), to_string(second)));
    auto from_second = [&rng] { return uniform_index(rng, 2) == 1; };
    emo_arch child = first;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      auto& stage = child.stages[s];
      const auto& other = second.stages[s];
      if (from_second()) stage.width = other.width;
      for (std::size_t b = 0; b < stage.expansion.size(); ++b) {
        if (from_second()) stage.expansion[b] = other.expansion[b];
        if (from_second()) stage.attention[b] = other.attention[b];
      }
    }
    return child;
  }

  // The first gene of `a` that is not a choice of this space, described and named as in its JSON
  // (stages[i].depth, .width, .expansion[b], .attention[b]); empty if `a` is in the space.
  static std::string invalid_gene(const emo_arch& a) {
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& stage = a.stages[s];
      const auto& choices = stages[s];
      if (!detail::one_of(choices.depths, stage.depth))
        return fmt::format("stages[{}].depth = {}, expected one of {}", s, stage.depth,
                           choices.depths);
      if (!detail::one_of(choices.widths, stage.width))
        return fmt::format("stages[{}].width = {}, expected one of {}", s, stage.width,
                           choices.widths);
    }
    if (auto why = emo_arch_inconsistency(a, geometry.stem_width); !why.empty()) return why;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& stage = a.stages[s];
      const auto& choices = stages[s];
      for (std::size_t b = 0; b < stage.expansion.size(); ++b) {
        if (!detail::one_of(choices.expansions, stage.expansion[b]))
          return fmt::format("stages[{}].expansion[{}] = {}, expected one of {}", s, b,
                             stage.expansion[b], choices.expansions);
        if (b > 0 && choices.attention != emo_attention::either &&
            stage.attention[b] != (choices.attention == emo_attention::on))
          return fmt::format(
              "stages[{}].attention[{}] = {}, expected {} (this stage's blocks "
              "after the first {})",
              s, b, stage.attention[b] ? "true" : "false", stage.attention[b] ? "false" : "true",
              stage.attention[b] ? "never attend" : "always attend");
      }
    }
    return {};
  }
  static bool contains(const emo_arch& a) { return invalid_gene(a).empty(); }
  static void validate(const emo_arch& a) {
    if (auto why = invalid_gene(a); !why.empty())
      throw std::invalid_argument("arch outside the search space: " + why);
  }

  // The gene list (gene_coded_space), stage by stage: depth, width, the expansion ratio of each
  // block of the deepest choice and, where the stage lets blocks choose, the attention of each
  // block after the first; a block at or beyond the stage's depth is unused.
  static std::vector<gene> genes() {
    std::vector<gene> out;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& choices = stages[s];
      const auto blocks = choices.depths.back();
      out.push_back({fmt::format("stages[{}].depth", s), static_cast<int>(choices.depths.size())});
      out.push_back({fmt::format("stages[{}].width", s), static_cast<int>(choices.widths.size())});
      for (int b = 0; b < blocks; ++b)
        out.push_back({fmt::format("stages[{}].expansion[{}]", s, b),
                       static_cast<int>(choices.expansions.size())});
      if (choices.attention == emo_attention::either)
        for (int b = 1; b < blocks; ++b)
          out.push_back({fmt::format("stages[{}].attention[{}]", s, b), 2});
    }
    return out;
  }
  static std::vector<int> encode(const emo_arch& a) {
    validate(a);
    std::vector<int> out;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& choices = stages[s];
      const auto& stage = a.stages[s];
      const auto depth = static_cast<std::size_t>(stage.depth);
      const auto blocks = static_cast<std::size_t>(choices.depths.back());
      out.push_back(detail::choice_index(choices.depths, stage.depth));
      out.push_back(detail::choice_index(choices.widths, stage.width));
      for (std::size_t b = 0; b < blocks; ++b)
        out.push_back(b < depth ? detail::choice_index(choices.expansions, stage.expansion[b])
                                : -1);
      if (choices.attention == emo_attention::either)
        for (std::size_t b = 1; b < blocks; ++b)
          out.push_back(b < depth ? static_cast<int>(stage.attention[b]) : -1);
    }
    return out;
  }
  static emo_arch decode(std::span<const int> values) {
    const auto list = genes();
    detail::gene_reader read(values, list);
    emo_arch a;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& choices = stages[s];
      auto& stage = a.stages[s];
      stage.depth = choices.depths[static_cast<std::size_t>(read.next())];
      stage.width = choices.widths[static_cast<std::size_t>(read.next())];
      const auto unused = static_cast<std::size_t>(choices.depths.back() - stage.depth);
      for (int b = 0; b < stage.depth; ++b)
        stage.expansion.push_back(choices.expansions[static_cast<std::size_t>(read.next())]);
      read.skip(unused);
      stage.attention.assign(static_cast<std::size_t>(stage.depth),
                             choices.attention == emo_attention::on);
      stage.attention[0] = false;
      if (choices.attention == emo_attention::either) {
        for (std::size_t b = 1; b < stage.attention.size(); ++b)
          stage.attention[b] = read.next() == 1;
        read.skip(unused);
      }
    }
    return a;
  }

  // Exact parameters and multiply-adds of `a` on this space's geometry (emo_costs).
  static std::int64_t params(const emo_arch& a) { return count_params(a, geometry); }
  static std::int64_t macs(const emo_arch& a) { return count_macs(a, geometry); }

 private:
  template <class T>
  static T draw(std::span<const T> choices, rng_engine& rng) {
    return choices[uniform_index(rng, choices.size())];
  }

  // Appends one block to `stage` (its depth unchanged): a random expansion ratio, and attention
  // as stage `s` decides (never on a first block).
  static void append_block(emo_stage_arch& stage, std::size_t s, rng_engine& rng) {
    stage.expansion.push_back(draw(stages[s].expansions, rng));
    const bool first = stage.attention.empty();
    const auto attention = stages[s].attention;
    stage.attention.push_back(!first && (attention == emo_attention::either
                                             ? uniform_index(rng, 2) == 1
                                             : attention == emo_attention::on));
  }

  static emo_arch uniform_arch(bool largest) {
    emo_arch a;
    for (std::size_t s = 0; s < emo_stages; ++s) {
      const auto& choices = stages[s];
      auto& stage = a.stages[s];
      stage.depth = largest ? choices.depths.back() : choices.depths.front();
      stage.width = largest ? choices.widths.back() : choices.widths.front();
      const auto depth = static_cast<std::size_t>(stage.depth);
      stage.expansion.assign(depth,
                             largest ? choices.expansions.back() : choices.expansions.front());
      const bool attends = choices.attention == emo_attention::on ||
                           (largest && choices.attention == emo_attention::either);
      stage.attention.assign(depth, attends);
      stage.attention[0] = false;
    }
    return a;
  }
};

}  // namespace ovo
