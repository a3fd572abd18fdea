// The shape of a CIFAR ResNet-(6n+2) (depth, classes, input) and its one arch, with their JSON.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/nn/supernet.hpp"
#include "ovo/util/json.hpp"

namespace ovo {

// The one subnet of a ResNet network: its depth, 6n + 2 for n basic blocks per stage.
struct resnet_arch {
  int depth = 56;

  friend bool operator==(const resnet_arch&, const resnet_arch&) = default;
  friend auto operator<=>(const resnet_arch&, const resnet_arch&) = default;
};

inline std::string to_string(const resnet_arch& a) {
  return fmt::format("resnet-{}", a.depth);
}
inline void to_json(nlohmann::json& j, const resnet_arch& a) {
  j = nlohmann::json{{"depth", a.depth}};
}
inline void from_json(const nlohmann::json& j, resnet_arch& a) {
  try {
    a.depth = detail::json_int(j.at("depth"), "depth");
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("resnet_arch JSON: {} in {}", e.what(), j.dump()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("resnet_arch JSON: {} in {}", e.what(), j.dump()));
  }
}

// A CIFAR ResNet (He et al. 2016, section 4.2): a 3x3 convolution to 16 channels, three stages of
// n basic blocks of 16, 32 and 64 channels (stages 2 and 3 start with stride 2), global average
// pooling and a linear head, on images of `channels` x `height` x `width`.
struct resnet_shape {
  int depth = 56;
  int classes = 100;
  int channels = 3, height = 32, width = 32;

  static constexpr std::array<int, 3> stage_channels{16, 32, 64};
  static constexpr int stem_channels = 16;
  // The largest classes, channels, height and width accepted (a file's shape allocates no more).
  static constexpr int max_width = 1 << 12;

  int blocks_per_stage() const { return (depth - 2) / 6; }
  image_geometry input() const { return {channels, height, width}; }
  resnet_arch arch() const { return {depth}; }

  // Throws std::invalid_argument naming the field unless the depth is 6n + 2 (n >= 1) and every
  // other field lies in 1..max_width.
  void check() const {
    if (depth < 8 || (depth - 2) % 6 != 0)
      throw std::invalid_argument(
          fmt::format("resnet shape: depth {}, expected 6n + 2 for n >= 1 (8, 14, 20, ..., 56, "
                      "110)",
                      depth));
    for (const auto& [name, value] : {std::pair{"classes", classes},
                                      {"channels", channels},
                                      {"height", height},
                                      {"width", width}})
      if (value < 1 || value > max_width)
        throw std::invalid_argument(
            fmt::format("resnet shape: {} {}, expected 1..{}", name, value, max_width));
  }
};

inline void to_json(nlohmann::json& j, const resnet_shape& s) {
  j = nlohmann::json{{"depth", s.depth},
                     {"classes", s.classes},
                     {"channels", s.channels},
                     {"height", s.height},
                     {"width", s.width}};
}
// Reads a shape and checks it (resnet_shape::check).
inline void from_json(const nlohmann::json& j, resnet_shape& s) {
  try {
    s.depth = detail::json_int(j.at("depth"), "depth");
    s.classes = detail::json_int(j.at("classes"), "classes");
    s.channels = detail::json_int(j.at("channels"), "channels");
    s.height = detail::json_int(j.at("height"), "height");
    s.width = detail::json_int(j.at("width"), "width");
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("resnet_shape JSON: {} in {}", e.what(), j.dump()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("resnet_shape JSON: {} in {}", e.what(), j.dump()));
  }
  s.check();
}

}  // namespace ovo
