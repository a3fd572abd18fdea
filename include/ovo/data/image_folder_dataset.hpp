// The image-folder dataset by name (imagenet: dir/train and dir/val) for load_dataset. CMake target
// ovo::images.
#pragma once

#include <filesystem>
#include <string_view>

#include "ovo/data/datasets.hpp"
#include "ovo/data/image_folder.hpp"

namespace ovo::data {

template <>
struct dataset_reader<image_folder> {
  static image_folder load(std::string_view name, const std::filesystem::path& dir,
                           dataset_split split, const dataset_options& options) {
    find_dataset(name, {dataset_format::image_folder});
    return image_folder(dir / (split == dataset_split::train ? "train" : "val"),
                        options.image_folder);
  }
};

}  // namespace ovo::data
