// Readers of MNIST-style IDX files (images and labels, plain or gzip-compressed).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
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
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"

namespace ovo::data {

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // unsigned bytes, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // unsigned bytes, 1 dimension

namespace detail {

// Sequential reads of a file through zlib, which inflates gzip files and reads other files as they
// are. Every failure names the file (`kind` says what it holds, e.g. "IDX images file").
class gzip_reader {
 public:
  gzip_reader(const std::filesystem::path& file, std::string_view kind) : file_(file), kind_(kind) {
    errno = 0;
    handle_.reset(::gzopen(file.c_str(), "rb"));
    if (handle_ == nullptr) {
      throw std::runtime_error(fmt::format("{} '{}': cannot open: {}", kind_, file_.string(),
                                           errno != 0 ? std::strerror(errno) : "out of memory"));
    }
    ::gzbuffer(handle_.get(), 1 << 17);
  }

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
      const std::size_t got = read_some(std::span(out.data() + start + done, want));
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
  // describes them: a plain file holds its size, a gzip file at most deflate's largest ratio
  // (1032:1) times it. Checked before the data is read, so a header cannot make the reader
  // allocate for data the file does not have.
  void expect_at_most_file(std::uint64_t bytes, std::string_view what) {
    constexpr std::uint64_t deflate_max_ratio = 1032;
    std::error_code error;
    const std::uint64_t file_bytes = std::filesystem::file_size(file_, error);
    if (error) {
      throw std::runtime_error(
          fmt::format("{} '{}': cannot read the size: {}", kind_, file_.string(), error.message()));
    }
    const bool plain = ::gzdirect(handle_.get()) == 1;
    const std::uint64_t most = plain ? file_bytes : file_bytes * deflate_max_ratio;
    if (bytes > most) {
      throw std::runtime_error(
          plain ? fmt::format("{} '{}': truncated {}: the header describes {} bytes in all, the "
                              "file holds {}",
                              kind_, file_.string(), what, bytes, file_bytes)
                : fmt::format("{} '{}': truncated {}: the header describes {} bytes in all, more "
                              "than the {}-byte gzip file can inflate to (at most {})",
                              kind_, file_.string(), what, bytes, file_bytes, most));
    }
  }

  // Fails when the (decompressed) data goes on past what the header described.
  void expect_end(std::size_t expected_bytes) {
    std::array<std::uint8_t, 1> extra{};
    if (read_some(extra) != 0) {
      throw std::runtime_error(
          fmt::format("{} '{}': trailing data after the {} bytes that the header describes", kind_,
                      file_.string(), expected_bytes));
    }
  }

 private:
  struct gzclose_deleter {
    void operator()(gzFile handle) const { ::gzclose(handle); }
  };

  // Reads up to out.size() bytes and returns how many it got (fewer only at the end of the data).
  std::size_t read_some(std::span<std::uint8_t> out) {
    std::size_t got = 0;
    while (got < out.size()) {
      const auto want = static_cast<unsigned>(
          std::min<std::size_t>(out.size() - got, std::numeric_limits<int>::max()));
      const int result = ::gzread(handle_.get(), out.data() + got, want);
      int error_code = Z_OK;
      std::string_view message = ::gzerror(handle_.get(), &error_code);
      if (result < 0 || error_code != Z_OK) {
        const std::string zlib_prefix = file_.string() + ": ";  // zlib names the file itself
        if (message.starts_with(zlib_prefix)) message.remove_prefix(zlib_prefix.size());
        throw std::runtime_error(
            fmt::format("{} '{}': corrupt or unreadable data: {}", kind_, file_.string(), message));
      }
      if (result == 0) break;
      got += static_cast<std::size_t>(result);
    }
    return got;
  }

