// Fuzz target: bytes decoded as a JPEG in memory, and read as the one image of an image folder.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>

#include <ovo/data/image_folder.hpp>
#include <ovo/data/jpeg.hpp>

#include "fuzz_support.hpp"

namespace {

// root/class_a/image.jpg under the temporary directory, removed when the process ends normally.
struct folder {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("ovo_fuzz_image_" + std::to_string(::getpid()));
  std::filesystem::path file = root / "class_a" / "image.jpg";
  folder() { std::filesystem::create_directories(file.parent_path()); }
  ~folder() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
};

void check_decoded(const ovo::data::image_u8& image) {
  if (image.height < 1 || image.width < 1 || image.channels != 3 ||
      image.pixels.size() != static_cast<std::size_t>(image.height) * image.width * 3)
    ovo::fuzz::property_violated("decoded image has an inconsistent size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const folder f;
  try {
    check_decoded(ovo::data::decode_jpeg(std::span(data, size), "fuzz.jpg"));
  } catch (const std::runtime_error&) {
  }
  std::ofstream(f.file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    const ovo::data::image_folder images(f.root);
    if (images.size() != 1 || images.classes() != 1)
      ovo::fuzz::property_violated("image_folder: expected one image of one class");
    check_decoded(images.image(0));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
