// PNG decoding through libpng: every colour type and bit depth to 3-channel RGB 8-bit.
#pragma once

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"

namespace ovo::data {

inline constexpr std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

namespace detail {

// What libpng reads from, and the message of its error. Plain data: libpng's error handler leaves
// the reading functions by longjmp, which must not skip a destructor.
struct png_reader {
  const std::uint8_t* data;
  std::size_t size, offset;
  char error[256];
};

inline void png_read_from_memory(png_structp png, png_bytep out, std::size_t count) {
  auto* reader = static_cast<png_reader*>(::png_get_io_ptr(png));
  if (count > reader->size - reader->offset) ::png_error(png, "the file ends early (truncated)");
  std::memcpy(out, reader->data + reader->offset, count);
  reader->offset += count;
}

inline void png_record_error(png_structp png, png_const_charp message) {
  auto* reader = static_cast<png_reader*>(::png_get_error_ptr(png));
  std::snprintf(reader->error, sizeof reader->error, "%s", message);
  ::png_longjmp(png, 1);
}

// Warnings (an incorrect sRGB profile, an unknown chunk) leave the image usable.
inline void png_ignore_warning(png_structp, png_const_charp) {}

// Runs `step`, libpng calls that leave by longjmp on an error, and says whether it completed. No
// object with a destructor lives between this setjmp and libpng's longjmp.
template <class Step>
bool png_try(png_structp png, const Step& step) {
  if (setjmp(png_jmpbuf(png))) return false;
  step();
  return true;
}

// Asks libpng for 8-bit RGB rows: palettes and grey expanded, alpha and transparency dropped (the
// stored colours kept, as PIL's convert("RGB") does), 16-bit samples cut to their high byte (as
// PIL does), gamma and colour profiles ignored (as PIL, OpenCV and torchvision do).
inline void png_ask_for_rgb8(png_structp png, png_infop info) {
  const int colour = ::png_get_color_type(png, info);
  if (colour == PNG_COLOR_TYPE_PALETTE) ::png_set_palette_to_rgb(png);
  if (colour == PNG_COLOR_TYPE_GRAY && ::png_get_bit_depth(png, info) < 8)
    ::png_set_expand_gray_1_2_4_to_8(png);
  if (colour == PNG_COLOR_TYPE_GRAY || colour == PNG_COLOR_TYPE_GRAY_ALPHA)
    ::png_set_gray_to_rgb(png);
  if ((colour & PNG_COLOR_MASK_ALPHA) != 0 || ::png_get_valid(png, info, PNG_INFO_tRNS) != 0)
    ::png_set_strip_alpha(png);
  ::png_set_strip_16(png);
  ::png_set_interlace_handling(png);
  ::png_read_update_info(png, info);
}

class png_read_handle {
 public:
  explicit png_read_handle(png_reader& reader)
      : png_(::png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_record_error,
                                      png_ignore_warning)),
        info_(png_ != nullptr ? ::png_create_info_struct(png_) : nullptr) {}
  png_read_handle(const png_read_handle&) = delete;
  png_read_handle& operator=(const png_read_handle&) = delete;
  ~png_read_handle() { ::png_destroy_read_struct(&png_, &info_, nullptr); }
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_;
  png_infop info_;
};

}  // namespace detail

// Whether `bytes` start with the PNG signature.
inline bool is_png(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= sizeof png_signature &&
         std::equal(std::begin(png_signature), std::end(png_signature), bytes.begin());
}

// Decodes a PNG (grey, grey + alpha, RGB, RGBA or palette; 1 to 16 bits; interlaced or not) to
// 3-channel RGB, 8 bits, converted as png_ask_for_rgb8 says. `what_for_errors` (usually the file
// name) is named in the errors. The size is checked before anything is allocated: at most
// max_decoded_pixels, and no more pixel bytes than the file can hold (deflate expands at most 1032
// times).
inline image_u8 decode_png(std::span<const std::uint8_t> bytes,
                           const std::string& what_for_errors) {
  if (!is_png(bytes))
    throw std::runtime_error(fmt::format("PNG '{}': no PNG signature", what_for_errors));
  detail::png_reader reader{bytes.data(), bytes.size(), 0, {}};
  const detail::png_read_handle handle(reader);
  png_structp png = handle.png();
  png_infop info = handle.info();
  if (info == nullptr)
    throw std::runtime_error(
        fmt::format("PNG '{}': cannot create a libpng reader (out of memory)", what_for_errors));
  ::png_set_read_fn(png, &reader, detail::png_read_from_memory);
  if (!detail::png_try(png, [&] { ::png_read_info(png, info); }))
    throw std::runtime_error(
        fmt::format("PNG '{}': cannot read the header: {}", what_for_errors, reader.error));
  const std::uint64_t width = ::png_get_image_width(png, info);
  const std::uint64_t height = ::png_get_image_height(png, info);
  check_decoded_size("PNG", width, height, what_for_errors);
  const std::uint64_t stored_bits_per_pixel =
      std::uint64_t{::png_get_bit_depth(png, info)} * ::png_get_channels(png, info);
  if (width * height * stored_bits_per_pixel / 8 > 1032 * std::uint64_t{bytes.size()})
    throw std::runtime_error(fmt::format(
        "PNG '{}': {} x {} pixels of {} bits cannot be compressed into its {} bytes (truncated?)",
        what_for_errors, width, height, stored_bits_per_pixel, bytes.size()));
  if (!detail::png_try(png, [&] { detail::png_ask_for_rgb8(png, info); }))
    throw std::runtime_error(
        fmt::format("PNG '{}': cannot decode: {}", what_for_errors, reader.error));
  if (::png_get_channels(png, info) != 3 || ::png_get_rowbytes(png, info) != 3 * width)
    throw std::runtime_error(fmt::format(
        "PNG '{}': libpng gives {} channels and {} bytes per row, expected 3 and {}",
        what_for_errors, ::png_get_channels(png, info), ::png_get_rowbytes(png, info), 3 * width));
  image_u8 out(static_cast<int>(height), static_cast<int>(width), 3);
  std::vector<png_bytep> rows(height);
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = out.pixels.data() + y * 3 * width;
  if (!detail::png_try(png, [&] { ::png_read_image(png, rows.data()); }))
    throw std::runtime_error(
        fmt::format("PNG '{}': cannot decode: {}", what_for_errors, reader.error));
  return out;
}

}  // namespace ovo::data
