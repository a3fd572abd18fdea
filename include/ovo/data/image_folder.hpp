// A labelled set of JPEG files in an ImageNet-style tree, root/<class>/<files>, decoded on demand.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/data/jpeg.hpp"

namespace ovo::data {

// Classes are the subdirectories of the root sorted by name (label = position); a class's images
// are its files, at any depth, ending in .jpg or .jpeg in any case, sorted by path. Images are read
// and decoded to RGB on each image() call, which touches no shared mutable state, so concurrent
// calls are safe.
class image_folder {
 public:
  explicit image_folder(std::filesystem::path root) : root_(std::move(root)) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(root_)) {
      throw std::runtime_error(fmt::format("image_folder '{}': not a directory", root_.string()));
    }
    std::vector<fs::path> class_dirs;
    for (const auto& entry : fs::directory_iterator(root_))
      if (entry.is_directory()) class_dirs.push_back(entry.path());
    if (class_dirs.empty()) {
      throw std::runtime_error(
          fmt::format("image_folder '{}': no class subdirectories", root_.string()));
    }
    if (class_dirs.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      throw std::runtime_error(fmt::format("image_folder '{}': {} class subdirectories, too many",
                                           root_.string(), class_dirs.size()));
    }
    std::ranges::sort(class_dirs, {}, [](const fs::path& p) { return p.filename().string(); });
    for (std::size_t label = 0; label < class_dirs.size(); ++label) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(
               class_dirs[label], fs::directory_options::follow_directory_symlink))
        if (entry.is_regular_file() && is_jpeg_name(entry.path())) files.push_back(entry.path());
      class_names_.push_back(class_dirs[label].filename().string());
      if (files.empty()) {
        throw std::runtime_error(
            fmt::format("image_folder '{}': class '{}' has no .jpg/.jpeg files", root_.string(),
                        class_names_.back()));
      }
      std::ranges::sort(files);
      for (auto& file : files) {
        paths_.push_back(std::move(file));
        labels_.push_back(static_cast<int>(label));
      }
    }
  }

  std::size_t size() const { return paths_.size(); }
  int label(std::size_t i) const { return labels_[i]; }
  image_u8 image(std::size_t i) const { return read_jpeg(paths_[i]); }
  const std::filesystem::path& path(std::size_t i) const { return paths_[i]; }
  int classes() const { return static_cast<int>(class_names_.size()); }
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::filesystem::path& root() const { return root_; }

 private:
  static bool is_jpeg_name(const std::filesystem::path& file) {
    std::string extension = file.extension().string();
    for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return extension == ".jpg" || extension == ".jpeg";
  }

  std::filesystem::path root_;
  std::vector<std::string> class_names_;
  std::vector<std::filesystem::path> paths_;
  std::vector<int> labels_;
};

}  // namespace ovo::data
