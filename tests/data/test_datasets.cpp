// Datasets by name: the readers, the class and channel check, the augmentation presets and their
// statistics from one table, and gzip support as an opt-in.
#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ovo/data/datasets.hpp>
#include <ovo/data/gzip.hpp>
#include <ovo/data/image_folder_dataset.hpp>
#include <ovo/space/presets.hpp>

#include "../support.hpp"
#include "format_writers.hpp"

namespace fs = std::filesystem;
namespace data = ovo::data;

namespace {

std::vector<float> floats(std::span<const float> values) {
  return {values.begin(), values.end()};
}

void check_same_preset(const data::augment_options& got, const data::augment_options& expected) {
  CHECK(got.size == expected.size);
  CHECK(got.channels == expected.channels);
  CHECK(got.mean == expected.mean);
  CHECK(got.std == expected.std);
  CHECK(got.crop == expected.crop);
  CHECK(got.crop_padding == expected.crop_padding);
  CHECK(got.flip_prob == expected.flip_prob);
  CHECK(got.use_rand_augment == expected.use_rand_augment);
  CHECK(got.erasing.prob == expected.erasing.prob);
  CHECK(got.use_mix == expected.use_mix);
  CHECK(got.mix.label_smoothing == expected.mix.label_smoothing);
  CHECK(got.eval_crop_ratio == expected.eval_crop_ratio);
}

}  // namespace

TEST_CASE("datasets: a split read by name is what its format's reader reads") {
  ovo::test::temp_dir dir("datasets_by_name");
  const auto train = ovo::test::random_image_set(12, 28, 28, 1, 10, 1);
  const auto test = ovo::test::random_image_set(6, 28, 28, 1, 10, 2);
  ovo::test::write_idx(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", train,
                       false);
  ovo::test::write_idx(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz", test,
                       true);
  const auto fashion =
      data::load_dataset<data::image_set>("fashion-mnist", dir.path(), data::dataset_split::train);
  CHECK(fashion.pixels == train.pixels);
  CHECK(fashion.labels == train.labels);
  CHECK(fashion.class_names == data::fashion_mnist_class_names());
  const auto mnist =
      data::load_dataset<data::image_set>("mnist", dir.path(), data::dataset_split::test);
  CHECK(mnist.pixels == test.pixels);
  CHECK(mnist.class_names.empty());

  const auto fine = ovo::test::random_image_set(8, 32, 32, 3, 100, 3);
  const std::vector<int> coarse{0, 19, 3, 4, 5, 6, 7, 8};
  ovo::test::write_cifar100(dir / "test.bin", fine, coarse);
  ovo::test::write_cifar10(dir / "test_batch.bin",
                           ovo::test::random_image_set(4, 32, 32, 3, 10, 4));
  CHECK(data::load_dataset<data::image_set>("cifar100", dir.path(), data::dataset_split::test)
            .labels == fine.labels);
  CHECK(data::load_dataset<data::image_set>("cifar100", dir.path(), data::dataset_split::test,
                                            {.labels = data::cifar100_labels::coarse})
            .labels == coarse);
  CHECK(data::load_dataset<data::image_set>("cifar10", dir.path(), data::dataset_split::test)
            .size() == 4);

  ovo::test::write_image_folder(dir / "val", ovo::test::random_image_set(4, 16, 16, 3, 2, 5));
  const auto folder =
      data::load_dataset<data::image_folder>("imagenet", dir.path(), data::dataset_split::test);
  CHECK(folder.root() == dir / "val");
  CHECK(folder.size() == 4);
}

TEST_CASE("datasets: a name the reader does not take is refused, listing those it takes") {
  CHECK_THROWS_WITH_AS(data::find_dataset("svhn"),
                       "dataset 'svhn': expected fashion-mnist, mnist, cifar10, cifar100 or "
                       "imagenet",
                       data::unknown_dataset);
  try {
    data::load_dataset<data::image_set>("imagenet", "/nonexistent", data::dataset_split::train);
    FAIL("expected unknown_dataset");
  } catch (const data::unknown_dataset& e) {
    CHECK(e.name() == "imagenet");
    CHECK(e.expected() == "fashion-mnist, mnist, cifar10 or cifar100");
  }
  CHECK_THROWS_WITH_AS(data::load_dataset<data::image_folder>("cifar100", "/nonexistent",
                                                              data::dataset_split::train),
                       "dataset 'cifar100': expected imagenet", data::unknown_dataset);
}

