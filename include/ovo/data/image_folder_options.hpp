// What an image folder does with files it cannot decode, apart from the folder
// (data/image_folder.hpp) so that code configuring one needs no image decoder.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace ovo::data {

// What image_folder::image does with a file that cannot be read or decoded.
enum class bad_image_policy {
  replace,  // return the next decodable image of the same class, and record the file
  fail,     // throw the reader's error, which names the file
};

// A file that cannot be read or decoded, and the reader's error.
struct undecodable_image {
  std::filesystem::path path;
  std::string reason;
};

struct image_folder_options {
  bad_image_policy bad_images = bad_image_policy::replace;
  // Called once for each file found undecodable under bad_image_policy::replace, with the file
  // read in its place; from whichever thread called image(), one call at a time.
  std::function<void(const undecodable_image&, const std::filesystem::path& replacement)>
      on_replaced;
};

}  // namespace ovo::data
