// Whole-file reads, and writes that atomically replace a file (temporary file, fsync, rename).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ovo::io {

namespace detail {

inline std::runtime_error file_error(std::string_view operation, const std::filesystem::path& path,
                                     std::string_view step, int error_number) {
  return std::runtime_error(std::string(operation) + " '" + path.string() +
                            "': " + std::string(step) + " failed: " + std::strerror(error_number));
}

// A name unique among concurrent writers: the process id plus a per-process sequence number.
inline std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned long long> next_sequence_number{0};
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid()) + "." +
               std::to_string(next_sequence_number.fetch_add(1));
  return temporary;
}

// Closes a descriptor on scope exit unless it was released (for the error paths).
class file_descriptor_guard {
 public:
  explicit file_descriptor_guard(int descriptor) : descriptor_(descriptor) {}
  file_descriptor_guard(const file_descriptor_guard&) = delete;
  file_descriptor_guard& operator=(const file_descriptor_guard&) = delete;
  ~file_descriptor_guard() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  int get() const { return descriptor_; }
  int release() {
    const int descriptor = descriptor_;
    descriptor_ = -1;
    return descriptor;
  }

 private:
  int descriptor_;
};

// Writes all bytes, retrying partial writes and EINTR. Returns 0 or the errno of the failure.
inline int write_all(int descriptor, std::span<const std::byte> bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ::ssize_t result = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (result < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    written += static_cast<std::size_t>(result);
  }
  return 0;
}

}  // namespace detail

// Writes `bytes` to `path` so that readers see either the old file or the complete new one: the
// data goes to a temporary file in the same directory, is fsync'ed, and is renamed over `path`.
inline void write_file_atomically(const std::filesystem::path& path,
                                  std::span<const std::byte> bytes) {
  constexpr std::string_view operation = "write_file_atomically";
  const std::filesystem::path temporary = detail::temporary_path_for(path);

  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                                S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
  if (descriptor < 0) {
    const int error_number = errno;
    throw detail::file_error(operation, path,
                             "creating temporary file '" + temporary.string() + "'", error_number);
  }
  detail::file_descriptor_guard guard(descriptor);
  const auto fail = [&](std::string_view step, int error_number) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return detail::file_error(operation, path, step, error_number);
  };

  if (const int error_number = detail::write_all(descriptor, bytes); error_number != 0) {
    throw fail("writing temporary file '" + temporary.string() + "'", error_number);
  }
  if (::fsync(descriptor) != 0) {
    const int error_number = errno;
    throw fail("fsync of temporary file '" + temporary.string() + "'", error_number);
  }
  if (::close(guard.release()) != 0) {
    const int error_number = errno;
    throw fail("closing temporary file '" + temporary.string() + "'", error_number);
  }
  std::error_code rename_error;
  std::filesystem::rename(temporary, path, rename_error);
  if (rename_error) {
    throw fail("renaming '" + temporary.string() + "' over it", rename_error.value());
  }
}

inline void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

// Reads a whole file into memory.
inline std::vector<std::byte> read_file_bytes(const std::filesystem::path& path) {
  constexpr std::string_view operation = "read_file_bytes";
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) throw detail::file_error(operation, path, "opening", errno);
  detail::file_descriptor_guard guard(descriptor);

  struct ::stat status {};
  if (::fstat(descriptor, &status) != 0) throw detail::file_error(operation, path, "fstat", errno);

  std::vector<std::byte> bytes;
  if (status.st_size > 0) bytes.reserve(static_cast<std::size_t>(status.st_size));
  std::byte chunk[1 << 16];
  while (true) {
    const ::ssize_t result = ::read(descriptor, chunk, sizeof chunk);
    if (result < 0) {
      if (errno == EINTR) continue;
      throw detail::file_error(operation, path, "reading", errno);
    }
    if (result == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + result);
  }
  if (::close(guard.release()) != 0) throw detail::file_error(operation, path, "closing", errno);
  return bytes;
}

}  // namespace ovo::io
