// One subnet as a standalone model: its own shapes and tensor names, its description in the
// metadata.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/io/checkpoint.hpp"
#include "ovo/io/safetensors.hpp"
#include "ovo/nn/supernet.hpp"

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

// Writes (atomically) subnet `a` of the supernet as a standalone model: its tensors and the
// network's description of it.
template <supernet Net>
void export_subnet(const std::filesystem::path& path, const Net& net,
                   const typename Net::arch_type& a) {
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  const auto values = to_host<Backend>(net.parameters().values(), net.parameters().size());
  const auto buffers = to_host<Backend>(net.buffers().values(), net.buffers().size());
  safetensors file;
  for (const auto& t : net.subnet_tensors(a))
    file.add<T>(t.name, t.shape, gather(t.buffer ? buffers : values, t));
  file.metadata = net.subnet_description(a);
  file.metadata["format"] = subnet_format;
  file.save(path);
}

// A standalone subnet read back: a network of exactly the subnet's shape, and its arch.
template <supernet Net>
struct standalone_subnet {
  typename Net::arch_type architecture;
  Net network;

  // Logits of the subnet (the network run with its own arch, in evaluation).
  const scalar_of<Net>* forward(const image_batch<scalar_of<Net>>& images) {
    return network.forward(images, architecture, forward_mode::eval());
  }
};

// Builds the standalone subnet that `file`, already read from `path` (named in the errors), holds.
template <supernet Net>
standalone_subnet<Net> load_subnet(const safetensors& file, const std::filesystem::path& path,
                                   int max_batch) {
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  if (detail::required_metadata(file, "format", path) != subnet_format)
    throw std::runtime_error(fmt::format("subnet '{}': format '{}', expected '{}'", path.string(),
                                         file.metadata.at("format"), subnet_format));
  tensor_shapes stored;
  for (const auto& name : file.names()) stored[name] = file.at(name).shape;
  auto built = [&] {
    try {
      return Net::standalone(file.metadata, stored, max_batch);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("subnet '{}': {}", path.string(), e.what()));
    }
  }();
  standalone_subnet<Net> out{std::move(built.second), std::move(built.first)};
  auto& params = out.network.parameters();
  auto& buffers = out.network.buffers();
  std::vector<T> values(params.size()), buffer_values(buffers.size());
  for (const auto& t : out.network.subnet_tensors(out.architecture)) {
    if (!file.contains(t.name))
      throw std::runtime_error(
          fmt::format("subnet '{}': tensor '{}' is missing", path.string(), t.name));
    const auto& tensor = file.at(t.name);
    if (tensor.shape != t.shape || tensor.type != dtype_of<T>())
      throw std::runtime_error(fmt::format("subnet '{}': tensor '{}' is {} {}, expected {} {}",
                                           path.string(), t.name, dtype_name(tensor.type),
                                           tensor.shape, dtype_name(dtype_of<T>()), t.shape));
    scatter(tensor.template values<T>(), t, t.buffer ? buffer_values : values);
  }
  Backend::copy_from_host(values, params.values());
  Backend::copy_from_host(buffer_values, buffers.values());
  return out;
}

template <supernet Net>
standalone_subnet<Net> load_subnet(const std::filesystem::path& path, int max_batch) {
  return load_subnet<Net>(safetensors::load(path), path, max_batch);
}

}  // namespace ovo::io
