// The two gradient passes of the gradient proxies, on one subnet: the cross-entropy of a labelled
// batch, and synflow's pass through the absolute weights. Each leaves the weights bit for bit as
// it found them and the gradients zeroed, also when it throws.
#pragma once

#include <cmath>
#include <span>
#include <vector>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/subnet_values.hpp"

namespace ovo {

// Images and their targets [batch, classes] (one-hot or soft), both in back-end memory.
template <class T>
struct labelled_images {
  image_batch<T> images;
  const T* targets = nullptr;
};

namespace detail {

// On leaving its scope, writes the saved weights back (when given) and zeroes the gradients.
template <class Backend>
class parameter_state_guard {
 public:
  using T = typename Backend::scalar;
  parameter_state_guard(parameter_store<Backend>& store, const std::vector<T>* saved_values)
      : store_(store), saved_values_(saved_values) {}
  parameter_state_guard(const parameter_state_guard&) = delete;
  parameter_state_guard& operator=(const parameter_state_guard&) = delete;
  ~parameter_state_guard() {
    if (saved_values_ != nullptr)
      Backend::copy_from_host(std::span<const T>(*saved_values_), store_.values());
    store_.zero_grad();
  }

 private:
  parameter_store<Backend>& store_;
  const std::vector<T>* saved_values_;
};

}  // namespace detail

// The subnet's trainable tensors with the gradients of the mean cross-entropy of `batch` (an
// evaluation pass: no drop-path, batch norms on their running statistics).
template <supernet Net>
std::vector<subnet_values> cross_entropy_gradients(Net& net, const arch_of<Net>& a,
                                                   const labelled_images<scalar_of<Net>>& batch) {
  using Backend = typename Net::backend;
  detail::parameter_state_guard<Backend> guard(net.parameters(), nullptr);
  net.parameters().zero_grad();
  const int rows = batch.images.batch, classes = net.classes();
  typename Backend::template buffer<scalar_of<Net>> dlogits(static_cast<std::size_t>(rows) *
                                                            static_cast<std::size_t>(classes));
  const auto* logits = net.forward(batch.images, a, forward_mode::eval());
  cross_entropy<Backend>(logits, batch.targets, rows, classes, nullptr, dlogits.data());
  net.backward(dlogits.data());
  return gather_subnet_values(net, a, true);
}

// Synflow's linearised pass: every parameter replaced by its absolute value (buffers are kept),
// one all-ones image, an evaluation pass, R = the sum of the logits. Returns the subnet's
// trainable tensors with their absolute values and dR/d(value); the signed weights are restored.
template <supernet Net>
std::vector<subnet_values> linearised_gradients(Net& net, const arch_of<Net>& a) {
  using Backend = typename Net::backend;
  using T = scalar_of<Net>;
  auto& store = net.parameters();
  std::vector<T> saved(store.size());
  Backend::copy_to_host(store.values(), std::span<T>(saved));
  detail::parameter_state_guard<Backend> guard(store, &saved);
  std::vector<T> magnitudes(saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) magnitudes[i] = std::abs(saved[i]);
  Backend::copy_from_host(std::span<const T>(magnitudes), store.values());
  store.zero_grad();
  const image_geometry in = net.input();
  typename Backend::template buffer<T> ones(in.values()),
      dlogits(static_cast<std::size_t>(net.classes()));
  Backend::fill(ones.data(), ones.size(), T(1));
  Backend::fill(dlogits.data(), dlogits.size(), T(1));
  net.forward({ones.data(), 1, in.channels, in.height, in.width}, a, forward_mode::eval());
  net.backward(dlogits.data());
  return gather_subnet_values(net, a, true);
}

}  // namespace ovo
