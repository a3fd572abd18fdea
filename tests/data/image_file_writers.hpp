// Test helpers that write the image files the library only reads: PNGs through libpng's write API,
// and CMYK JPEGs, stored as CMYK (libjpeg) or as YCCK (TurboJPEG).
#pragma once

#include <png.h>
#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace ovo::test {

// A PNG of `width` x `height` pixels in one of libpng's simplified formats (PNG_FORMAT_GRAY,
// PNG_FORMAT_RGBA, PNG_FORMAT_LINEAR_RGB for 16-bit samples, PNG_FORMAT_RGBA_COLORMAP for a
// palette of `colormap_entries` colours with one byte index per pixel, ...). The file's bit depth
// and colour type follow from the format: 16 bits for the linear ones, 1 to 8 bits for palettes.
inline std::vector<std::uint8_t> encode_png(std::uint32_t width, std::uint32_t height,
                                            std::uint32_t format, const void* pixels,
                                            const void* colormap = nullptr,
                                            std::uint32_t colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  image.colormap_entries = colormap_entries;
  png_alloc_size_t size = 0;
  if (!::png_image_write_to_memory(&image, nullptr, &size, 0, pixels, 0, colormap))
    throw std::runtime_error(std::string("encode_png: ") + image.message);
  std::vector<std::uint8_t> out(size);
  if (!::png_image_write_to_memory(&image, out.data(), &size, 0, pixels, 0, colormap))
    throw std::runtime_error(std::string("encode_png: ") + image.message);
  out.resize(size);
  return out;
}

// A JPEG of CMYK samples (4 per pixel, stored as given) through libjpeg, which writes the Adobe
// marker that says the components are CMYK (transform 0).
inline std::vector<std::uint8_t> encode_cmyk_jpeg(int width, int height,
                                                  std::span<const std::uint8_t> cmyk,
                                                  int quality = 95) {
  if (cmyk.size() != static_cast<std::size_t>(width) * height * 4)
    throw std::invalid_argument("encode_cmyk_jpeg: expected 4 bytes per pixel");
  jpeg_compress_struct compressor{};
  jpeg_error_mgr errors{};
  compressor.err = ::jpeg_std_error(&errors);
  ::jpeg_create_compress(&compressor);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  ::jpeg_mem_dest(&compressor, &buffer, &size);
  compressor.image_width = static_cast<JDIMENSION>(width);
  compressor.image_height = static_cast<JDIMENSION>(height);
  compressor.input_components = 4;
  compressor.in_color_space = JCS_CMYK;
  ::jpeg_set_defaults(&compressor);
  ::jpeg_set_colorspace(&compressor, JCS_CMYK);
  ::jpeg_set_quality(&compressor, quality, TRUE);
  ::jpeg_start_compress(&compressor, TRUE);
  while (compressor.next_scanline < compressor.image_height) {
    JSAMPROW row = const_cast<JSAMPLE*>(cmyk.data()) +
                   static_cast<std::size_t>(compressor.next_scanline) * width * 4;
    ::jpeg_write_scanlines(&compressor, &row, 1);
  }
  ::jpeg_finish_compress(&compressor);
  ::jpeg_destroy_compress(&compressor);
  std::vector<std::uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

// A JPEG of CMYK samples through TurboJPEG, which stores them as YCCK (Adobe transform 2).
inline std::vector<std::uint8_t> encode_ycck_jpeg(int width, int height,
                                                  std::span<const std::uint8_t> cmyk,
                                                  int quality = 95) {
  if (cmyk.size() != static_cast<std::size_t>(width) * height * 4)
    throw std::invalid_argument("encode_ycck_jpeg: expected 4 bytes per pixel");
  tjhandle handle = ::tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int result = ::tjCompress2(handle, cmyk.data(), width, 0, height, TJPF_CMYK, &buffer, &size,
                                   TJSAMP_444, quality, 0);
  const std::string message = ::tjGetErrorStr2(handle);
  ::tjDestroy(handle);
  if (result != 0) {
    ::tjFree(buffer);
    throw std::runtime_error("encode_ycck_jpeg: " + message);
  }
  std::vector<std::uint8_t> out(buffer, buffer + size);
  ::tjFree(buffer);
  return out;
}

}  // namespace ovo::test
