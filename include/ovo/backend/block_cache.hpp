// A cache of freed memory blocks in front of an allocator that is slow to call (cudaMalloc
// synchronises the device): a freed block is kept and handed out again for a request it fits, so
// a loop of steps that asks for the same sizes allocates only in its first step.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

namespace ovo {

// Upstream: allocate(bytes) -> void* (throws on failure) and deallocate(void*). The interface is
// Thrust's for temporary storage (value_type char, allocate, deallocate), so a policy can take a
// cache by reference: thrust::cuda::par_nosync(cache).on(stream). Blocks are reused in the order
// their work was issued, which is safe when every user of the cache issues on one stream.
template <class Upstream>
class block_cache {
 public:
  using value_type = char;

  // Requests are rounded up to a multiple of `granularity` bytes; a free block serves a request
  // of at least half its size.
  static constexpr std::size_t granularity = 512;

  explicit block_cache(Upstream upstream = {}) : upstream_(std::move(upstream)) {}
  ~block_cache() { release(); }
  block_cache(const block_cache&) = delete;
  block_cache& operator=(const block_cache&) = delete;

  char* allocate(std::ptrdiff_t requested) {
    if (requested < 0)
      throw std::invalid_argument(fmt::format("block_cache: a request of {} bytes", requested));
    const std::size_t bytes = round_up(static_cast<std::size_t>(requested));
    auto block = free_.lower_bound(bytes);
    if (block != free_.end() && block->first / 2 <= bytes) {
      const auto [size, pointer] = *block;
      free_.erase(block);
      live_.emplace(pointer, size);
      return pointer;
    }
    char* pointer = static_cast<char*>(upstream_.allocate(bytes));
    ++upstream_allocations_;
    held_ += bytes;
    live_.emplace(pointer, bytes);
    return pointer;
  }

  void deallocate(char* pointer, std::size_t /*requested*/) {
    const auto block = live_.find(pointer);
    if (block == live_.end())
      throw std::logic_error("block_cache::deallocate: a pointer this cache did not hand out");
    free_.emplace(block->second, pointer);
    live_.erase(block);
  }

  // Returns every free block to the upstream allocator; blocks in use stay.
  void release() {
    for (const auto& [size, pointer] : free_) {
      upstream_.deallocate(pointer);
      held_ -= size;
    }
    free_.clear();
  }

  // Bytes taken from the upstream allocator and not returned, in use or free.
  std::size_t bytes_held() const { return held_; }
  std::size_t blocks_in_use() const { return live_.size(); }
  long upstream_allocations() const { return upstream_allocations_; }

 private:
  static std::size_t round_up(std::size_t bytes) {
    return (std::max<std::size_t>(bytes, 1) + granularity - 1) / granularity * granularity;
  }

  Upstream upstream_;
  std::multimap<std::size_t, char*> free_;  // by size
  std::unordered_map<char*, std::size_t> live_;
  std::size_t held_ = 0;
  long upstream_allocations_ = 0;
};

}  // namespace ovo
