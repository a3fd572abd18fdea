// Resumable supernet checkpoints in safetensors: weights, buffers, AdamW moments, step, and the
// random engine of a loop that keeps one.
#pragma once

#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/io/safetensors.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/util/random.hpp"

namespace ovo::io {

inline constexpr const char* supernet_checkpoint_format = "ovo.supernet.v1";

// The whole flat buffer of a back end's values, on the host.
template <class Backend>
std::vector<typename Backend::scalar> to_host(const typename Backend::scalar* values,
                                              std::size_t n) {
  std::vector<typename Backend::scalar> host(n);
  Backend::copy_to_host(values, host);
  return host;
}

namespace detail {
template <supernet Net>
void save_checkpoint(const std::filesystem::path& path, const Net& net,
                     const adamw<typename Net::backend>& optimizer, const rng_engine* rng,
                     const text_fields& extra) {
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  const auto& params = net.parameters();
  const auto& buffers = net.buffers();
  const auto values = to_host<Backend>(params.values(), params.size());
  const auto buffer_values = to_host<Backend>(buffers.values(), buffers.size());
  const auto exp_avg = to_host<Backend>(optimizer.exp_avg(), params.size());
  const auto exp_avg_sq = to_host<Backend>(optimizer.exp_avg_sq(), params.size());
  safetensors file;
  for (const auto& [prefix, source] : {std::pair{"", &values},
                                       {"optimizer.exp_avg.", &exp_avg},
                                       {"optimizer.exp_avg_sq.", &exp_avg_sq}})
    for (const auto& e : params.entries())
      file.add<T>(prefix + e.name, e.shape, std::span<const T>(source->data() + e.offset, e.size));
  for (const auto& e : buffers.entries())
    file.add<T>(e.name, e.shape, std::span<const T>(buffer_values.data() + e.offset, e.size));
  file.metadata = extra;
  file.metadata["format"] = supernet_checkpoint_format;
  for (const auto& field : net.identity()) file.metadata[field.key] = field.value;
  file.metadata["optimizer.step"] = std::to_string(optimizer.steps());
  if (rng) file.metadata["rng"] = engine_state(*rng);
  file.save(path);
}
}  // namespace detail

// Writes (atomically) the supernet's weights and buffers, the optimiser's moments and step, the
// network's identity and any extra text fields wanted back on resume.
template <supernet Net>
void save_checkpoint(const std::filesystem::path& path, const Net& net,
                     const adamw<typename Net::backend>& optimizer, const text_fields& extra = {}) {
  detail::save_checkpoint(path, net, optimizer, nullptr, extra);
}
// The same with a random engine's state, for a training loop that draws from one engine (the
// trainer does not: its draws are functions of (seed, step)).
template <supernet Net>
void save_checkpoint(const std::filesystem::path& path, const Net& net,
                     const adamw<typename Net::backend>& optimizer, const rng_engine& rng,
                     const text_fields& extra = {}) {
  detail::save_checkpoint(path, net, optimizer, &rng, extra);
}

namespace detail {
inline const std::string& required_metadata(const safetensors& file, const std::string& key,
                                            const std::filesystem::path& path) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end())
    throw std::runtime_error(fmt::format(
        "'{}': metadata field '{}' is missing: not a file ovo wrote", path.string(), key));
  return it->second;
}

// Copies the tensor `name` of the file into values[offset, offset + size) after checking it.
template <class T>
void read_tensor_into(const safetensors& file, const std::string& name, const parameter_info& info,
                      std::vector<T>& values, const std::filesystem::path& path) {
  if (!file.contains(name))
    throw std::runtime_error(
        fmt::format("checkpoint '{}': tensor '{}' is missing", path.string(), name));
  const auto& stored = file.at(name);
  if (stored.shape != info.shape)
    throw std::runtime_error(fmt::format("checkpoint '{}': tensor '{}' has shape {}, expected {}",
                                         path.string(), name, stored.shape, info.shape));
  if (stored.type != dtype_of<T>())
    throw std::runtime_error(fmt::format("checkpoint '{}': tensor '{}' is {}, expected {}",
                                         path.string(), name, dtype_name(stored.type),
                                         dtype_name(dtype_of<T>())));
  const auto v = stored.template values<T>();
  std::copy(v.begin(), v.end(), values.begin() + static_cast<std::ptrdiff_t>(info.offset));
}
}  // namespace detail

// Restores what save_checkpoint wrote into a network of the same identity (and, when given, the
// optimiser and the random engine); returns the metadata, the extra fields included. Nothing is
// changed unless the whole file matches. `file` is the checkpoint already read from `path` (named
// in the errors), for a caller that looked at its metadata first.
template <supernet Net>
text_fields load_checkpoint(const safetensors& file, const std::filesystem::path& path, Net& net,
                            adamw<typename Net::backend>* optimizer = nullptr,
                            rng_engine* rng = nullptr) {
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  if (detail::required_metadata(file, "format", path) != supernet_checkpoint_format)
    throw std::runtime_error(fmt::format("checkpoint '{}': format '{}', expected '{}'",
                                         path.string(), file.metadata.at("format"),
                                         supernet_checkpoint_format));
  for (const auto& field : net.identity()) {
    const std::string& stored = detail::required_metadata(file, field.key, path);
    if (stored != field.value)
      throw std::runtime_error(fmt::format("checkpoint '{}': {} '{}', expected '{}'", path.string(),
                                           field.description, stored, field.value));
  }
  auto& params = net.parameters();
  auto& buffers = net.buffers();
  std::vector<T> values(params.size()), buffer_values(buffers.size()), exp_avg, exp_avg_sq;
  for (const auto& e : params.entries()) detail::read_tensor_into(file, e.name, e, values, path);
  for (const auto& e : buffers.entries())
    detail::read_tensor_into(file, e.name, e, buffer_values, path);
  long step = 0;
  if (optimizer) {
    exp_avg.resize(params.size());
    exp_avg_sq.resize(params.size());
    for (const auto& e : params.entries()) {
      detail::read_tensor_into(file, "optimizer.exp_avg." + e.name, e, exp_avg, path);
      detail::read_tensor_into(file, "optimizer.exp_avg_sq." + e.name, e, exp_avg_sq, path);
    }
    const std::string& text = detail::required_metadata(file, "optimizer.step", path);
    const char* const end = text.data() + text.size();
    const auto [last, error] = std::from_chars(text.data(), end, step);
    if (error != std::errc() || last != end || step < 0)
      throw std::runtime_error(fmt::format(
          "checkpoint '{}': optimizer.step '{}' is not an integer >= 0", path.string(), text));
  }
  rng_engine restored;
  if (rng) {
    try {
      restore_engine_state(restored, detail::required_metadata(file, "rng", path));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("checkpoint '{}': rng: {}", path.string(), e.what()));
    }
  }
  Backend::copy_from_host(values, params.values());
  Backend::copy_from_host(buffer_values, buffers.values());
  if (optimizer) {
    Backend::copy_from_host(exp_avg, optimizer->exp_avg());
    Backend::copy_from_host(exp_avg_sq, optimizer->exp_avg_sq());
    optimizer->set_steps(step);
  }
  if (rng) *rng = restored;
  return file.metadata;
}

template <supernet Net>
text_fields load_checkpoint(const std::filesystem::path& path, Net& net,
                            adamw<typename Net::backend>* optimizer = nullptr,
                            rng_engine* rng = nullptr) {
  return load_checkpoint(safetensors::load(path), path, net, optimizer, rng);
}

}  // namespace ovo::io
