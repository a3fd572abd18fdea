// One subnet as a standalone model: its own shapes, timm tensor names, the arch in the metadata.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/io/checkpoint.hpp"
#include "ovo/io/safetensors.hpp"
#include "ovo/nn/vit_supernet.hpp"

namespace ovo::io {

inline constexpr const char* subnet_format = "ovo.subnet.v1";

// The values of one subnet tensor gathered from a host copy of all parameter values.
template <class T>
std::vector<T> gather(const std::vector<T>& values, const subnet_tensor& t) {
  std::vector<T> out;
  for (const auto& b : t.blocks)
    for (int r = 0; r < b.rows; ++r) {
      const auto first = values.begin() + static_cast<std::ptrdiff_t>(t.parameter.offset) +
                         b.first + static_cast<std::ptrdiff_t>(r) * b.stride;
      out.insert(out.end(), first, first + b.cols);
    }
  return out;
}

// The inverse of gather: writes a subnet tensor's values into a host copy of all parameters.
template <class T>
void scatter(const std::vector<T>& tensor, const subnet_tensor& t, std::vector<T>& values) {
  auto source = tensor.begin();
  for (const auto& b : t.blocks)
    for (int r = 0; r < b.rows; ++r, source += b.cols)
      std::copy(source, source + b.cols,
                values.begin() + static_cast<std::ptrdiff_t>(t.parameter.offset) + b.first +
                    static_cast<std::ptrdiff_t>(r) * b.stride);
}

// Writes (atomically) arch `a` of the supernet as a standalone model.
template <class Backend, class Layout>
void export_subnet(const std::filesystem::path& path, const vit_supernet<Backend, Layout>& net,
                   const arch& a) {
  using T = typename Backend::scalar;
  const auto values = to_host<Backend>(net.parameters().values(), net.parameters().size());
  safetensors file;
  for (const auto& t : net.subnet_tensors(a)) file.add<T>(t.name, t.shape, gather(values, t));
  file.metadata["format"] = subnet_format;
  file.metadata["arch"] = nlohmann::json(a).dump();
  file.metadata["shape"] = nlohmann::json(vit_shape::of_subnet(a, net.shape())).dump();
  file.save(path);
}

// A standalone subnet read back: a network of exactly the subnet's shape, and its arch.
template <class Backend>
struct standalone_subnet {
  arch architecture;
  vit_supernet<Backend, qkv_blocked> network;

  // Logits of the subnet (the network run with its own arch).
  const typename Backend::scalar* forward(const image_batch<typename Backend::scalar>& images) {
    return network.forward(images, architecture);
  }
};

namespace detail {

// Checks, before any network is built, that the shape is the arch's own and that each of its
// dims is that of the tensor that stores it, so the network holds no more weights than the file.
inline void check_subnet_shape(const safetensors& file, const std::filesystem::path& path,
                               const arch& a, const vit_shape& shape) {
  const vit_shape own = vit_shape::of_subnet(a, shape);
  const auto same = [&](std::string_view field, const auto& stored, const auto& expected) {
    if (stored != expected)
      throw std::runtime_error(
          fmt::format("subnet '{}': shape field '{}' is {}, expected {} (the arch's own)",
                      path.string(), field, stored, expected));
  };
  same("embed", shape.embed, own.embed);
  same("depth", shape.depth, own.depth);
  same("heads", shape.heads, own.heads);
  same("mlp_hidden", shape.mlp_hidden, own.mlp_hidden);
  const auto stored_as = [&](const std::string& name, const std::vector<std::int64_t>& expected,
                             std::string_view fields) {
    if (!file.contains(name))
      throw std::runtime_error(
          fmt::format("subnet '{}': tensor '{}' is missing", path.string(), name));
    const auto& stored = file.at(name).shape;
    if (stored != expected)
      throw std::runtime_error(
          fmt::format("subnet '{}': tensor '{}' has shape {}, but the shape's {} make it {}",
                      path.string(), name, stored, fields, expected));
  };
  const std::int64_t e = shape.embed;
  stored_as("patch_embed.proj.weight", {e, shape.channels, shape.patch_size, shape.patch_size},
            "embed, channels and patch_size");
  stored_as("pos_embed", {1, shape.tokens(), e}, "image_size and patch_size");
  stored_as("head.weight", {shape.classes, e}, "classes");
  for (std::size_t i = 0; i < shape.heads.size(); ++i) {
    stored_as(fmt::format("blocks.{}.attn.qkv.weight", i),
              {3 * std::int64_t{shape.heads[i]} * shape.head_dim, e}, "heads and head_dim");
    stored_as(fmt::format("blocks.{}.mlp.fc1.weight", i), {shape.mlp_hidden[i], e}, "mlp_hidden");
  }
}

}  // namespace detail

// Builds the standalone subnet that `file`, already read from `path` (named in the errors), holds.
template <class Backend>
standalone_subnet<Backend> load_subnet(const safetensors& file, const std::filesystem::path& path,
                                       int max_batch) {
  using T = typename Backend::scalar;
  if (detail::required_metadata(file, "format", path) != subnet_format)
    throw std::runtime_error(fmt::format("subnet '{}': format '{}', expected '{}'", path.string(),
                                         file.metadata.at("format"), subnet_format));
  arch a;
  vit_shape shape;
  try {
    a = arch_from_json(detail::required_metadata(file, "arch", path));
    shape = vit_shape_from_json(detail::required_metadata(file, "shape", path));
    shape.check_fits(a);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("subnet '{}': {}", path.string(), e.what()));
  }
  detail::check_subnet_shape(file, path, a, shape);
  standalone_subnet<Backend> out{a, vit_supernet<Backend, qkv_blocked>(shape, max_batch)};
  std::vector<T> values(out.network.parameters().size());
  for (const auto& t : out.network.subnet_tensors(a)) {
    if (!file.contains(t.name))
      throw std::runtime_error(
          fmt::format("subnet '{}': tensor '{}' is missing", path.string(), t.name));
    const auto& stored = file.at(t.name);
    if (stored.shape != t.shape || stored.type != dtype_of<T>())
      throw std::runtime_error(fmt::format("subnet '{}': tensor '{}' is {} {}, expected {} {}",
                                           path.string(), t.name, dtype_name(stored.type),
                                           stored.shape, dtype_name(dtype_of<T>()), t.shape));
    scatter(stored.template values<T>(), t, values);
  }
  Backend::copy_from_host(values, out.network.parameters().values());
  return out;
}

template <class Backend>
standalone_subnet<Backend> load_subnet(const std::filesystem::path& path, int max_batch) {
  return load_subnet<Backend>(safetensors::load(path), path, max_batch);
}

}  // namespace ovo::io
