// Readers of MNIST-style IDX files (images and labels; gzip-compressed ones with data/gzip.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/file_stream.hpp"
#include "ovo/data/image.hpp"

namespace ovo::data {

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // unsigned bytes, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // unsigned bytes, 1 dimension

// The images of an IDX file: `count` images of height x width bytes, one after the other.
struct idx_images {
  std::size_t count = 0;
  int height = 0, width = 0;
  std::vector<std::uint8_t> pixels;
};

// Reads an IDX images file (magic 0x00000803: unsigned bytes, dimensions count x rows x columns).
inline idx_images read_idx_images(const std::filesystem::path& file) {
  constexpr std::string_view kind = "IDX images file";
  data_file_reader reader(file, kind);
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
  data_file_reader reader(file, kind);
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
// .gz suffix (the plain file wins when both exist; a .gz file needs data/gzip.hpp). Fashion-MNIST
// uses the same names.
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
