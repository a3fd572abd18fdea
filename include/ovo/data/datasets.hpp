// The datasets read by name (fashion-mnist, mnist, cifar10, cifar100, imagenet): one table of their
// readers, normalisation statistics and augmentation presets, and the reading of a split, checked
// against the space that trains on it.
#pragma once

#include <algorithm>
#include <array>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/augment.hpp"
#include "ovo/data/cifar.hpp"
#include "ovo/data/idx.hpp"
#include "ovo/data/image.hpp"
#include "ovo/data/image_folder_options.hpp"
#include "ovo/data/loader.hpp"
#include "ovo/data/normalize.hpp"

namespace ovo::data {

// How a dataset's files are read.
enum class dataset_format {
  idx,           // MNIST-layout IDX files (load_mnist_split), into an image_set
  cifar10,       // the CIFAR-10 binary version (load_cifar10), into an image_set
  cifar100,      // the CIFAR-100 binary version (load_cifar100), into an image_set
  image_folder,  // dir/train and dir/val, one folder per class (data/image_folder_dataset.hpp)
};

// The augment_options preset a dataset trains with.
enum class augmentation_preset { fashion_mnist, cifar, imagenet };

struct dataset_info {
  std::string_view name;
  dataset_format format;
  augmentation_preset augmentation;
  std::span<const float> mean, std;  // normalisation statistics, one per channel
};

// The datasets by name. MNIST is normalised with Fashion-MNIST's statistics and CIFAR-10 with
// CIFAR-100's, as the presets of those datasets do.
inline constexpr std::array<dataset_info, 5> datasets{{
    {"fashion-mnist", dataset_format::idx, augmentation_preset::fashion_mnist, fashion_mnist_mean,
     fashion_mnist_std},
    {"mnist", dataset_format::idx, augmentation_preset::fashion_mnist, fashion_mnist_mean,
     fashion_mnist_std},
    {"cifar10", dataset_format::cifar10, augmentation_preset::cifar, cifar100_mean, cifar100_std},
    {"cifar100", dataset_format::cifar100, augmentation_preset::cifar, cifar100_mean, cifar100_std},
    {"imagenet", dataset_format::image_folder, augmentation_preset::imagenet, imagenet_mean,
     imagenet_std},
}};

// A dataset name that is none of those a reader takes; expected() lists them ("fashion-mnist,
// mnist, cifar10 or cifar100").
class unknown_dataset : public std::invalid_argument {
 public:
  unknown_dataset(std::string name, std::string expected)
      : std::invalid_argument(fmt::format("dataset '{}': expected {}", name, expected)),
        name_(std::move(name)),
        expected_(std::move(expected)) {}
  const std::string& name() const { return name_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string name_, expected_;
};

// The dataset called `name` among those of the given formats; throws unknown_dataset otherwise.
inline const dataset_info& find_dataset(std::string_view name,
                                        std::initializer_list<dataset_format> formats = {
                                            dataset_format::idx, dataset_format::cifar10,
                                            dataset_format::cifar100,
                                            dataset_format::image_folder}) {
  std::vector<std::string_view> names;
  for (const dataset_info& d : datasets) {
    if (std::ranges::find(formats, d.format) == formats.end()) continue;
    if (d.name == name) return d;
    names.push_back(d.name);
  }
  std::string expected(names.back());
  if (names.size() > 1)
    expected = fmt::format("{} or {}", fmt::join(names.begin(), names.end() - 1, ", "), expected);
  throw unknown_dataset(std::string(name), std::move(expected));
}

// The augmentation dataset `name` trains with, for images of image_size and channels: its preset
// with the table's statistics. augment_options::without_augmentation() strips it.
inline augment_options dataset_augmentation(std::string_view name, int image_size, int channels) {
  const dataset_info& info = find_dataset(name);
  augment_options a = info.augmentation == augmentation_preset::imagenet
                          ? augment_options::imagenet(image_size)
                      : info.augmentation == augmentation_preset::fashion_mnist
                          ? augment_options::fashion_mnist()
                          : augment_options::cifar(image_size);
  a.size = image_size;
  a.channels = channels;
  a.mean.assign(info.mean.begin(), info.mean.end());
  a.std.assign(info.std.begin(), info.std.end());
  return a;
}

// The training split, or the test split (an image folder's dir/val).
enum class dataset_split { train, test };

struct dataset_options {
  cifar100_labels labels = cifar100_labels::fine;  // CIFAR-100: fine (100) or coarse (20) labels
  image_folder_options image_folder{};             // image folders: undecodable files
};

// Reads a split of a dataset by name into a Source: an image_set here (fashion-mnist, mnist,
// cifar10, cifar100), an image_folder with data/image_folder_dataset.hpp (imagenet).
template <class Source>
struct dataset_reader;

template <>
struct dataset_reader<image_set> {
  static image_set load(std::string_view name, const std::filesystem::path& dir,
                        dataset_split split, const dataset_options& options) {
    const dataset_info& info = find_dataset(
        name, {dataset_format::idx, dataset_format::cifar10, dataset_format::cifar100});
    const std::string_view split_name = split == dataset_split::train ? "train" : "test";
    if (info.format == dataset_format::cifar10) return load_cifar10(dir, split_name);
    if (info.format == dataset_format::cifar100)
      return load_cifar100(dir, split_name, options.labels);
    image_set set = load_mnist_split(dir, split_name);
    if (info.name == "fashion-mnist") set.class_names = fashion_mnist_class_names();
    return set;
  }
};

// The split of dataset `name` in `dir`, as a Source (see dataset_reader); a name the Source's
// reader does not take throws unknown_dataset.
template <class Source>
Source load_dataset(std::string_view name, const std::filesystem::path& dir, dataset_split split,
                    const dataset_options& options = {}) {
  return dataset_reader<Source>::load(name, dir, split, options);
}

// What the space that trains on a dataset needs of it; `space` names it in the errors.
struct dataset_requirements {
  std::string_view space;
  int classes = 0, channels = 0;
};

template <class Space>
dataset_requirements requirements_of(std::string_view space_name) {
  return {space_name, Space::num_classes, Space::channels};
}

// Throws std::invalid_argument, naming dataset `name` in `dir` and the space, unless the source's
// classes and (first image's) channels are the space's.
template <image_source Source>
void check_dataset_fits(const Source& source, std::string_view name,
                        const std::filesystem::path& dir, const dataset_requirements& space) {
  const int classes = source_classes(source);
  if (classes != space.classes)
    throw std::invalid_argument(
        fmt::format("dataset '{}' in {} has {} classes, space '{}' expects {}", name, dir.string(),
                    classes, space.space, space.classes));
  const int channels = source.image(0).channels;
  if (channels != space.channels)
    throw std::invalid_argument(
        fmt::format("dataset '{}' in {} has {}-channel images, space '{}' expects {}", name,
                    dir.string(), channels, space.space, space.channels));
}

// The split of dataset `name` in `dir` for the space `space_name` of type Space: load_dataset,
// then check_dataset_fits.
template <class Space, class Source>
Source load_dataset_for(std::string_view space_name, std::string_view name,
                        const std::filesystem::path& dir, dataset_split split,
                        const dataset_options& options = {}) {
  Source source = load_dataset<Source>(name, dir, split, options);
  check_dataset_fits(source, name, dir, requirements_of<Space>(space_name));
  return source;
}

}  // namespace ovo::data