  std::filesystem::path file_;
  std::string kind_;
  std::unique_ptr<gzFile_s, gzclose_deleter> handle_;
};

}  // namespace detail

// The images of an IDX file: `count` images of height x width bytes, one after the other.
struct idx_images {
  std::size_t count = 0;
  int height = 0, width = 0;
  std::vector<std::uint8_t> pixels;
};

// Reads an IDX images file (magic 0x00000803: unsigned bytes, dimensions count x rows x columns).
inline idx_images read_idx_images(const std::filesystem::path& file) {
  constexpr std::string_view kind = "IDX images file";
  detail::gzip_reader reader(file, kind);
  const std::uint32_t magic = reader.read_big_endian_u32("header");
  if (magic != idx_images_magic) {
    throw std::runtime_error(fmt::format(
        "{} '{}': magic number {:#010x}, expected {:#010x} (unsigned bytes, 3 dimensions)", kind,
        file.string(), magic, idx_images_magic));
  }
  const std::uint32_t count = reader.read_big_endian_u32("header");
  const std::uint32_t rows = reader.read_big_endian_u32("header");
  const std::uint32_t columns = reader.read_big_endian_u32("header");
  constexpr std::uint32_t max_side = 1 << 15;
  if (rows == 0 || columns == 0 || rows > max_side || columns > max_side) {
    throw std::runtime_error(fmt::format("{} '{}': images of {} x {} pixels, expected sides 1..{}",
                                         kind, file.string(), rows, columns, max_side));
  }
  idx_images out;
  out.count = count;
  out.height = static_cast<int>(rows);
  out.width = static_cast<int>(columns);
  const std::size_t pixel_bytes = std::size_t{count} * rows * columns;
  const std::string what = fmt::format("pixels of {} images", count);
  reader.expect_at_most_file(16 + pixel_bytes, what);
  reader.read_into(out.pixels, pixel_bytes, what);
  reader.expect_end(16 + pixel_bytes);
  return out;
}

// Reads an IDX labels file (magic 0x00000801: unsigned bytes, one dimension); every label must be
// below `classes`.
inline std::vector<int> read_idx_labels(const std::filesystem::path& file, int classes) {
  constexpr std::string_view kind = "IDX labels file";
  if (classes < 1 || classes > 256) {
    throw std::invalid_argument(
        fmt::format("{} '{}': {} classes, expected 1..256", kind, file.string(), classes));
  }
  detail::gzip_reader reader(file, kind);
  const std::uint32_t magic = reader.read_big_endian_u32("header");
  if (magic != idx_labels_magic) {
    throw std::runtime_error(fmt::format(
        "{} '{}': magic number {:#010x}, expected {:#010x} (unsigned bytes, 1 dimension)", kind,
        file.string(), magic, idx_labels_magic));
  }
  const std::uint32_t count = reader.read_big_endian_u32("header");
  const std::string what = fmt::format("{} labels", count);
  reader.expect_at_most_file(8 + std::uint64_t{count}, what);
  std::vector<std::uint8_t> bytes;
  reader.read_into(bytes, count, what);
  reader.expect_end(8 + std::size_t{count});
  std::vector<int> labels(bytes.begin(), bytes.end());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      throw std::runtime_error(fmt::format("{} '{}': label {} of item {}, expected 0..{}", kind,
                                           file.string(), labels[i], i, classes - 1));
    }
  }
  return labels;
}

// One labelled set from an IDX images file and the matching IDX labels file (channels = 1, no
// class names: see fashion_mnist_class_names()).
inline image_set load_idx(const std::filesystem::path& images_file,
                          const std::filesystem::path& labels_file, int classes = 10) {
  idx_images images = read_idx_images(images_file);
  std::vector<int> labels = read_idx_labels(labels_file, classes);
  if (labels.size() != images.count) {
    throw std::runtime_error(fmt::format("IDX files '{}' and '{}': {} images but {} labels",
                                         images_file.string(), labels_file.string(), images.count,
                                         labels.size()));
  }
  image_set out;
  out.height = images.height;
  out.width = images.width;
  out.channels = 1;
  out.classes = classes;
  out.pixels = std::move(images.pixels);
  out.labels = std::move(labels);
  return out;
}

// The "train" or "test" split of an MNIST-layout directory: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain or with a
// .gz suffix (the plain file wins when both exist). Fashion-MNIST uses the same names.
inline image_set load_mnist_split(const std::filesystem::path& dir, std::string_view split) {
  if (split != "train" && split != "test") {
    throw std::invalid_argument(fmt::format(
        "load_mnist_split '{}': split '{}', expected 'train' or 'test'", dir.string(), split));
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  const auto find = [&](const std::string& name) {
    const std::filesystem::path plain = dir / name;
    if (std::filesystem::exists(plain)) return plain;
    std::filesystem::path gzipped = plain;
    gzipped += ".gz";
    if (std::filesystem::exists(gzipped)) return gzipped;
    throw std::runtime_error(
        fmt::format("load_mnist_split: {} split needs '{}' or '{}', found neither", split,
                    plain.string(), gzipped.string()));
  };
  return load_idx(find(prefix + "-images-idx3-ubyte"), find(prefix + "-labels-idx1-ubyte"));
}

// Fashion-MNIST's class names, by label.
inline const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace ovo::data
