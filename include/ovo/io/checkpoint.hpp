// Resumable supernet checkpoints in safetensors: weights, AdamW moments, step and random state.
#pragma once

#include <charconv>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/io/safetensors.hpp"
#include "ovo/nn/vit_supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/util/json.hpp"
#include "ovo/util/random.hpp"

namespace ovo::io {

inline constexpr const char* supernet_checkpoint_format = "ovo.supernet.v1";

template <class Layout>
constexpr const char* qkv_layout_name() {
  return Layout::interleaved ? "interleaved" : "blocked";
}

// The whole flat buffer of a back end's values, on the host.
template <class Backend>
std::vector<typename Backend::scalar> to_host(const typename Backend::scalar* values,
                                              std::size_t n) {
  std::vector<typename Backend::scalar> host(n);
  Backend::copy_to_host(values, host);
  return host;
}

// Writes (atomically) the supernet's weights, the optimiser's moments and step, the random
// engine's state and any extra string fields the trainer wants back on resume.
template <class Backend, class Layout>
void save_checkpoint(const std::filesystem::path& path, const vit_supernet<Backend, Layout>& net,
                     const adamw<Backend>& optimizer, const rng_engine& rng,
                     const std::map<std::string, std::string>& extra = {}) {
  using T = typename Backend::scalar;
  const auto& params = net.parameters();
  const auto values = to_host<Backend>(params.values(), params.size());
  const auto exp_avg = to_host<Backend>(optimizer.exp_avg(), params.size());
  const auto exp_avg_sq = to_host<Backend>(optimizer.exp_avg_sq(), params.size());
  safetensors file;
  for (const auto& [prefix, source] : {std::pair{"", &values},
                                       {"optimizer.exp_avg.", &exp_avg},
                                       {"optimizer.exp_avg_sq.", &exp_avg_sq}})
    for (const auto& e : params.entries())
      file.add<T>(prefix + e.name, e.shape, std::span<const T>(source->data() + e.offset, e.size));
  file.metadata = extra;
  file.metadata["format"] = supernet_checkpoint_format;
  file.metadata["shape"] = nlohmann::json(net.shape()).dump();
  file.metadata["qkv_layout"] = qkv_layout_name<Layout>();
  file.metadata["optimizer.step"] = std::to_string(optimizer.steps());
  file.metadata["rng"] = engine_state(rng);
  file.save(path);
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

// Restores what save_checkpoint wrote into a supernet of the same shape and layout (and, when
// given, the optimiser and the random engine); returns the metadata, the extra fields included.
// Nothing is changed unless the whole file matches.
// `file` is the checkpoint already read from `path` (named in the errors), for a caller that
// looked at its metadata first.
template <class Backend, class Layout>
std::map<std::string, std::string> load_checkpoint(const safetensors& file,
                                                   const std::filesystem::path& path,
                                                   vit_supernet<Backend, Layout>& net,
                                                   adamw<Backend>* optimizer = nullptr,
                                                   rng_engine* rng = nullptr) {
  using T = typename Backend::scalar;
  if (detail::required_metadata(file, "format", path) != supernet_checkpoint_format)
    throw std::runtime_error(fmt::format("checkpoint '{}': format '{}', expected '{}'",
                                         path.string(), file.metadata.at("format"),
                                         supernet_checkpoint_format));
  const std::string stored_shape = detail::required_metadata(file, "shape", path);
  const std::string expected_shape = nlohmann::json(net.shape()).dump();
  const auto shape_matches = [&] {
    try {
      return parse_json(stored_shape) == nlohmann::json(net.shape());
    } catch (const std::invalid_argument&) {
      return false;  // not JSON, so not the supernet's shape
    }
  };
  if (!shape_matches())
    throw std::runtime_error(fmt::format("checkpoint '{}': supernet shape {}, expected {}",
                                         path.string(), stored_shape, expected_shape));
  const std::string& layout = detail::required_metadata(file, "qkv_layout", path);
  if (layout != qkv_layout_name<Layout>())
    throw std::runtime_error(fmt::format("checkpoint '{}': qkv layout '{}', expected '{}'",
                                         path.string(), layout, qkv_layout_name<Layout>()));
  auto& params = net.parameters();
  std::vector<T> values(params.size()), exp_avg, exp_avg_sq;
  for (const auto& e : params.entries()) detail::read_tensor_into(file, e.name, e, values, path);
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
  if (optimizer) {
    Backend::copy_from_host(exp_avg, optimizer->exp_avg());
    Backend::copy_from_host(exp_avg_sq, optimizer->exp_avg_sq());
    optimizer->set_steps(step);
  }
  if (rng) *rng = restored;
  return file.metadata;
}

template <class Backend, class Layout>
std::map<std::string, std::string> load_checkpoint(const std::filesystem::path& path,
                                                   vit_supernet<Backend, Layout>& net,
                                                   adamw<Backend>* optimizer = nullptr,
                                                   rng_engine* rng = nullptr) {
  return load_checkpoint(safetensors::load(path), path, net, optimizer, rng);
}

}  // namespace ovo::io
