// The training-free proxies by name, and one object that scores the archs of a space on one batch
// of training images.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/dss.hpp"
#include "ovo/search/proxy/grad_norm.hpp"
#include "ovo/search/proxy/gradient_pass.hpp"
#include "ovo/search/proxy/naswot.hpp"
#include "ovo/search/proxy/snip.hpp"
#include "ovo/search/proxy/synflow.hpp"
#include "ovo/search/proxy/weight_norm.hpp"
#include "ovo/search/rank_fusion.hpp"
#include "ovo/search/tvt.hpp"
#include "ovo/space/search_space.hpp"

namespace ovo {

// params and macs are the space's exact costs (Space::params, Space::macs); l2_norm is
// weight_norm_score, TVT's capability score; every score is higher for a better arch.
enum class proxy_kind { tvt, dss, synflow, naswot, snip, grad_norm, l2_norm, params, macs };

inline constexpr std::array<proxy_kind, 9> all_proxy_kinds = {
    proxy_kind::tvt,     proxy_kind::dss,    proxy_kind::synflow,
    proxy_kind::naswot,  proxy_kind::snip,   proxy_kind::grad_norm,
    proxy_kind::l2_norm, proxy_kind::params, proxy_kind::macs};

inline std::string to_string(proxy_kind kind) {
  switch (kind) {
    case proxy_kind::tvt:
      return "tvt";
    case proxy_kind::dss:
      return "dss";
    case proxy_kind::synflow:
      return "synflow";
    case proxy_kind::naswot:
      return "naswot";
    case proxy_kind::snip:
      return "snip";
    case proxy_kind::grad_norm:
      return "grad-norm";
    case proxy_kind::l2_norm:
      return "l2-norm";
    case proxy_kind::params:
      return "params";
    case proxy_kind::macs:
      return "macs";
  }
  return "?";
}

// The kind named `name` (as to_string writes it); throws std::invalid_argument listing the names.
inline proxy_kind parse_proxy_kind(std::string_view name) {
  std::string expected;
  for (std::size_t i = 0; i < all_proxy_kinds.size(); ++i) {
    if (to_string(all_proxy_kinds[i]) == name) return all_proxy_kinds[i];
    expected += (i == 0                            ? ""
                 : i + 1 == all_proxy_kinds.size() ? " or "
                                                   : ", ") +
                to_string(all_proxy_kinds[i]);
  }
  throw std::invalid_argument(fmt::format("proxy '{}': expected {}", name, expected));
}

// How proxy_scorer::scores fuses TVT's two scores (teacher-aware, capability) over a candidate
// set: fuse_scores with this rule, and with these weights under weighted_sum (empty: 1 each).
struct proxy_options {
  fusion_rule tvt_fusion = fusion_rule::rank_sum;
  std::vector<double> tvt_weights = {};
};

// Scores archs of `Space` on one batch of training images with the weights `net` holds (a
// network initialised at a seed, for a training-free search). The images are back-end memory that
// must outlive the scorer; the targets are staged once. Every gradient proxy leaves the weights
// bit for bit and the gradients zeroed.
template <search_space Space, supernet Net>
requires std::same_as<space_arch<Space>, arch_of<Net>>
class proxy_scorer {
 public:
  using Backend = typename Net::backend;
  using T = scalar_of<Net>;
  using arch_type = arch_of<Net>;

  // Hard labels, one per image: one-hot targets (no smoothing).
  proxy_scorer(Net& net, const image_batch<T>& images, std::span<const int> labels,
               proxy_options options = {})
      : net_(net),
        images_(images),
        options_(std::move(options)),
        targets_(staged(one_hot(checked_labels(labels, images.batch), net.classes()))) {}
  // Soft targets [batch, classes], host memory (the loader's layout, as the training steps take).
  proxy_scorer(Net& net, const image_batch<T>& images, std::span<const float> targets,
               proxy_options options = {})
      : net_(net),
        images_(images),
        options_(std::move(options)),
        targets_(staged(scalars(checked_targets(targets, images.batch, net.classes())))) {}
  proxy_scorer(const proxy_scorer&) = delete;
  proxy_scorer& operator=(const proxy_scorer&) = delete;

