// A runtime ViT architecture: one embed dim, a depth, and per-layer heads and MLP ratios.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/util/json.hpp"

namespace ovo {

struct arch {
  int embed = 0;
  int depth = 0;
  std::vector<int> heads;         // one entry per active layer (size == depth)
  std::vector<double> mlp_ratio;  // one entry per active layer (size == depth)

  // The MLP hidden width of layer i, truncated as AutoFormer does: int(embed * ratio).
  int mlp_hidden(int layer) const {
    return static_cast<int>(embed * mlp_ratio[static_cast<std::size_t>(layer)]);
  }

  friend bool operator==(const arch&, const arch&) = default;
  friend auto operator<=>(const arch&, const arch&) = default;
};

inline std::string to_string(const arch& a) {
  return fmt::format("embed={} depth={} heads={} mlp_ratio={}", a.embed, a.depth, a.heads,
                     a.mlp_ratio);
}

inline void to_json(nlohmann::json& j, const arch& a) {
  j = nlohmann::json{
      {"embed", a.embed}, {"depth", a.depth}, {"heads", a.heads}, {"mlp_ratio", a.mlp_ratio}};
}

inline void from_json(const nlohmann::json& j, arch& a) {
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name))
      throw std::invalid_argument(
          fmt::format("arch JSON: missing field '{}' in {}", name, j.dump()));
    return j.at(name);
  };
  const nlohmann::json &embed = field("embed"), &depth = field("depth"), &heads = field("heads"),
                       &mlp_ratio = field("mlp_ratio");
  try {
    a.embed = detail::json_int(embed, "embed");
    a.depth = detail::json_int(depth, "depth");
    a.heads = detail::json_ints(heads, "heads");
    a.mlp_ratio = mlp_ratio.get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("arch JSON: {} in {}", e.what(), j.dump()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("arch JSON: {} in {}", e.what(), j.dump()));
  }
  if (a.heads.size() != static_cast<std::size_t>(a.depth) ||
      a.mlp_ratio.size() != static_cast<std::size_t>(a.depth))
    throw std::invalid_argument(
        fmt::format("arch JSON: depth {} but {} heads and {} mlp_ratio entries", a.depth,
                    a.heads.size(), a.mlp_ratio.size()));
  // mlp_hidden() truncates embed * ratio to an int, which must hold it.
  for (std::size_t i = 0; i < a.mlp_ratio.size(); ++i)
    if (!(std::abs(a.embed * a.mlp_ratio[i]) < 0x1p31))
      throw std::invalid_argument(
          fmt::format("arch JSON: mlp_ratio[{}] = {} makes an MLP width of embed {} times it, "
                      "expected a width that fits in an int",
                      i, a.mlp_ratio[i], a.embed));
}

inline arch arch_from_json(const std::string& text) {
  return parse_json_as<arch>(text, "arch JSON");
}

inline std::string arch_to_json(const arch& a) {
  return nlohmann::json(a).dump();
}

}  // namespace ovo
