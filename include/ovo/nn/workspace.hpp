// One activation arena sized once for the supernet and reused by every step (no allocation in a
// step).
#pragma once

#include <cstddef>
#include <stdexcept>

namespace ovo {

// A handle to one region of the arena, fixed once reserved.
struct workspace_slot {
  std::size_t offset = 0;
  std::size_t size = 0;
};

template <class Backend>
class workspace {
 public:
  using T = typename Backend::scalar;

  workspace_slot reserve(std::size_t count) {
    if (!storage_.empty()) throw std::logic_error("workspace: reserve after allocate");
    constexpr std::size_t align = 64 / sizeof(T) > 0 ? 64 / sizeof(T) : 1;  // 64-byte regions
    const workspace_slot slot{total_, count};
    total_ += (count + align - 1) / align * align;
    return slot;
  }
  void allocate() { storage_.assign(total_, T(0)); }

  T* operator[](workspace_slot s) { return storage_.data() + s.offset; }
  const T* operator[](workspace_slot s) const { return storage_.data() + s.offset; }
  std::size_t size() const { return total_; }

 private:
  std::size_t total_ = 0;
  typename Backend::template buffer<T> storage_;
};

}  // namespace ovo
