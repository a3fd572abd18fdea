// Sequential reads of a data file's bytes, plain or gzip-compressed (with data/gzip.hpp), every
// failure naming the file.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace ovo::data {

// The (decompressed) bytes of one file, in order.
class byte_stream {
 public:
  virtual ~byte_stream() = default;
  // Reads up to out.size() bytes and returns how many it got (fewer only at the end of the data).
  virtual std::size_t read_some(std::span<std::uint8_t> out) = 0;
  // Fails unless the file can hold `bytes` bytes of data, `what` as its header describes them.
  virtual void expect_at_most(std::uint64_t bytes, std::string_view what) = 0;
};

namespace detail {

// The size of `file` in bytes; `kind` says what it holds (e.g. "IDX images file") in the error.
inline std::uint64_t data_file_size(const std::filesystem::path& file, std::string_view kind) {
  std::error_code error;
  const std::uint64_t bytes = std::filesystem::file_size(file, error);
  if (error) {
    throw std::runtime_error(
        fmt::format("{} '{}': cannot read the size: {}", kind, file.string(), error.message()));
  }
  return bytes;
}

inline std::string open_error(const std::filesystem::path& file, std::string_view kind) {
  return fmt::format("{} '{}': cannot open: {}", kind, file.string(),
                     errno != 0 ? std::strerror(errno) : "out of memory");
}

struct file_closer {
  void operator()(std::FILE* handle) const { std::fclose(handle); }
};
using file_handle = std::unique_ptr<std::FILE, file_closer>;

// A file read as it is.
class plain_file_stream final : public byte_stream {
 public:
  plain_file_stream(file_handle handle, std::filesystem::path file, std::string_view kind)
      : handle_(std::move(handle)), file_(std::move(file)), kind_(kind) {}

  std::size_t read_some(std::span<std::uint8_t> out) override {
    const std::size_t got = std::fread(out.data(), 1, out.size(), handle_.get());
    if (got < out.size() && std::ferror(handle_.get()) != 0) {
      throw std::runtime_error(fmt::format("{} '{}': corrupt or unreadable data: {}", kind_,
                                           file_.string(), std::strerror(errno)));
    }
    return got;
  }

  void expect_at_most(std::uint64_t bytes, std::string_view what) override {
    const std::uint64_t file_bytes = data_file_size(file_, kind_);
    if (bytes > file_bytes) {
      throw std::runtime_error(fmt::format(
          "{} '{}': truncated {}: the header describes {} bytes in all, the file holds {}", kind_,
          file_.string(), what, bytes, file_bytes));
    }
  }

 private:
  file_handle handle_;
  std::filesystem::path file_;
  std::string kind_;
};

// Opens a gzip-compressed file; set by data/gzip.hpp, null without it.
using gzip_stream_opener = std::unique_ptr<byte_stream> (*)(const std::filesystem::path& file,
                                                            std::string_view kind);
inline gzip_stream_opener open_gzip_stream = nullptr;

}  // namespace detail

// Opens `file` for reading: a file starting with the gzip magic (1f 8b) is inflated when a
// translation unit of the program includes <ovo/data/gzip.hpp> (CMake target ovo::gzip) and
// refused otherwise; other files are read as they are. `kind` says what the file holds (e.g.
// "IDX images file") in the errors.
inline std::unique_ptr<byte_stream> open_data_file(const std::filesystem::path& file,
                                                   std::string_view kind) {
  errno = 0;
  detail::file_handle handle(std::fopen(file.c_str(), "rb"));
  if (handle == nullptr) throw std::runtime_error(detail::open_error(file, kind));
  std::array<unsigned char, 2> magic{};
  const std::size_t got = std::fread(magic.data(), 1, magic.size(), handle.get());
  if (got == magic.size() && magic[0] == 0x1f && magic[1] == 0x8b) {
    handle.reset();
    if (detail::open_gzip_stream == nullptr) {
      throw std::runtime_error(
          fmt::format("{} '{}': gzip-compressed, and this program reads plain files only: "
                      "include <ovo/data/gzip.hpp> and link ovo::gzip to read it",
                      kind, file.string()));
    }
    return detail::open_gzip_stream(file, kind);
  }
  if (std::fseek(handle.get(), 0, SEEK_SET) != 0)
    throw std::runtime_error(detail::open_error(file, kind));
  return std::make_unique<detail::plain_file_stream>(std::move(handle), file, kind);
}

// Reads a data file front to back (see open_data_file), checking that it holds what its header
// describes. Every failure names the file (`kind` says what it holds).
class data_file_reader {
 public:
  data_file_reader(const std::filesystem::path& file, std::string_view kind)
      : file_(file), kind_(kind), stream_(open_data_file(file, kind)) {}

  // Appends exactly `count` bytes to `out`, growing it chunk by chunk so that a header promising
  // more data than the file holds fails on the missing bytes rather than on a huge allocation.
  void read_into(std::vector<std::uint8_t>& out, std::size_t count, std::string_view what) {
    constexpr std::size_t chunk = std::size_t{1} << 20;
    const std::size_t start = out.size();
    out.reserve(start + std::min(count, std::size_t{64} << 20));
    std::size_t done = 0;
    while (done < count) {
      const std::size_t want = std::min(chunk, count - done);
      out.resize(start + done + want);
      const std::size_t got = read_fully(std::span(out.data() + start + done, want));
      done += got;
      if (got < want) {
        throw std::runtime_error(fmt::format("{} '{}': truncated {}: expected {} bytes, found {}",
                                             kind_, file_.string(), what, count, done));
      }
    }
  }

  std::uint32_t read_big_endian_u32(std::string_view what) {
    std::vector<std::uint8_t> bytes;
    read_into(bytes, 4, what);
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
           std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
  }

  // Fails unless the file can hold `bytes` bytes of (decompressed) data, `what` as the header
  // describes them. Checked before the data is read, so a header cannot make the reader allocate
  // for data the file does not have.
  void expect_at_most_file(std::uint64_t bytes, std::string_view what) {
    stream_->expect_at_most(bytes, what);
  }

  // Fails when the (decompressed) data goes on past what the header described.
  void expect_end(std::size_t expected_bytes) {
    std::array<std::uint8_t, 1> extra{};
    if (read_fully(extra) != 0) {
      throw std::runtime_error(
          fmt::format("{} '{}': trailing data after the {} bytes that the header describes", kind_,
                      file_.string(), expected_bytes));
    }
  }

 private:
  // Reads out.size() bytes, fewer only at the end of the data.
  std::size_t read_fully(std::span<std::uint8_t> out) {
    std::size_t got = 0;
    while (got < out.size()) {
      const std::size_t n = stream_->read_some(out.subspan(got));
      if (n == 0) break;
      got += n;
    }
    return got;
  }

  std::filesystem::path file_;
  std::string kind_;
  std::unique_ptr<byte_stream> stream_;
};

}  // namespace ovo::data
