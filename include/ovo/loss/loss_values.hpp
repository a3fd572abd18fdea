// Losses kept in back-end memory as the loss ops write them, read to the host together in one wait.
#pragma once

#include <cassert>
#include <cstddef>
#include <span>
#include <vector>

namespace ovo {

// Numbered slots of back-end memory for losses (loss/cross_entropy.hpp, loss/distillation.hpp): a
// training step writes each of its losses into a slot without waiting and reads them all at once,
// the one wait of its step, before checking them and updating anything.
template <class Backend>
class loss_values {
 public:
  using T = typename Backend::scalar;

  explicit loss_values(std::size_t slots = 1) : device_(slots), host_(slots) {}

  // At least n slots (an allocation when there are fewer: call it before the step's work).
  void reserve(std::size_t n) {
    if (n <= host_.size()) return;
    device_ = typename Backend::template buffer<T>(n);
    host_.resize(n);
  }
  std::size_t size() const { return host_.size(); }

  // Slot i in back-end memory, for an op to write.
  T* slot(std::size_t i) {
    assert(i < host_.size());
    return device_.data() + i;
  }
  // Slots [0, n) on the host: waits for the work issued before it.
  std::span<const T> read(std::size_t n) {
    assert(n <= host_.size());
    Backend::copy_to_host(device_.data(), std::span<T>(host_.data(), n));
    return {host_.data(), n};
  }

 private:
  typename Backend::template buffer<T> device_;
  std::vector<T> host_;
};

}  // namespace ovo