  // TVT's frozen teacher (a trained resnet and its arch(), or any network that views its feature
  // maps) on the same images: its last feature map is computed here, once for the batch.
  template <supernet Teacher>
  requires feature_network<Teacher> && std::same_as<scalar_of<Teacher>, T>
  void set_teacher(Teacher& teacher, const arch_of<Teacher>& a) {
    teacher_energy_ = last_feature_energy(teacher, a, images_);
  }

  // The score of `a` under every kind but tvt, whose two scores are fused over a candidate set
  // (scores) or read as they are (tvt). Throws std::invalid_argument for tvt, and for naswot on a
  // network without last_features().
  double score(const arch_type& a, proxy_kind kind) {
    const labelled_images<T> batch{images_, targets_.data()};
    switch (kind) {
      case proxy_kind::tvt:
        throw std::invalid_argument(
            "proxy tvt: two scores, fused over a candidate set: call scores() for the fused one "
            "or tvt() for both");
      case proxy_kind::dss:
        return dss_score(net_, a);
      case proxy_kind::synflow:
        return synflow_score(net_, a);
      case proxy_kind::naswot:
        if constexpr (feature_network<Net>)
          return naswot_score(net_, a, images_);
        else
          throw std::invalid_argument("proxy naswot: the network has no last_features()");
      case proxy_kind::snip:
        return snip_score(net_, a, batch);
      case proxy_kind::grad_norm:
        return grad_norm_score(net_, a, batch);
      case proxy_kind::l2_norm:
        return weight_norm_score(net_, a);
      case proxy_kind::params:
        return static_cast<double>(Space::params(a));
      case proxy_kind::macs:
        return static_cast<double>(Space::macs(a));
    }
    throw std::invalid_argument("proxy_scorer: unknown proxy kind");
  }

  const proxy_options& options() const { return options_; }

  // Both TVT scores of `a`. Throws std::logic_error before set_teacher, std::invalid_argument on
  // a network without last_features().
  tvt_scores tvt(const arch_type& a) {
    if (!teacher_energy_)
      throw std::logic_error("proxy tvt: no teacher, expected set_teacher first");
    if constexpr (feature_network<Net>)
      return tvt_score(net_, a, images_, *teacher_energy_);
    else
      throw std::invalid_argument("proxy tvt: the network has no last_features()");
  }

  // One score per candidate: score(a, kind) for each, or for tvt the candidates' teacher-aware
  // and capability scores fused by the options' rule.
  std::vector<double> scores(std::span<const arch_type> candidates, proxy_kind kind) {
    std::vector<double> out;
    if (kind != proxy_kind::tvt) {
      for (const auto& a : candidates) out.push_back(score(a, kind));
      return out;
    }
    std::vector<std::vector<double>> parts(2);
    for (const auto& a : candidates) {
      const auto s = tvt(a);
      parts[0].push_back(s.teacher_aware);
      parts[1].push_back(s.capability);
    }
    return fuse_scores(parts, options_.tvt_fusion, options_.tvt_weights);
  }

 private:
  static std::vector<T> one_hot(std::span<const int> labels, int classes) {
    std::vector<T> out(labels.size() * static_cast<std::size_t>(classes));
    smoothed_one_hot<T>(labels, classes, 0.0, out);
    return out;
  }
  static std::vector<T> scalars(std::span<const float> values) {
    return {values.begin(), values.end()};
  }
  static typename Backend::template buffer<T> staged(const std::vector<T>& host) {
    typename Backend::template buffer<T> out(host.size());
    Backend::copy_from_host(std::span<const T>(host), out.data());
    return out;
  }
  static std::span<const int> checked_labels(std::span<const int> labels, int batch) {
    if (labels.size() != static_cast<std::size_t>(batch))
      throw std::invalid_argument(fmt::format(
          "proxy_scorer: {} labels for {} images, expected one per image", labels.size(), batch));
    return labels;
  }
  static std::span<const float> checked_targets(std::span<const float> targets, int batch,
                                                int classes) {
    const auto expected = static_cast<std::size_t>(batch) * static_cast<std::size_t>(classes);
    if (targets.size() != expected)
      throw std::invalid_argument(
          fmt::format("proxy_scorer: {} target values for {} images, expected {} ({} classes each)",
                      targets.size(), batch, expected, classes));
    return targets;
  }

  Net& net_;
  image_batch<T> images_;
  proxy_options options_;
  typename Backend::template buffer<T> targets_;  // [batch, classes]
  std::optional<spatial_maps> teacher_energy_;
};

}  // namespace ovo
