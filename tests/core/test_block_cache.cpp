// The block cache in front of the CUDA back end's temporary allocations, on host memory.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <vector>

#include <ovo/backend/block_cache.hpp>

namespace {

// malloc and free, counted: what the cache asked of its upstream allocator.
struct counting_upstream {
  std::map<void*, bool>* live;
  void* allocate(std::size_t bytes) {
    void* p = std::malloc(bytes);
    (*live)[p] = true;
    return p;
  }
  void deallocate(void* p) {
    REQUIRE(live->erase(p) == 1);
    std::free(p);
  }
};

}  // namespace

TEST_CASE("block cache: a repeated pattern of requests allocates upstream only the first time") {
  std::map<void*, bool> live;
  {
    ovo::block_cache<counting_upstream> cache(counting_upstream{&live});
    const std::vector<std::ptrdiff_t> step{100, 4096, 513, 70'000, 4096};
    for (int repeat = 0; repeat < 5; ++repeat) {
      std::vector<char*> held;
      for (const auto bytes : step) {
        char* p = cache.allocate(bytes);
        p[0] = p[bytes - 1] = 1;  // the whole request is usable
        held.push_back(p);
      }
      // Live blocks are distinct.
      for (std::size_t i = 0; i < held.size(); ++i)
        for (std::size_t j = i + 1; j < held.size(); ++j) CHECK(held[i] != held[j]);
      for (std::size_t i = 0; i < held.size(); ++i)
        cache.deallocate(held[i], static_cast<std::size_t>(step[i]));
      CHECK(cache.upstream_allocations() == 5);
      CHECK(cache.blocks_in_use() == 0);
    }
    // 100 and 513 round up to 512 and 1024 bytes, 70,000 to 70,144.
    CHECK(cache.bytes_held() == 512 + 4096 + 1024 + 70'144 + 4096);
    CHECK(live.size() == 5);
    cache.release();
    CHECK(cache.bytes_held() == 0);
    CHECK(live.empty());
  }
  CHECK(live.empty());
}

TEST_CASE("block cache: a free block serves requests of half its size or more, not smaller") {
  std::map<void*, bool> live;
  ovo::block_cache<counting_upstream> cache(counting_upstream{&live});
  char* big = cache.allocate(8192);
  cache.deallocate(big, 8192);
  char* half = cache.allocate(4096);
  CHECK(half == big);
  cache.deallocate(half, 4096);
  char* small = cache.allocate(4095 - 512);
  CHECK(small != big);
  CHECK(cache.upstream_allocations() == 2);
  cache.deallocate(small, 4095 - 512);
  CHECK_THROWS_WITH_AS(cache.deallocate(big + 1, 1),
                       "block_cache::deallocate: a pointer this cache did not hand out",
                       std::logic_error);
  CHECK_THROWS_AS(cache.allocate(-1), std::invalid_argument);
}
