// The runtime genome of an EMO network: per stage a depth, a width, and per block an expansion
// ratio and whether window attention is on.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/util/json.hpp"

namespace ovo {

inline constexpr int emo_stages = 4;

// One stage of iRMB blocks. Block 0 halves the resolution (stride 2), has no skip and never
// attends; it expands by twice its ratio, as the reference does (`exp_ratios[i] * 2`).
struct emo_stage_arch {
  int depth = 0;
  int width = 0;                  // output channels of every block of the stage
  std::vector<double> expansion;  // one ratio per block (size == depth)
  std::vector<bool> attention;    // one flag per block (size == depth), attention[0] false

  friend bool operator==(const emo_stage_arch&, const emo_stage_arch&) = default;
  friend auto operator<=>(const emo_stage_arch&, const emo_stage_arch&) = default;
};

struct emo_arch {
  std::array<emo_stage_arch, emo_stages> stages;

  friend bool operator==(const emo_arch&, const emo_arch&) = default;
  friend auto operator<=>(const emo_arch&, const emo_arch&) = default;
};

// The hidden width of a block with `in` input channels: int(in * ratio), the ratio doubled for the
// first block of a stage, truncated as the reference does.
inline int emo_hidden_width(int in, double ratio, bool first_of_stage) {
  return static_cast<int>(in * (first_of_stage ? 2 * ratio : ratio));
}

// Why `a` is not a consistent genome (a depth or width below 1, a per-block list whose size is not
// the depth, a ratio that is not positive or makes a width beyond an int, attention on a first
// block), naming the field; empty when it is consistent. `in_width` is the stem's width, the input
// of stage 0's first block.
inline std::string emo_arch_inconsistency(const emo_arch& a, int in_width) {
  for (std::size_t s = 0; s < a.stages.size(); ++s) {
    const auto& stage = a.stages[s];
    if (stage.depth < 1)
      return fmt::format("stages[{}].depth = {}, expected at least 1", s, stage.depth);
    if (stage.width < 1)
      return fmt::format("stages[{}].width = {}, expected at least 1", s, stage.width);
    const auto depth = static_cast<std::size_t>(stage.depth);
    if (stage.expansion.size() != depth)
      return fmt::format("stages[{}].expansion has {} entries, expected depth = {}", s,
                         stage.expansion.size(), stage.depth);
    if (stage.attention.size() != depth)
      return fmt::format("stages[{}].attention has {} entries, expected depth = {}", s,
                         stage.attention.size(), stage.depth);
    if (stage.attention[0])
      return fmt::format(
          "stages[{}].attention[0] = true, expected false (a stage's first block "
          "has stride 2 and never attends)",
          s);
    for (std::size_t b = 0; b < depth; ++b) {
      const double ratio = stage.expansion[b];
      const double in = b == 0 ? in_width : stage.width;
      if (!(ratio > 0) || !(in * (b == 0 ? 2 * ratio : ratio) < 0x1p31))
        return fmt::format(
            "stages[{}].expansion[{}] = {}, expected a positive ratio whose hidden "
            "width fits in an int",
            s, b, ratio);
    }
    in_width = stage.width;
  }
  return {};
}

inline std::string to_string(const emo_stage_arch& stage) {
  std::string attention;
  for (bool on : stage.attention) attention += on ? '1' : '0';
  return fmt::format("depth={} width={} expansion={} attention={}", stage.depth, stage.width,
                     stage.expansion, attention);
}

// "stage0 {depth=2 width=32 expansion=[2, 2] attention=00} stage1 {...} ...", attention one digit
// per block.
inline std::string to_string(const emo_arch& a) {
  std::string out;
  for (std::size_t s = 0; s < a.stages.size(); ++s)
    out += fmt::format("{}stage{} {{{}}}", s == 0 ? "" : " ", s, to_string(a.stages[s]));
  return out;
}

inline void to_json(nlohmann::json& j, const emo_arch& a) {
  j = nlohmann::json{{"stages", nlohmann::json::array()}};
  for (const auto& stage : a.stages)
    j["stages"].push_back({{"depth", stage.depth},
                           {"width", stage.width},
                           {"expansion", stage.expansion},
                           {"attention", stage.attention}});
}

namespace detail {

inline const nlohmann::json& json_field(const nlohmann::json& j, const char* name,
                                        const std::string& where) {
  if (!j.is_object() || !j.contains(name))
    throw std::invalid_argument(
        fmt::format("emo_arch JSON: missing field '{}{}' in {}", where, name, j.dump()));
  return j.at(name);
}

}  // namespace detail

// Reads {"stages": [4 x {"depth", "width", "expansion": [numbers], "attention": [booleans]}]};
// throws std::invalid_argument starting "emo_arch JSON: " and naming the field on anything else,
// and on a genome that is not consistent (emo_arch_inconsistency, before knowing the stem width:
// stage 0's first ratio is checked against a width of 1).
inline void from_json(const nlohmann::json& j, emo_arch& a) {
  const auto& stages = detail::json_field(j, "stages", "");
  if (!stages.is_array() || stages.size() != static_cast<std::size_t>(emo_stages))
    throw std::invalid_argument(fmt::format(
        "emo_arch JSON: stages is {}, expected an array of {} stages", stages.dump(), emo_stages));
  for (std::size_t s = 0; s < a.stages.size(); ++s) {
    const auto where = fmt::format("stages[{}].", s);
    const auto& stage_json = stages[s];
    auto& stage = a.stages[s];
    const auto& depth = detail::json_field(stage_json, "depth", where);
    const auto& width = detail::json_field(stage_json, "width", where);
    try {
      stage.depth = detail::json_int(depth, where + "depth");
      stage.width = detail::json_int(width, where + "width");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("emo_arch JSON: ") + e.what());
    }
    const auto& expansion = detail::json_field(stage_json, "expansion", where);
    const auto& attention = detail::json_field(stage_json, "attention", where);
    if (!expansion.is_array())
      throw std::invalid_argument(
          fmt::format("emo_arch JSON: {}expansion is {}, expected an array of numbers", where,
                      expansion.dump()));
    if (!attention.is_array())
      throw std::invalid_argument(
          fmt::format("emo_arch JSON: {}attention is {}, expected an array of booleans", where,
                      attention.dump()));
    stage.expansion.clear();
    stage.attention.clear();
    for (std::size_t b = 0; b < expansion.size(); ++b) {
      if (!expansion[b].is_number())
        throw std::invalid_argument(
            fmt::format("emo_arch JSON: {}expansion[{}] is {}, expected a "
                        "number",
                        where, b, expansion[b].dump()));
      stage.expansion.push_back(expansion[b].get<double>());
    }
    for (std::size_t b = 0; b < attention.size(); ++b) {
      if (!attention[b].is_boolean())
        throw std::invalid_argument(
            fmt::format("emo_arch JSON: {}attention[{}] is {}, expected "
                        "true or false",
                        where, b, attention[b].dump()));
      stage.attention.push_back(attention[b].get<bool>());
    }
  }
  if (auto why = emo_arch_inconsistency(a, 1); !why.empty())
    throw std::invalid_argument("emo_arch JSON: " + why);
}

inline emo_arch emo_arch_from_json(const std::string& text) {
  return parse_json_as<emo_arch>(text, "emo_arch JSON");
}

inline std::string emo_arch_to_json(const emo_arch& a) {
  return nlohmann::json(a).dump();
}

}  // namespace ovo
