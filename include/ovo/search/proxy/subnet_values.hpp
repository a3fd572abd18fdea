// A subnet's trainable tensors copied to the host, dense in double: what the proxies sum over.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ovo/io/subnet_export.hpp"
#include "ovo/nn/supernet.hpp"

namespace ovo {

// One trainable tensor of a subnet in its standalone shape: its values and, when gathered with
// them, the gradients the network holds.
struct subnet_values {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<double> value, grad;  // grad empty unless gathered with gradients

  // A linear or convolution weight: rank 2 or more and a name ending in "weight". Norms and
  // biases (rank 1), the class token and the position embedding (named otherwise) are not.
  bool is_layer_weight() const {
    constexpr std::string_view suffix = "weight";
    return shape.size() >= 2 && name.size() >= suffix.size() &&
           std::string_view(name).substr(name.size() - suffix.size()) == suffix;
  }
  // Rows x columns of the weight as a matrix: [out, everything else] (a convolution's
  // [out, in * k * k]).
  std::int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  std::int64_t cols() const {
    return rows() == 0 ? 0 : static_cast<std::int64_t>(value.size()) / rows();
  }
};

// The trainable tensors of subnet `a` (net.subnet_tensors(a) without the buffers), with the
// network's current values and, when `with_gradients`, its current gradients.
template <supernet Net>
std::vector<subnet_values> gather_subnet_values(const Net& net, const arch_of<Net>& a,
                                                bool with_gradients) {
  using T = scalar_of<Net>;
  using Backend = typename Net::backend;
  const auto& store = net.parameters();
  std::vector<T> values(store.size()), grads(with_gradients ? store.size() : 0);
  Backend::copy_to_host(store.values(), std::span<T>(values));
  if (with_gradients) Backend::copy_to_host(store.grads(), std::span<T>(grads));
  const auto in_double = [](const std::vector<T>& v) {
    return std::vector<double>(v.begin(), v.end());
  };
  std::vector<subnet_values> out;
  for (const auto& t : net.subnet_tensors(a)) {
    if (t.buffer) continue;
    out.push_back({t.name, t.shape, in_double(io::gather(values, t)),
                   with_gradients ? in_double(io::gather(grads, t)) : std::vector<double>{}});
  }
  return out;
}

}  // namespace ovo
