// Compile-time ViT search spaces: the choices are template arguments (vit_space_rules holds what
// the space does with them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ovo/space/choices.hpp"
#include "ovo/space/vit_shape.hpp"
#include "ovo/space/vit_space_rules.hpp"

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
struct vit_space
    : vit_space_rules<vit_space<Embed, Depth, Heads, MlpRatio, Image, Classes, HeadDim, Super>> {
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

  // The number of distinct archs (0 if more than 64 bits hold).
  static constexpr std::uint64_t size() {
    return detail::vit_arch_count(embed_choices, depth_choices, head_choices, mlp_ratio_choices);
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
};

}  // namespace ovo
