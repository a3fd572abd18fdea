// JPEG decoding (to RGB, CMYK JPEGs too) and encoding (RGB or grayscale) through TurboJPEG.
#pragma once

#include <turbojpeg.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/io/atomic_file.hpp"

namespace ovo::data {

namespace detail {

struct tj_handle_deleter {
  void operator()(void* handle) const { ::tjDestroy(handle); }
};
using tj_handle = std::unique_ptr<std::remove_pointer_t<tjhandle>, tj_handle_deleter>;

inline tj_handle make_tj_handle(tjhandle handle, const std::string& what_for_errors) {
  if (handle == nullptr) {
    throw std::runtime_error(fmt::format("JPEG '{}': cannot create a TurboJPEG instance: {}",
                                         what_for_errors, ::tjGetErrorStr2(nullptr)));
  }
  return tj_handle(handle);
}

struct tj_buffer_deleter {
  void operator()(unsigned char* buffer) const { ::tjFree(buffer); }
};

}  // namespace detail

// Decodes a JPEG to 3-channel RGB: grey, YCbCr, CMYK and YCCK (decoded to CMYK) JPEGs.
// `what_for_errors` (usually the file name) is named in the errors. CMYK inks are taken as stored
// inverted (255: no ink), as in Photoshop's Adobe JPEGs and as PIL assumes for every 4-component
// JPEG, and converted as PIL converts them: R = C * K / 255, G = M * K / 255, B = Y * K / 255 on
// the stored values. Recoverable damage that libjpeg only warns about (such as extraneous bytes
// before a marker, seen in a few ImageNet files) still yields the decoded image; a file that ends
// before its last scan is refused as truncated, and a size over max_decoded_pixels before anything
// is allocated.
inline image_u8 decode_jpeg(std::span<const std::uint8_t> bytes,
                            const std::string& what_for_errors) {
  if (bytes.empty() || bytes.size() > std::numeric_limits<unsigned long>::max()) {
    throw std::runtime_error(
        fmt::format("JPEG '{}': {} bytes is not a JPEG", what_for_errors, bytes.size()));
  }
  const detail::tj_handle handle = detail::make_tj_handle(::tjInitDecompress(), what_for_errors);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (::tjDecompressHeader3(handle.get(), bytes.data(), bytes.size(), &width, &height, &subsampling,
                            &colorspace) != 0) {
    throw std::runtime_error(fmt::format("JPEG '{}': cannot read the header: {}", what_for_errors,
                                         ::tjGetErrorStr2(handle.get())));
  }
  check_decoded_size("JPEG", static_cast<std::uint64_t>(std::max(width, 0)),
                     static_cast<std::uint64_t>(std::max(height, 0)), what_for_errors);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  image_u8 out(height, width, 3);
  std::vector<std::uint8_t> inks(cmyk ? out.pixels.size() / 3 * 4 : 0);
  if (::tjDecompress2(handle.get(), bytes.data(), bytes.size(),
                      cmyk ? inks.data() : out.pixels.data(), width, 0, height,
                      cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0) {
    const std::string message = ::tjGetErrorStr2(handle.get());
    if (::tjGetErrorCode(handle.get()) != TJERR_WARNING)
      throw std::runtime_error(
          fmt::format("JPEG '{}': cannot decode: {}", what_for_errors, message));
    if (message.find("Premature end") != std::string::npos)
      throw std::runtime_error(fmt::format("JPEG '{}': truncated ({} bytes): {}", what_for_errors,
                                           bytes.size(), message));
  }
  for (std::size_t p = 0; p < inks.size() / 4; ++p) {
    const unsigned key = inks[4 * p + 3];
    for (std::size_t c = 0; c < 3; ++c)
      out.pixels[3 * p + c] = static_cast<std::uint8_t>((inks[4 * p + c] * key + 127) / 255);
  }
  return out;
}

// Encodes a 1-channel (grayscale) or 3-channel (RGB) image as a baseline JPEG without chroma
// subsampling; quality is 1..100.
inline std::vector<std::uint8_t> encode_jpeg(const image_u8& image, int quality = 95) {
  if (image.channels != 1 && image.channels != 3) {
    throw std::invalid_argument(
        fmt::format("encode_jpeg: image with {} channels, expected 1 or 3", image.channels));
  }
  if (image.height < 1 || image.width < 1 ||
      image.pixels.size() !=
          static_cast<std::size_t>(image.height) * image.width * image.channels) {
    throw std::invalid_argument(fmt::format(
        "encode_jpeg: image of {} x {} x {} with {} pixel bytes, expected a positive size and "
        "height * width * channels bytes",
        image.height, image.width, image.channels, image.pixels.size()));
  }
  if (quality < 1 || quality > 100) {
    throw std::invalid_argument(fmt::format("encode_jpeg: quality {}, expected 1..100", quality));
  }
  const detail::tj_handle handle = detail::make_tj_handle(::tjInitCompress(), "encode_jpeg");
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool gray = image.channels == 1;
  const int result = ::tjCompress2(handle.get(), image.pixels.data(), image.width, 0, image.height,
                                   gray ? TJPF_GRAY : TJPF_RGB, &buffer, &size,
                                   gray ? TJSAMP_GRAY : TJSAMP_444, quality, 0);
  const std::unique_ptr<unsigned char, detail::tj_buffer_deleter> owned(buffer);
  if (result != 0) {
    throw std::runtime_error(
        fmt::format("encode_jpeg: cannot encode: {}", ::tjGetErrorStr2(handle.get())));
  }
  return std::vector<std::uint8_t>(buffer, buffer + size);
}

// Reads and decodes a JPEG file (to RGB, see decode_jpeg).
inline image_u8 read_jpeg(const std::filesystem::path& file) {
  const std::vector<std::byte> bytes = io::read_file_bytes(file);
  return decode_jpeg(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                     file.string());
}

// Encodes `image` (see encode_jpeg) and writes it to `file`.
inline void write_jpeg(const std::filesystem::path& file, const image_u8& image, int quality = 95) {
  const std::vector<std::uint8_t> bytes = encode_jpeg(image, quality);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error(fmt::format("write_jpeg '{}': cannot write", file.string()));
}

}  // namespace ovo::data
