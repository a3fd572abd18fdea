// A ViT search space whose choices are set at run time (from a config file or Python lists): a
// scope installs them for the current thread, and the space's static members read them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/space/choices.hpp"
#include "ovo/space/vit_shape.hpp"
#include "ovo/space/vit_space_rules.hpp"

namespace ovo {

// The choices and geometry of a run-time ViT space, as vit_space takes them as template arguments.
// The supernet's own dims (super_*) default to the largest choice of each gene.
struct vit_space_choices {
  std::vector<int> embed, depth, heads;
  std::vector<double> mlp_ratio;
  int image_size = 224, patch_size = 16, channels = 3, classes = 1000, head_dim = 64;
  int super_embed = 0, super_depth = 0, super_heads = 0;
  double super_mlp_ratio = 0;

  // The first field that vit_space's static_asserts would reject, described; empty if none.
  std::string invalid_field() const {
    auto check_list = [](const char* name, const auto& values) -> std::string {
      if (detail::strictly_increasing_positive(values)) return {};
      return fmt::format("{} = {}, expected positive and strictly increasing choices", name,
                         values);
    };
    for (auto why : {check_list("embed", embed), check_list("depth", depth),
                     check_list("heads", heads), check_list("mlp_ratio", mlp_ratio)})
      if (!why.empty()) return why;
    if (image_size <= 0 || patch_size <= 0 || channels <= 0 || head_dim <= 0)
      return fmt::format(
          "image_size {}, patch_size {}, channels {}, head_dim {}: expected positive", image_size,
          patch_size, channels, head_dim);
    if (image_size % patch_size != 0)
      return fmt::format("image_size {} is not a multiple of patch_size {}", image_size,
                         patch_size);
    if (classes < 2) return fmt::format("classes = {}, expected at least 2", classes);
    const vit_shape s = shape_unchecked();
    if (s.embed < embed.back() || s.depth < depth.back() || s.heads.front() < heads.back() ||
        supernet_mlp_ratio() < mlp_ratio.back())
      return fmt::format("supernet dims {}/{}/{}/{}: expected at least the largest choices",
                         s.embed, s.depth, s.heads.front(), supernet_mlp_ratio());
    if (size() == 0) return "more archs than a 64-bit count holds";
    return {};
  }
  void validate() const {
    if (auto why = invalid_field(); !why.empty()) throw std::invalid_argument("ViT space: " + why);
  }

  // The supernet's shape: every layer at its widest.
  vit_shape shape() const {
    validate();
    return shape_unchecked();
  }

  // The number of distinct archs (0 if more than 64 bits hold).
  std::uint64_t size() const {
    return detail::vit_arch_count(embed, depth, heads, mlp_ratio);
  }

 private:
  double supernet_mlp_ratio() const {
    return super_mlp_ratio > 0 ? super_mlp_ratio : mlp_ratio.back();
  }
  vit_shape shape_unchecked() const {
    vit_shape s;
    s.embed = super_embed > 0 ? super_embed : embed.back();
    s.depth = super_depth > 0 ? super_depth : depth.back();
    s.heads.assign(static_cast<std::size_t>(s.depth), super_heads > 0 ? super_heads : heads.back());
    s.mlp_hidden.assign(static_cast<std::size_t>(s.depth),
                        static_cast<int>(s.embed * supernet_mlp_ratio()));
    s.head_dim = head_dim;
    s.image_size = image_size;
    s.patch_size = patch_size;
    s.channels = channels;
    s.classes = classes;
    return s;
  }
};

// The search_space of the choices a scope installed on this thread. Scopes nest: leaving one
// restores the choices that were installed before it. Outside every scope the space is empty and
// must not be used. Tag tells apart run-time spaces that differ in type.
template <class Tag = void>
struct runtime_vit_space : vit_space_rules<runtime_vit_space<Tag>> {
  static inline thread_local std::vector<int> embed_choices, depth_choices, head_choices;
  static inline thread_local std::vector<double> mlp_ratio_choices;

  static vit_shape shape() {
    if (!installed_)
      throw std::logic_error("runtime_vit_space: no choices installed on this thread");
    return shape_;
  }
  static std::uint64_t size() {
    return detail::vit_arch_count(embed_choices, depth_choices, head_choices, mlp_ratio_choices);
  }

  class scope {
   public:
    explicit scope(const vit_space_choices& choices)
        : saved_{std::move(embed_choices),     std::move(depth_choices), std::move(head_choices),
                 std::move(mlp_ratio_choices), std::move(shape_),        installed_} {
      try {
        shape_ = choices.shape();
      } catch (...) {
        restore();
        throw;
      }
      embed_choices = choices.embed;
      depth_choices = choices.depth;
      head_choices = choices.heads;
      mlp_ratio_choices = choices.mlp_ratio;
      installed_ = true;
    }
    ~scope() { restore(); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    struct state {
      std::vector<int> embed, depth, heads;
      std::vector<double> mlp_ratio;
      vit_shape shape;
      bool installed;
    };
    void restore() {
      embed_choices = std::move(saved_.embed);
      depth_choices = std::move(saved_.depth);
      head_choices = std::move(saved_.heads);
      mlp_ratio_choices = std::move(saved_.mlp_ratio);
      shape_ = std::move(saved_.shape);
      installed_ = saved_.installed;
    }
    state saved_;
  };

 private:
  static inline thread_local vit_shape shape_;
  static inline thread_local bool installed_ = false;
};

}  // namespace ovo
