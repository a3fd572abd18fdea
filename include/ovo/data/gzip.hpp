// Gzip-compressed data files (IDX .gz) inflated through zlib: including this header lets every
// reader of data files in the program (data/file_stream.hpp) read them. CMake target ovo::gzip.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ovo/data/file_stream.hpp"

namespace ovo::data {

// A gzip file inflated through zlib. Every failure names the file (`kind` says what it holds).
class gzip_file_stream final : public byte_stream {
 public:
  gzip_file_stream(const std::filesystem::path& file, std::string_view kind)
      : file_(file), kind_(kind) {
    errno = 0;
    handle_.reset(::gzopen(file.c_str(), "rb"));
    if (handle_ == nullptr) throw std::runtime_error(detail::open_error(file_, kind_));
    ::gzbuffer(handle_.get(), 1 << 17);
  }

  std::size_t read_some(std::span<std::uint8_t> out) override {
    const auto want =
        static_cast<unsigned>(std::min<std::size_t>(out.size(), std::numeric_limits<int>::max()));
    const int result = ::gzread(handle_.get(), out.data(), want);
    int error_code = Z_OK;
    std::string_view message = ::gzerror(handle_.get(), &error_code);
    if (result < 0 || error_code != Z_OK) {
      const std::string zlib_prefix = file_.string() + ": ";  // zlib names the file itself
      if (message.starts_with(zlib_prefix)) message.remove_prefix(zlib_prefix.size());
      throw std::runtime_error(
          fmt::format("{} '{}': corrupt or unreadable data: {}", kind_, file_.string(), message));
    }
    return static_cast<std::size_t>(result);
  }

  // A gzip file inflates to at most deflate's largest ratio (1032:1) times its size.
  void expect_at_most(std::uint64_t bytes, std::string_view what) override {
    constexpr std::uint64_t deflate_max_ratio = 1032;
    const std::uint64_t file_bytes = detail::data_file_size(file_, kind_);
    const std::uint64_t most = file_bytes * deflate_max_ratio;
    if (bytes > most) {
      throw std::runtime_error(
          fmt::format("{} '{}': truncated {}: the header describes {} bytes in all, more than the "
                      "{}-byte gzip file can inflate to (at most {})",
                      kind_, file_.string(), what, bytes, file_bytes, most));
    }
  }

 private:
  struct gzclose_deleter {
    void operator()(gzFile handle) const { ::gzclose(handle); }
  };

  std::filesystem::path file_;
  std::string kind_;
  std::unique_ptr<gzFile_s, gzclose_deleter> handle_;
};

namespace detail {

inline std::unique_ptr<byte_stream> open_gzip_file(const std::filesystem::path& file,
                                                   std::string_view kind) {
  return std::make_unique<gzip_file_stream>(file, kind);
}

// Gzip support for the whole program, from before main() on.
inline const bool gzip_streams_enabled = (open_gzip_stream = &open_gzip_file, true);

}  // namespace detail

}  // namespace ovo::data