TEST_CASE("datasets: a split is checked against the classes and channels of its space") {
  ovo::test::temp_dir dir("datasets_check");
  const auto set = ovo::test::random_image_set(20, 28, 28, 1, 10, 6);
  ovo::test::write_idx(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", set,
                       false);
  const auto read = data::load_dataset_for<ovo::fashion_mnist_space, data::image_set>(
      "fashion-mnist", "mnist", dir.path(), data::dataset_split::train);
  CHECK(read.size() == 20);
  CHECK_THROWS_WITH_AS(
      (data::load_dataset_for<ovo::autoformer_tiny_cifar100, data::image_set>(
          "autoformer-t-cifar100", "mnist", dir.path(), data::dataset_split::train)),
      fmt::format("dataset 'mnist' in {} has 10 classes, space 'autoformer-t-cifar100' expects 100",
                  dir.path().string())
          .c_str(),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      data::check_dataset_fits(set, "mnist", dir.path(), {"rgb", 10, 3}),
      fmt::format("dataset 'mnist' in {} has 1-channel images, space 'rgb' expects 3",
                  dir.path().string())
          .c_str(),
      std::invalid_argument);
}

TEST_CASE("datasets: each trains with its preset and the one table's statistics") {
  for (const auto& d : data::datasets) {
    CAPTURE(d.name);
    const auto a = data::dataset_augmentation(d.name, 32, static_cast<int>(d.mean.size()));
    CHECK(a.mean == floats(d.mean));
    CHECK(a.std == floats(d.std));
    CHECK(a.size == 32);
  }
  // The presets normalise with the table's statistics of their dataset.
  check_same_preset(data::dataset_augmentation("fashion-mnist", 28, 1),
                    data::augment_options::fashion_mnist());
  check_same_preset(data::dataset_augmentation("mnist", 28, 1),
                    data::augment_options::fashion_mnist());
  check_same_preset(data::dataset_augmentation("cifar100", 32, 3),
                    data::augment_options::cifar(32));
  check_same_preset(data::dataset_augmentation("cifar10", 224, 3),
                    data::augment_options::cifar(224));
  check_same_preset(data::dataset_augmentation("imagenet", 224, 3),
                    data::augment_options::imagenet(224));
  CHECK_THROWS_AS(data::dataset_augmentation("svhn", 32, 3), data::unknown_dataset);
}

TEST_CASE("augment options: without augmentation, a training sample is its evaluation sample") {
  const auto preset = data::augment_options::cifar(32);
  const auto plain = preset.without_augmentation();
  CHECK(plain.crop == data::train_crop::padded_random_crop);
  CHECK(plain.crop_padding == 0);
  CHECK(plain.flip_prob == 0);
  CHECK_FALSE(plain.use_rand_augment);
  CHECK(plain.erasing.prob == 0);
  CHECK_FALSE(plain.use_mix);
  CHECK(plain.mix.label_smoothing == preset.mix.label_smoothing);
  CHECK(plain.mean == preset.mean);
  CHECK(plain.eval_crop_ratio == preset.eval_crop_ratio);

  const auto image = ovo::test::random_image_set(1, 32, 32, 3, 1, 7).image(0);
  std::vector<float> trained(3 * 32 * 32), evaluated(trained.size()), augmented(trained.size());
  ovo::rng_engine rng(8);
  data::train_sample(image, plain, rng, trained.data());
  data::eval_sample(image, plain, evaluated.data());
  CHECK(trained == evaluated);
  data::train_sample(image, preset, rng, augmented.data());
  CHECK(augmented != evaluated);
}

TEST_CASE("data files: a gzip file is read with data/gzip.hpp, and refused by name without it") {
  ovo::test::temp_dir dir("gzip_opt_in");
  const auto set = ovo::test::random_image_set(3, 4, 5, 1, 10, 9);
  ovo::test::write_idx(dir / "images.gz", dir / "labels.gz", set, true);
  ovo::test::write_idx(dir / "images", dir / "labels", set, false);
  CHECK(data::read_idx_images(dir / "images.gz").pixels == set.pixels);

  struct without_gzip {  // as in a program that does not include data/gzip.hpp
    data::detail::gzip_stream_opener saved = data::detail::open_gzip_stream;
    without_gzip() { data::detail::open_gzip_stream = nullptr; }
    ~without_gzip() { data::detail::open_gzip_stream = saved; }
  } plain_only;
  CHECK_THROWS_WITH_AS(
      data::read_idx_images(dir / "images.gz"),
      fmt::format("IDX images file '{}': gzip-compressed, and this program reads plain files only: "
                  "include <ovo/data/gzip.hpp> and link ovo::gzip to read it",
                  (dir / "images.gz").string())
          .c_str(),
      std::runtime_error);
  CHECK(data::read_idx_images(dir / "images").pixels == set.pixels);  // plain files still read
}
