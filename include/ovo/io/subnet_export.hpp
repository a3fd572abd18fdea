// One subnet as a standalone model: its own shapes, timm tensor names, the arch in the metadata.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
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

template <class Backend>
standalone_subnet<Backend> load_subnet(const std::filesystem::path& path, int max_batch) {
  using T = typename Backend::scalar;
  const auto file = safetensors::load(path);
  if (detail::required_metadata(file, "format", path) != subnet_format)
    throw std::runtime_error(fmt::format("subnet '{}': format '{}', expected '{}'", path.string(),
                                         file.metadata.at("format"), subnet_format));
  arch a;
  vit_shape shape;
  try {
    a = arch_from_json(detail::required_metadata(file, "arch", path));
    shape = nlohmann::json::parse(detail::required_metadata(file, "shape", path)).get<vit_shape>();
    shape.check_fits(a);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("subnet '{}': {}", path.string(), e.what()));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("subnet '{}': shape: {}", path.string(), e.what()));
  }
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

}  // namespace ovo::io
