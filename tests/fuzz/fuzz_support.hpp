// Shared by the fuzz targets and their seed writer: the small space, in-memory files, failures.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>

#include <ovo/space/vit_space.hpp>

namespace ovo::fuzz {

// The space of the checkpoint target's supernet and of the seed subnets: a few hundred weights,
// so that mutations of a seed reach every tensor quickly.
using small_space = vit_space<embed<4, 8>, depth<1, 2>, heads<1, 2>, mlp_ratio<1.0, 2.0>,
                              image<4, 2, 1>, classes<3>, head_dim<2>>;

// Stops the run when a reader broke a promise it makes (libFuzzer reports the abort as a crash
// and keeps the input).
[[noreturn]] inline void property_violated(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}

// A file that lives in memory (memfd), for readers that only take a path: each run rewrites it and
// hands the reader /proc/self/fd/<n>.
class memory_file {
 public:
  memory_file() : descriptor_(::memfd_create("ovo_fuzz_input", MFD_CLOEXEC)) {
    if (descriptor_ < 0) throw std::runtime_error("memfd_create failed");
  }
  memory_file(const memory_file&) = delete;
  memory_file& operator=(const memory_file&) = delete;
  ~memory_file() { ::close(descriptor_); }

  // Replaces the contents with `bytes` and returns the path that opens them.
  std::filesystem::path hold(std::span<const std::uint8_t> bytes) {
    if (::ftruncate(descriptor_, 0) != 0) throw std::runtime_error("ftruncate failed");
    std::size_t written = 0;
    while (written < bytes.size()) {
      const ::ssize_t n = ::pwrite(descriptor_, bytes.data() + written, bytes.size() - written,
                                   static_cast<::off_t>(written));
      if (n <= 0) throw std::runtime_error("pwrite failed");
      written += static_cast<std::size_t>(n);
    }
    return "/proc/self/fd/" + std::to_string(descriptor_);
  }

 private:
  int descriptor_;
};

}  // namespace ovo::fuzz
