// Test helpers that build small datasets: seeded random images and writers of the IDX, CIFAR and
// image-folder formats.
#pragma once

#include <zlib.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ovo/data/image.hpp>
#include <ovo/data/jpeg.hpp>
#include <ovo/util/random.hpp>

namespace ovo::test {

// `count` images of uniformly random bytes. The labels are balanced (each class count / classes
// times, the first count % classes classes once more) and in seeded random order.
inline data::image_set random_image_set(std::size_t count, int height, int width, int channels,
                                        int classes, std::uint64_t seed) {
  rng_engine rng(seed);
  data::image_set out;
  out.height = height;
  out.width = width;
  out.channels = channels;
  out.classes = classes;
  out.pixels.resize(count * out.image_bytes());
  for (auto& p : out.pixels) p = static_cast<std::uint8_t>(rng() >> 56);
  out.labels.resize(count);
  for (std::size_t i = 0; i < count; ++i) out.labels[i] = static_cast<int>(i % classes);
  for (std::size_t i = count; i > 1; --i)
    std::swap(out.labels[i - 1], out.labels[uniform_index(rng, i)]);
  return out;
}

// A smooth image (a few random low-frequency waves per channel), which JPEG keeps nearly exact.
inline data::image_u8 smooth_random_image(int height, int width, int channels, std::uint64_t seed) {
  rng_engine rng(seed);
  data::image_u8 out(height, width, channels);
  for (int c = 0; c < channels; ++c) {
    const double base = 64 + 128 * uniform_unit(rng);
    const double fy = 2 * std::numbers::pi * uniform_unit(rng) / height;
    const double fx = 2 * std::numbers::pi * uniform_unit(rng) / width;
    const double phase = 2 * std::numbers::pi * uniform_unit(rng);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        out.at(y, x, c) =
            static_cast<std::uint8_t>(std::lround(base + 60 * std::sin(fy * y + fx * x + phase)));
  }
  return out;
}

namespace detail {

inline void append_big_endian_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

inline void write_bytes(const std::filesystem::path& file, std::span<const std::uint8_t> bytes,
                        bool gzip) {
  if (gzip) {
    gzFile handle = ::gzopen(file.c_str(), "wb");
    if (handle == nullptr) throw std::runtime_error("gzopen failed for " + file.string());
    const bool written =
        bytes.empty() || ::gzwrite(handle, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                             static_cast<int>(bytes.size());
    if (::gzclose(handle) != Z_OK || !written)
      throw std::runtime_error("gzip write failed for " + file.string());
    return;
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("write failed for " + file.string());
}

}  // namespace detail

// Writes a 1-channel set as an IDX images file and an IDX labels file, plain or gzip-compressed.
inline void write_idx(const std::filesystem::path& images_file,
                      const std::filesystem::path& labels_file, const data::image_set& set,
                      bool gzip) {
  if (set.channels != 1) throw std::invalid_argument("write_idx: IDX images have 1 channel");
  std::vector<std::uint8_t> images;
  detail::append_big_endian_u32(images, 0x00000803);
  detail::append_big_endian_u32(images, static_cast<std::uint32_t>(set.size()));
  detail::append_big_endian_u32(images, static_cast<std::uint32_t>(set.height));
  detail::append_big_endian_u32(images, static_cast<std::uint32_t>(set.width));
  images.insert(images.end(), set.pixels.begin(), set.pixels.end());
  detail::write_bytes(images_file, images, gzip);

  std::vector<std::uint8_t> labels;
  detail::append_big_endian_u32(labels, 0x00000801);
  detail::append_big_endian_u32(labels, static_cast<std::uint32_t>(set.size()));
  for (int label : set.labels) labels.push_back(static_cast<std::uint8_t>(label));
  detail::write_bytes(labels_file, labels, gzip);
}

namespace detail {

// Appends one CIFAR record: the label bytes, then image i's R, G and B planes.
inline void append_cifar_record(std::vector<std::uint8_t>& out, const data::image_set& set,
                                std::size_t i, std::span<const std::uint8_t> label_bytes) {
  if (set.height != 32 || set.width != 32 || set.channels != 3)
    throw std::invalid_argument("CIFAR records hold 32x32x3 images");
  out.insert(out.end(), label_bytes.begin(), label_bytes.end());
  const auto hwc = set.bytes(i);
  for (int c = 0; c < 3; ++c)
    for (std::size_t p = 0; p < 32 * 32; ++p) out.push_back(hwc[p * 3 + c]);
}

}  // namespace detail

// Writes a 32x32x3 set as one CIFAR-10 binary file (label byte + R, G, B planes per record).
inline void write_cifar10(const std::filesystem::path& file, const data::image_set& set) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < set.size(); ++i) {
    const std::uint8_t label = static_cast<std::uint8_t>(set.label(i));
    detail::append_cifar_record(bytes, set, i, std::span(&label, 1));
  }
  detail::write_bytes(file, bytes, false);
}

// Writes a 32x32x3 set with fine labels, plus a coarse label per image, as one CIFAR-100 binary
// file (coarse byte, fine byte, R, G, B planes per record).
inline void write_cifar100(const std::filesystem::path& file, const data::image_set& fine,
                           std::span<const int> coarse) {
  if (coarse.size() != fine.size())
    throw std::invalid_argument("write_cifar100: one coarse label per image");
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < fine.size(); ++i) {
    const std::uint8_t labels[2] = {static_cast<std::uint8_t>(coarse[i]),
                                    static_cast<std::uint8_t>(fine.label(i))};
    detail::append_cifar_record(bytes, fine, i, labels);
  }
  detail::write_bytes(file, bytes, false);
}

// Writes a set as an image-folder tree, root/<class name>/<index>.jpg, and returns the class
// directory names: the set's class names, or class_000, class_001, ... when it has none.
inline std::vector<std::string> write_image_folder(const std::filesystem::path& root,
                                                   const data::image_set& set, int quality = 95) {
  std::vector<std::string> names = set.class_names;
  if (names.empty())
    for (int c = 0; c < set.classes; ++c) names.push_back(fmt::format("class_{:03}", c));
  for (const auto& name : names) std::filesystem::create_directories(root / name);
  for (std::size_t i = 0; i < set.size(); ++i)
    data::write_jpeg(
        root / names[static_cast<std::size_t>(set.label(i))] / fmt::format("{:06}.jpg", i),
        set.image(i), quality);
  return names;
}

}  // namespace ovo::test
