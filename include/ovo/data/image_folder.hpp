// A labelled set of JPEG and PNG files in an ImageNet-style tree, root/<class>/<files>, decoded on
// demand, with undecodable files replaced by another image of their class.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/image.hpp"
#include "ovo/data/image_decode.hpp"
#include "ovo/data/image_folder_options.hpp"

namespace ovo::data {

// Classes are the subdirectories of the root sorted by name (label = position); a class's images
// are its files, at any depth, ending in .jpg, .jpeg or .png in any case, sorted by path, and
// decoded by their content whatever their name (decode_image). Images are read and decoded to RGB
// on each image() call; concurrent calls are safe. A file that cannot be read or decoded is, by
// default, replaced by the next file of its class (in path order, wrapping around) that can be, so
// that what image(i) returns depends only on the files, and a loader's batches only on (seed,
// epoch, batch); the file is recorded (undecodable()) and reported once through on_replaced.
class image_folder {
 public:
  explicit image_folder(std::filesystem::path root, image_folder_options options = {})
      : root_(std::move(root)), options_(std::move(options)) {
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
        if (entry.is_regular_file() && is_image_name(entry.path())) files.push_back(entry.path());
      class_names_.push_back(class_dirs[label].filename().string());
      if (files.empty()) {
        throw std::runtime_error(
            fmt::format("image_folder '{}': class '{}' has no .jpg/.jpeg/.png files",
                        root_.string(), class_names_.back()));
      }
      std::ranges::sort(files);
      class_begin_.push_back(paths_.size());
      for (auto& file : files) {
        paths_.push_back(std::move(file));
        labels_.push_back(static_cast<int>(label));
      }
    }
    class_begin_.push_back(paths_.size());
  }

  std::size_t size() const { return paths_.size(); }
  int label(std::size_t i) const { return labels_[i]; }
  // Image i decoded to RGB; an undecodable file is replaced or refused as the options say. Throws,
  // naming the class, when no file of the class can be decoded.
  image_u8 image(std::size_t i) const {
    if (options_.bad_images == bad_image_policy::fail) return read_image(paths_[i]);
    const auto label = static_cast<std::size_t>(labels_[i]);
    const std::size_t first = class_begin_[label], count = class_begin_[label + 1] - first;
    std::vector<std::pair<std::size_t, std::string>> found;  // newly found undecodable
    for (std::size_t step = 0; step < count; ++step) {
      const std::size_t j = first + (i - first + step) % count;
      if (is_recorded_undecodable(j)) continue;
      try {
        image_u8 decoded = read_image(paths_[j]);
        record(found, &paths_[j]);
        return decoded;
      } catch (const std::runtime_error& e) {
        found.emplace_back(j, e.what());
      }
    }
    record(found, nullptr);
    throw std::runtime_error(fmt::format(
        "image_folder '{}': class '{}': none of its {} files can be decoded (such as '{}')",
        root_.string(), class_names_[label], count, paths_[i].string()));
  }

  // The files found undecodable so far (and replaced), in path order.
  std::vector<undecodable_image> undecodable() const {
    std::lock_guard lock(undecodable_->mutex);
    std::vector<undecodable_image> out;
    for (const auto& [index, reason] : undecodable_->reasons)
      out.push_back({paths_[index], reason});
    return out;
  }

  const std::filesystem::path& path(std::size_t i) const { return paths_[i]; }
  int classes() const { return static_cast<int>(class_names_.size()); }
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::filesystem::path& root() const { return root_; }

 private:
  // The undecodable files found by image() calls, by index, with the reader's error.
  struct undecodable_record {
    std::mutex mutex;
    std::map<std::size_t, std::string> reasons;
  };

  static bool is_image_name(const std::filesystem::path& file) {
    std::string extension = file.extension().string();
    for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
  }

  bool is_recorded_undecodable(std::size_t i) const {
    std::lock_guard lock(undecodable_->mutex);
    return undecodable_->reasons.contains(i);
  }

  // Records the files `found` undecodable, reporting those not recorded before with their
  // replacement (none when the class has no decodable file).
  void record(const std::vector<std::pair<std::size_t, std::string>>& found,
              const std::filesystem::path* replacement) const {
    if (found.empty()) return;
    std::lock_guard lock(undecodable_->mutex);
    for (const auto& [index, reason] : found)
      if (undecodable_->reasons.emplace(index, reason).second && replacement != nullptr &&
          options_.on_replaced)
        options_.on_replaced({paths_[index], reason}, *replacement);
  }

  std::filesystem::path root_;
  image_folder_options options_;
  std::vector<std::string> class_names_;
  std::vector<std::filesystem::path> paths_;
  std::vector<int> labels_;
  std::vector<std::size_t>
      class_begin_;  // class c's images: [class_begin_[c], class_begin_[c + 1])
  std::unique_ptr<undecodable_record> undecodable_ = std::make_unique<undecodable_record>();
};

}  // namespace ovo::data
