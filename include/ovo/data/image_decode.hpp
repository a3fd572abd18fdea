// Image files decoded by their content, JPEG or PNG whatever their name, to 3-channel RGB.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/data/jpeg.hpp"
#include "ovo/data/png.hpp"
#include "ovo/io/atomic_file.hpp"

namespace ovo::data {

// Decodes a JPEG (starting ff d8 ff) or a PNG (starting with its signature) to 3-channel RGB, 8 bits
// (see decode_jpeg and decode_png). Anything else is refused, naming `what_for_errors` (usually
// the file name) and the first bytes.
inline image_u8 decode_image(std::span<const std::uint8_t> bytes,
                             const std::string& what_for_errors) {
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decode_jpeg(bytes, what_for_errors);
  if (is_png(bytes)) return decode_png(bytes, what_for_errors);
  std::string start;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 4); ++i)
    start += fmt::format(" {:#04x}", bytes[i]);
  throw std::runtime_error(fmt::format("image '{}': {} bytes{}{}, expected a JPEG or a PNG",
                                       what_for_errors, bytes.size(),
                                       bytes.empty() ? "" : " starting", start));
}

// Reads and decodes an image file (see decode_image).
inline image_u8 read_image(const std::filesystem::path& file) {
  const std::vector<std::byte> bytes = io::read_file_bytes(file);
  return decode_image(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), file.string());
}

}  // namespace ovo::data
