// Named super-shaped parameters in one flat value buffer and one flat gradient buffer.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ovo/util/random.hpp"

namespace ovo {

// How a parameter starts: timm's ViT init (truncated normal, std 0.02, for weights and tokens),
// PyTorch's default for a convolution's weight (uniform in +-1 / sqrt(fan_in)), or torchvision's
// ResNet convolutions (normal, std sqrt(2 / fan_out): Kaiming's for ReLU, mode fan_out).
enum class parameter_init { zeros, ones, truncated_normal, fan_in_uniform, kaiming_normal_fan_out };

// The fan_in of a weight [out, in, k...]: in times the elements of one kernel.
inline double fan_in(const std::vector<std::int64_t>& shape) {
  double fan = 1.0;
  for (std::size_t i = 1; i < shape.size(); ++i) fan *= static_cast<double>(shape[i]);
  return fan;
}

// The fan_out of a weight [out, in, k...]: out times the elements of one kernel.
inline double fan_out(const std::vector<std::int64_t>& shape) {
  double fan = shape.empty() ? 1.0 : static_cast<double>(shape[0]);
  for (std::size_t i = 2; i < shape.size(); ++i) fan *= static_cast<double>(shape[i]);
  return fan;
}

struct parameter_info {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;
  std::size_t size = 0;
  bool decay = true;  // whether AdamW's weight decay applies (not to biases, norms, tokens)
  parameter_init init = parameter_init::zeros;
};

// A handle to one parameter: its offset in the flat buffers, fixed once registered.
struct parameter_ref {
  std::size_t offset = 0;
};

template <class Backend>
class parameter_store {
 public:
  using T = typename Backend::scalar;

  parameter_ref add(std::string name, std::vector<std::int64_t> shape, bool decay,
                    parameter_init init) {
    if (!values_.empty()) throw std::logic_error("parameter_store: add after allocate");
    const auto size = static_cast<std::size_t>(
        std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()));
    parameter_info info{std::move(name), std::move(shape), total_, size, decay, init};
    total_ += size;
    entries_.push_back(std::move(info));
    return {entries_.back().offset};
  }

  void allocate() {
    values_.assign(total_, T(0));
    grads_.assign(total_, T(0));
  }

  T* value(parameter_ref p) { return values_.data() + p.offset; }
  const T* value(parameter_ref p) const { return values_.data() + p.offset; }
  T* grad(parameter_ref p) { return grads_.data() + p.offset; }
  const T* grad(parameter_ref p) const { return grads_.data() + p.offset; }

  T* values() { return values_.data(); }
  const T* values() const { return values_.data(); }
  T* grads() { return grads_.data(); }
  const T* grads() const { return grads_.data(); }
  std::size_t size() const { return total_; }

  const std::vector<parameter_info>& entries() const { return entries_; }
  const parameter_info& find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return e;
    throw std::out_of_range(fmt::format("parameters: no parameter named '{}'", name));
  }

  // Every parameter set by its init rule, normal draws in registration order; `stddev` is the
  // truncated normal's.
  void initialize(rng_engine& rng, double stddev = 0.02) {
    std::vector<T> host(total_);
    for (const auto& e : entries_) {
      const double kaiming_stddev = std::sqrt(2.0 / fan_out(e.shape));
      for (std::size_t i = 0; i < e.size; ++i)
        host[e.offset + i] = e.init == parameter_init::ones    ? T(1)
                             : e.init == parameter_init::zeros ? T(0)
                             : e.init == parameter_init::fan_in_uniform
                                 ? T((2 * uniform_unit(rng) - 1) / std::sqrt(fan_in(e.shape)))
                             : e.init == parameter_init::kaiming_normal_fan_out
                                 ? T(kaiming_stddev * standard_normal(rng))
                                 : T(truncated_normal(rng, stddev));
    }
    Backend::copy_from_host(host, values_.data());
  }

  void zero_grad() { Backend::fill(grads_.data(), grads_.size(), T(0)); }

 private:
  std::vector<parameter_info> entries_;
  std::size_t total_ = 0;
  typename Backend::template buffer<T> values_, grads_;
};

}  // namespace ovo
