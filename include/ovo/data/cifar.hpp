// Readers of the CIFAR-10 and CIFAR-100 binary versions (label bytes + 32x32 RGB planes per
// record).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/io/atomic_file.hpp"

namespace ovo::data {

inline constexpr int cifar_side = 32;
inline constexpr std::size_t cifar_pixel_bytes = 3 * cifar_side * cifar_side;

// Where a CIFAR record keeps the label to read: the record starts with `label_bytes` label bytes
// (1 for CIFAR-10; 2, coarse then fine, for CIFAR-100) followed by the R, G and B planes.
struct cifar_record_layout {
  int label_bytes = 1;
  int label_index = 0;  // which label byte is the label
  int classes = 10;     // labels must be below this
  std::string_view label_name = "label";

  std::size_t record_bytes() const {
    return static_cast<std::size_t>(label_bytes) + cifar_pixel_bytes;
  }
};

enum class cifar100_labels { fine, coarse };

inline constexpr cifar_record_layout cifar10_layout{1, 0, 10, "label"};

inline constexpr cifar_record_layout cifar100_layout(cifar100_labels labels) {
  return labels == cifar100_labels::fine ? cifar_record_layout{2, 1, 100, "fine label"}
                                         : cifar_record_layout{2, 0, 20, "coarse label"};
}

namespace detail {

// Appends the records of one CIFAR file's bytes to `out` (32x32x3, classes = layout.classes),
// converting each record's colour planes to HWC; `source_name` names the file in the errors.
inline void append_cifar_records(std::span<const std::byte> bytes, const std::string& source_name,
                                 const cifar_record_layout& layout, image_set& out) {
  if (layout.label_bytes < 1 || layout.label_index < 0 ||
      layout.label_index >= layout.label_bytes || layout.classes < 1 || layout.classes > 256) {
    throw std::invalid_argument(
        fmt::format("CIFAR file '{}': record layout with label byte {} of {} and {} classes",
                    source_name, layout.label_index, layout.label_bytes, layout.classes));
  }
  const std::size_t record_bytes = layout.record_bytes();
  if (bytes.empty() || bytes.size() % record_bytes != 0) {
    throw std::runtime_error(fmt::format(
        "CIFAR file '{}': size {} bytes is not a positive multiple of the {}-byte record ({} "
        "label bytes + {} pixel bytes)",
        source_name, bytes.size(), record_bytes, layout.label_bytes, cifar_pixel_bytes));
  }
  const std::size_t records = bytes.size() / record_bytes;
  constexpr std::size_t plane = cifar_side * cifar_side;
  const std::size_t first_pixel = out.pixels.size();
  out.pixels.resize(first_pixel + records * cifar_pixel_bytes);
  out.labels.reserve(out.labels.size() + records);
  for (std::size_t r = 0; r < records; ++r) {
    const std::byte* record = bytes.data() + r * record_bytes;
    const int label = std::to_integer<int>(record[layout.label_index]);
    if (label >= layout.classes) {
      throw std::runtime_error(fmt::format("CIFAR file '{}': record {} has {} {}, expected 0..{}",
                                           source_name, r, layout.label_name, label,
                                           layout.classes - 1));
    }
    out.labels.push_back(label);
    const std::byte* planes = record + layout.label_bytes;
    std::uint8_t* hwc = out.pixels.data() + first_pixel + r * cifar_pixel_bytes;
    for (std::size_t p = 0; p < plane; ++p)
      for (std::size_t c = 0; c < 3; ++c)
        hwc[p * 3 + c] = std::to_integer<std::uint8_t>(planes[c * plane + p]);
  }
}

// Appends the records of one CIFAR file to `out` (see append_cifar_records).
inline void append_cifar_file(const std::filesystem::path& file, const cifar_record_layout& layout,
                              image_set& out) {
  if (!std::filesystem::is_regular_file(file)) {
    throw std::runtime_error(fmt::format("CIFAR file '{}' does not exist", file.string()));
  }
  append_cifar_records(io::read_file_bytes(file), file.string(), layout, out);
}

// The class names listed one a line in `file` (blank lines skipped), or none when it is absent;
// a file that lists a number of names other than `classes` is an error.
inline std::vector<std::string> read_cifar_class_names(const std::filesystem::path& file,
                                                       int classes) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(file)) return names;
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error(fmt::format("CIFAR names file '{}': cannot open", file.string()));
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (in.bad())
    throw std::runtime_error(fmt::format("CIFAR names file '{}': read error", file.string()));
  if (names.size() != static_cast<std::size_t>(classes)) {
    throw std::runtime_error(fmt::format("CIFAR names file '{}': {} names, expected {}",
                                         file.string(), names.size(), classes));
  }
  return names;
}

inline image_set empty_cifar_set(int classes) {
  image_set out;
  out.height = cifar_side;
  out.width = cifar_side;
  out.channels = 3;
  out.classes = classes;
  return out;
}

inline void check_cifar_split(std::string_view reader, const std::filesystem::path& dir,
                              std::string_view split) {
  if (split != "train" && split != "test") {
    throw std::invalid_argument(fmt::format("{} '{}': split '{}', expected 'train' or 'test'",
                                            reader, dir.string(), split));
  }
}

}  // namespace detail

// The records of one CIFAR binary file read with `layout` (no class names).
inline image_set read_cifar_file(const std::filesystem::path& file,
                                 const cifar_record_layout& layout) {
  image_set out = detail::empty_cifar_set(layout.classes);
  detail::append_cifar_file(file, layout, out);
  return out;
}

// The records of CIFAR binary data held in memory, read with `layout` (no class names);
// `source_name` names the data in the errors.
inline image_set decode_cifar(std::span<const std::byte> bytes, const std::string& source_name,
                              const cifar_record_layout& layout) {
  image_set out = detail::empty_cifar_set(layout.classes);
  detail::append_cifar_records(bytes, source_name, layout, out);
  return out;
}

// The "train" (data_batch_1.bin .. data_batch_5.bin) or "test" (test_batch.bin) split of the
// CIFAR-10 binary version in `dir`, with the names of batches.meta.txt when it is there.
inline image_set load_cifar10(const std::filesystem::path& dir, std::string_view split) {
  detail::check_cifar_split("load_cifar10", dir, split);
  image_set out = detail::empty_cifar_set(cifar10_layout.classes);
  if (split == "train") {
    for (int batch = 1; batch <= 5; ++batch)
      detail::append_cifar_file(dir / fmt::format("data_batch_{}.bin", batch), cifar10_layout, out);
  } else {
    detail::append_cifar_file(dir / "test_batch.bin", cifar10_layout, out);
  }
  out.class_names = detail::read_cifar_class_names(dir / "batches.meta.txt", out.classes);
  return out;
}

// The "train" (train.bin) or "test" (test.bin) split of the CIFAR-100 binary version in `dir`, with
// fine (100 classes) or coarse (20 classes) labels and the names of fine_label_names.txt or
// coarse_label_names.txt when it is there.
inline image_set load_cifar100(const std::filesystem::path& dir, std::string_view split,
                               cifar100_labels labels = cifar100_labels::fine) {
  detail::check_cifar_split("load_cifar100", dir, split);
  image_set out =
      read_cifar_file(dir / (split == "train" ? "train.bin" : "test.bin"), cifar100_layout(labels));
  out.class_names = detail::read_cifar_class_names(
      dir / (labels == cifar100_labels::fine ? "fine_label_names.txt" : "coarse_label_names.txt"),
      out.classes);
  return out;
}

}  // namespace ovo::data
