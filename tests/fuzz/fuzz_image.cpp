// Fuzz target: bytes decoded by content (decode_image: JPEG, CMYK JPEG or PNG), and read as one
// file of an image folder, whose undecodable files are replaced by the next of their class.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include <ovo/data/image_decode.hpp>
#include <ovo/data/image_folder.hpp>
#include <ovo/data/jpeg.hpp>

#include "fuzz_support.hpp"

namespace {

// root/class_a/a.jpg (the input, rewritten each run) and root/class_a/b.jpg (a valid image), in
// the temporary directory; removed when the process ends normally.
struct folder {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("ovo_fuzz_image_" + std::to_string(::getpid()));
  std::filesystem::path input = root / "class_a" / "a.jpg";
  ovo::data::image_u8 valid{4, 4, 3};

  folder() {
    std::filesystem::create_directories(input.parent_path());
    for (std::size_t i = 0; i < valid.pixels.size(); ++i)
      valid.pixels[i] = static_cast<std::uint8_t>(i * 13);
    ovo::data::write_jpeg(root / "class_a" / "b.jpg", valid);
    valid = ovo::data::read_image(root / "class_a" / "b.jpg");
  }
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
  std::optional<ovo::data::image_u8> decoded;
  try {
    decoded = ovo::data::decode_image(std::span(data, size), "fuzz");
    check_decoded(*decoded);
  } catch (const std::runtime_error&) {
  }
  std::ofstream(f.input, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  // The folder gives the input's image, or b.jpg in its place and a record of the input.
  const ovo::data::image_folder replacing(f.root);
  if (replacing.size() != 2 || replacing.path(0) != f.input)
    ovo::fuzz::property_violated("image_folder: expected a.jpg and b.jpg in class_a");
  const ovo::data::image_u8 image = replacing.image(0);
  const auto undecodable = replacing.undecodable();
  const bool as_decoded = decoded && image.pixels == decoded->pixels && undecodable.empty();
  const bool replaced = !decoded && image.pixels == f.valid.pixels && undecodable.size() == 1 &&
                        undecodable[0].path == f.input;
  if (!as_decoded && !replaced) ovo::fuzz::property_violated("image_folder: wrong image or record");
  // Refusing undecodable files instead: the reader's error, naming the file.
  ovo::data::image_folder_options refuse;
  refuse.bad_images = ovo::data::bad_image_policy::fail;
  const ovo::data::image_folder refusing(f.root, refuse);
  try {
    refusing.image(0);
    if (!decoded) ovo::fuzz::property_violated("image_folder decoded what decode_image refused");
  } catch (const std::runtime_error& e) {
    if (decoded || std::string(e.what()).find(f.input.string()) == std::string::npos)
      ovo::fuzz::property_violated(std::string("image_folder: unexpected error: ") + e.what());
  }
  return 0;
}
