// Dataset readers: IDX (plain and gzip), CIFAR-10/100 binaries, JPEG, image folders, holdout split.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <ovo/data/cifar.hpp>
#include <ovo/data/gzip.hpp>
#include <ovo/data/holdout.hpp>
#include <ovo/data/idx.hpp>
#include <ovo/data/image_folder.hpp>
#include <ovo/data/jpeg.hpp>

#include "../support.hpp"
#include "format_writers.hpp"
#include "image_file_writers.hpp"

namespace fs = std::filesystem;
using ovo::data::image_set;
using ovo::data::image_u8;

namespace {

doctest::Contains contains(const std::string& text) {
  return doctest::Contains(text.c_str());
}

std::vector<std::uint8_t> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::trunc) << text;
}

// Same size, labels and bytes.
void check_same_images(const image_set& got, const image_set& expected) {
  CHECK(got.height == expected.height);
  CHECK(got.width == expected.width);
  CHECK(got.channels == expected.channels);
  CHECK(got.labels == expected.labels);
  CHECK(got.pixels == expected.pixels);
}

// `count` names, "name_0" ... one a line, with a blank line after them as in the CIFAR archives.
std::string names_file_text(int count, std::vector<std::string>& names) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    names.push_back(fmt::format("name_{}", i));
    text += names.back() + "\n";
  }
  return text + "\n";
}

int max_abs_difference(const image_u8& a, const image_u8& b) {
  int most = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i)
    most = std::max(most, std::abs(a.pixels[i] - b.pixels[i]));
  return most;
}

}  // namespace

TEST_CASE("data: IDX images and labels read back byte for byte, plain and gzip") {
  ovo::test::temp_dir dir("idx_round_trip");
  const image_set set = ovo::test::random_image_set(37, 5, 7, 1, 10, 1);
  for (const bool gzip : {false, true}) {
    CAPTURE(gzip);
    const fs::path images = dir / "images", labels = dir / "labels";
    ovo::test::write_idx(images, labels, set, gzip);
    const auto head = read_bytes(images);
    CHECK((head[0] == 0x1f && head[1] == 0x8b) == gzip);  // the gzip magic only when compressed

    const image_set got = ovo::data::load_idx(images, labels);
    check_same_images(got, set);
    CHECK(got.classes == 10);
    CHECK(got.class_names.empty());

    const auto raw = ovo::data::read_idx_images(images);
    CHECK(raw.count == 37);
    CHECK(raw.height == 5);
    CHECK(raw.width == 7);
    CHECK(ovo::data::read_idx_labels(labels, 10) == set.labels);
  }
}

TEST_CASE("data: IDX errors name the file and what was expected") {
  ovo::test::temp_dir dir("idx_errors");
  const image_set set = ovo::test::random_image_set(20, 4, 3, 1, 10, 2);
  const fs::path images = dir / "images", labels = dir / "labels";
  ovo::test::write_idx(images, labels, set, false);
  const auto image_bytes = read_bytes(images);
  const auto label_bytes = read_bytes(labels);

  SUBCASE("truncated by one byte") {
    write_bytes(images, {image_bytes.begin(), image_bytes.end() - 1});
    CHECK_THROWS_WITH_AS(
        ovo::data::load_idx(images, labels),
        contains(fmt::format("IDX images file '{}': truncated pixels of 20 images: the header "
                             "describes 256 bytes in all, the file holds 255",
                             images.string())),
        std::runtime_error);
    write_bytes(labels, {label_bytes.begin(), label_bytes.end() - 1});
    CHECK_THROWS_WITH_AS(ovo::data::read_idx_labels(labels, 10),
                         contains(fmt::format("IDX labels file '{}': truncated 20 labels: the "
                                              "header describes 28 bytes in all, the file holds 27",
                                              labels.string())),
                         std::runtime_error);
    write_bytes(labels, {label_bytes.begin(), label_bytes.begin() + 6});
    CHECK_THROWS_WITH_AS(
        ovo::data::read_idx_labels(labels, 10),
        contains(fmt::format("IDX labels file '{}': truncated header", labels.string())),
        std::runtime_error);
  }
  SUBCASE("trailing data") {
    auto longer = image_bytes;
    longer.push_back(0);
    write_bytes(images, longer);
    CHECK_THROWS_WITH_AS(
        ovo::data::load_idx(images, labels),
        contains(fmt::format("IDX images file '{}': trailing data after the 256 bytes",
                             images.string())),
        std::runtime_error);
  }
  SUBCASE("wrong magic") {
    CHECK_THROWS_WITH_AS(ovo::data::load_idx(labels, images),
                         contains(fmt::format("IDX images file '{}': magic number 0x00000801, "
                                              "expected 0x00000803",
                                              labels.string())),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(ovo::data::read_idx_labels(images, 10),
                         contains(fmt::format("IDX labels file '{}': magic number 0x00000803, "
                                              "expected 0x00000801",
                                              images.string())),
                         std::runtime_error);
  }
  SUBCASE("label out of range") {
    auto bad = label_bytes;
    bad[8 + 13] = 10;
    write_bytes(labels, bad);
    CHECK_THROWS_WITH_AS(
        ovo::data::load_idx(images, labels),
        contains(fmt::format("IDX labels file '{}': label 10 of item 13, expected 0..9",
                             labels.string())),
        std::runtime_error);
    bad[8 + 13] = 2;
    write_bytes(labels, bad);
    CHECK_NOTHROW(ovo::data::load_idx(images, labels));
    CHECK_THROWS_WITH_AS(ovo::data::load_idx(images, labels, 2),
                         contains(fmt::format("IDX labels file '{}': label", labels.string())),
                         std::runtime_error);
    CHECK_THROWS_AS(ovo::data::read_idx_labels(labels, 0), std::invalid_argument);
  }
  SUBCASE("counts differ") {
    ovo::test::write_idx(dir / "other_images", dir / "other_labels",
                         ovo::test::random_image_set(19, 4, 3, 1, 10, 3), false);
    CHECK_THROWS_WITH_AS(ovo::data::load_idx(images, dir / "other_labels"),
                         contains(fmt::format("IDX files '{}' and '{}': 20 images but 19 labels",
                                              images.string(), (dir / "other_labels").string())),
                         std::runtime_error);
  }
  SUBCASE("zero-sized images") {
    auto bad = image_bytes;
    bad[8] = bad[9] = bad[10] = bad[11] = 0;  // rows
    write_bytes(images, bad);
    CHECK_THROWS_WITH_AS(
        ovo::data::read_idx_images(images),
        contains(fmt::format("IDX images file '{}': images of 0 x 3 pixels", images.string())),
        std::runtime_error);
  }
  SUBCASE("corrupt or cut gzip stream") {
    ovo::test::write_idx(images, labels, set, true);
    auto gz = read_bytes(images);
    REQUIRE(gz.size() > 40);
    auto corrupt = gz;
    for (std::size_t i = 20; i < 30; ++i) corrupt[i] ^= 0x5a;
    write_bytes(images, corrupt);
    CHECK_THROWS_WITH_AS(
        ovo::data::read_idx_images(images),
        contains(fmt::format("IDX images file '{}': corrupt or unreadable data", images.string())),
        std::runtime_error);
    write_bytes(images, {gz.begin(), gz.end() - 1});  // the last byte of the trailer missing
    CHECK_THROWS_WITH_AS(ovo::data::read_idx_images(images),
                         contains(fmt::format("IDX images file '{}': corrupt or unreadable data: "
                                              "unexpected end of file",
                                              images.string())),
                         std::runtime_error);
  }
  SUBCASE("missing file") {
    CHECK_THROWS_WITH_AS(ovo::data::load_idx(dir / "absent", labels),
                         contains(fmt::format("IDX images file '{}': cannot open: No such file",
                                              (dir / "absent").string())),
                         std::runtime_error);
  }
}

TEST_CASE("data: IDX sizes beyond what the file can hold are refused before reading") {
  ovo::test::temp_dir dir("idx_sizes");
  // 4294967295 images of 32768 x 32768 pixels, then no pixels.
  const std::vector<std::uint8_t> images = {0, 0, 8,    3, 0xff, 0xff, 0xff, 0xff,
                                            0, 0, 0x80, 0, 0,    0,    0x80, 0};
  const std::vector<std::uint8_t> labels = {0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff};
  const fs::path plain = dir / "images", gzipped = dir / "images.gz", label_file = dir / "labels";
  write_bytes(plain, images);
  CHECK_THROWS_WITH_AS(
      ovo::data::read_idx_images(plain),
      contains(
          fmt::format("IDX images file '{}': truncated pixels of 4294967295 images: the header "
                      "describes 4611686017353646096 bytes in all, the file holds 16",
                      plain.string())),
      std::runtime_error);
  ovo::test::detail::write_bytes(gzipped, images, true);
  const auto gzip_size = fs::file_size(gzipped);
  CHECK_THROWS_WITH_AS(
      ovo::data::read_idx_images(gzipped),
      contains(fmt::format("truncated pixels of 4294967295 images: the header describes "
                           "4611686017353646096 bytes in all, more than the {}-byte gzip file can "
                           "inflate to (at most {})",
                           gzip_size, gzip_size * 1032)),
      std::runtime_error);
  write_bytes(label_file, labels);
  CHECK_THROWS_WITH_AS(
      ovo::data::read_idx_labels(label_file, 10),
      contains(fmt::format("IDX labels file '{}': truncated 4294967295 labels: the header "
                           "describes 4294967303 bytes in all, the file holds 8",
                           label_file.string())),
      std::runtime_error);
}

TEST_CASE("data: CIFAR records decode from memory as from a file") {
  ovo::test::temp_dir dir("cifar_memory");
  const image_set set = ovo::test::random_image_set(3, 32, 32, 3, 10, 9);
  ovo::test::write_cifar10(dir / "batch.bin", set);
  const auto bytes = read_bytes(dir / "batch.bin");
  const auto decoded = ovo::data::decode_cifar(std::as_bytes(std::span(bytes)), "in memory",
                                               ovo::data::cifar10_layout);
  check_same_images(decoded,
                    ovo::data::read_cifar_file(dir / "batch.bin", ovo::data::cifar10_layout));
  check_same_images(decoded, set);
  CHECK_THROWS_WITH_AS(
      ovo::data::decode_cifar(std::as_bytes(std::span(bytes)).first(3000), "in memory",
                              ovo::data::cifar10_layout),
      contains("CIFAR file 'in memory': size 3000 bytes is not a positive multiple of the "
               "3073-byte record"),
      std::runtime_error);
}

TEST_CASE("data: MNIST split directory, plain files preferred over gzip") {
  ovo::test::temp_dir dir("mnist_split");
  const image_set train = ovo::test::random_image_set(30, 28, 28, 1, 10, 4);
  const image_set test = ovo::test::random_image_set(12, 28, 28, 1, 10, 5);
  const image_set stale = ovo::test::random_image_set(30, 28, 28, 1, 10, 6);
  ovo::test::write_idx(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", train,
                       false);
  ovo::test::write_idx(dir / "train-images-idx3-ubyte.gz", dir / "train-labels-idx1-ubyte.gz",
                       stale, true);
  ovo::test::write_idx(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz", test,
                       true);
  check_same_images(ovo::data::load_mnist_split(dir.path(), "train"), train);
  check_same_images(ovo::data::load_mnist_split(dir.path(), "test"), test);

  fs::remove(dir / "t10k-labels-idx1-ubyte.gz");
  CHECK_THROWS_WITH_AS(ovo::data::load_mnist_split(dir.path(), "test"),
                       contains(fmt::format("needs '{}' or '{}.gz', found neither",
                                            (dir / "t10k-labels-idx1-ubyte").string(),
                                            (dir / "t10k-labels-idx1-ubyte").string())),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(ovo::data::load_mnist_split(dir.path(), "validation"),
                       contains("split 'validation', expected 'train' or 'test'"),
                       std::invalid_argument);
}

TEST_CASE("data: Fashion-MNIST test set from the Debian package, when installed") {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(dir)) {
    MESSAGE("skipped: " << dir.string() << " is missing (Debian package dataset-fashion-mnist)");
    return;
  }
  const image_set test = ovo::data::load_mnist_split(dir, "test");
  CHECK(test.size() == 10000);
  CHECK(test.height == 28);
  CHECK(test.width == 28);
  CHECK(test.channels == 1);
  CHECK(test.pixels.size() == 10000u * 28 * 28);
  std::vector<int> histogram(10, 0);
  for (int label : test.labels) ++histogram[static_cast<std::size_t>(label)];
  CHECK(histogram == std::vector<int>(10, 1000));
  CHECK(test.labels[0] == 9);  // the first test image is an ankle boot
  CHECK(ovo::data::fashion_mnist_class_names()[9] == "Ankle boot");
  CHECK(ovo::data::fashion_mnist_class_names().size() == 10);
  CHECK(*std::ranges::max_element(test.pixels) == 255);
}

TEST_CASE("data: CIFAR records become HWC images from their colour planes") {
  ovo::test::temp_dir dir("cifar_planes");
  // Record r: label r + 3, then plane c's pixel p holds (r * 31 + c * 100 + p * 7) mod 256.
  const auto plane_value = [](int r, int c, int p) {
    return static_cast<std::uint8_t>((r * 31 + c * 100 + p * 7) % 256);
  };
  std::vector<std::uint8_t> bytes;
  for (int r = 0; r < 2; ++r) {
    bytes.push_back(static_cast<std::uint8_t>(r + 3));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) bytes.push_back(plane_value(r, c, p));
  }
  write_bytes(dir / "hand.bin", bytes);
  const image_set got = ovo::data::read_cifar_file(dir / "hand.bin", ovo::data::cifar10_layout);
  REQUIRE(got.size() == 2);
  CHECK(got.labels == std::vector<int>{3, 4});
  CHECK(got.height == 32);
  CHECK(got.width == 32);
  CHECK(got.channels == 3);
  CHECK(got.classes == 10);
  int mismatches = 0;
  for (int r = 0; r < 2; ++r) {
    const image_u8 image = got.image(static_cast<std::size_t>(r));
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        for (int c = 0; c < 3; ++c)
          mismatches += image.at(y, x, c) != plane_value(r, c, y * 32 + x);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("data: CIFAR-10 batches and names read back byte for byte") {
  ovo::test::temp_dir dir("cifar10");
  std::vector<image_set> batches;
  image_set train = ovo::test::random_image_set(0, 32, 32, 3, 10, 0);
  for (int b = 1; b <= 5; ++b) {
    batches.push_back(ovo::test::random_image_set(4 + b, 32, 32, 3, 10, 10 + b));
    ovo::test::write_cifar10(dir / fmt::format("data_batch_{}.bin", b), batches.back());
    train.pixels.insert(train.pixels.end(), batches.back().pixels.begin(),
                        batches.back().pixels.end());
    train.labels.insert(train.labels.end(), batches.back().labels.begin(),
                        batches.back().labels.end());
  }
  const image_set test = ovo::test::random_image_set(7, 32, 32, 3, 10, 20);
  ovo::test::write_cifar10(dir / "test_batch.bin", test);

  const image_set got_train = ovo::data::load_cifar10(dir.path(), "train");
  CHECK(got_train.size() == 5 + 6 + 7 + 8 + 9);
  check_same_images(got_train, train);
  CHECK(got_train.classes == 10);
  CHECK(got_train.class_names.empty());

  std::vector<std::string> names;
  write_text(dir / "batches.meta.txt", names_file_text(10, names));
  const image_set got_test = ovo::data::load_cifar10(dir.path(), "test");
  check_same_images(got_test, test);
  CHECK(got_test.class_names == names);

  check_same_images(ovo::data::read_cifar_file(dir / "data_batch_3.bin", ovo::data::cifar10_layout),
                    batches[2]);
}

TEST_CASE("data: CIFAR-100 fine and coarse labels and names") {
  ovo::test::temp_dir dir("cifar100");
  const image_set fine = ovo::test::random_image_set(250, 32, 32, 3, 100, 30);
  std::vector<int> coarse;
  for (int label : fine.labels) coarse.push_back(label / 5);
  ovo::test::write_cifar100(dir / "train.bin", fine, coarse);
  ovo::test::write_cifar100(dir / "test.bin", ovo::test::random_image_set(3, 32, 32, 3, 100, 31),
                            std::vector<int>{0, 19, 7});

  const image_set got_fine = ovo::data::load_cifar100(dir.path(), "train");
  check_same_images(got_fine, fine);
  CHECK(got_fine.classes == 100);
  CHECK(got_fine.class_names.empty());

  std::vector<std::string> fine_names, coarse_names;
  write_text(dir / "fine_label_names.txt", names_file_text(100, fine_names));
  write_text(dir / "coarse_label_names.txt", names_file_text(20, coarse_names));
  const image_set got_coarse =
      ovo::data::load_cifar100(dir.path(), "train", ovo::data::cifar100_labels::coarse);
  CHECK(got_coarse.labels == coarse);
  CHECK(got_coarse.pixels == fine.pixels);
  CHECK(got_coarse.classes == 20);
  CHECK(got_coarse.class_names == coarse_names);
  CHECK(ovo::data::load_cifar100(dir.path(), "train").class_names == fine_names);
  CHECK(ovo::data::load_cifar100(dir.path(), "test", ovo::data::cifar100_labels::coarse).labels ==
        std::vector<int>{0, 19, 7});
}

TEST_CASE("data: CIFAR errors name the file and what was expected") {
  ovo::test::temp_dir dir("cifar_errors");
  for (int b = 1; b <= 5; ++b)
    ovo::test::write_cifar10(dir / fmt::format("data_batch_{}.bin", b),
                             ovo::test::random_image_set(3, 32, 32, 3, 10, 40 + b));
  const fs::path batch = dir / "data_batch_3.bin";
  const auto bytes = read_bytes(batch);

  SUBCASE("missing file") {
    fs::remove(batch);
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar10(dir.path(), "train"),
                         contains(fmt::format("CIFAR file '{}' does not exist", batch.string())),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar100(dir.path(), "test"),
                         contains((dir / "test.bin").string()), std::runtime_error);
  }
  SUBCASE("size not a multiple of the record") {
    auto longer = bytes;
    longer.push_back(1);
    write_bytes(batch, longer);
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar10(dir.path(), "train"),
                         contains(fmt::format("CIFAR file '{}': size 9220 bytes is not a positive "
                                              "multiple of the 3073-byte record",
                                              batch.string())),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(
        ovo::data::read_cifar_file(dir / "data_batch_1.bin",
                                   ovo::data::cifar100_layout(ovo::data::cifar100_labels::fine)),
        contains("size 9219 bytes is not a positive multiple of the 3074-byte record"),
        std::runtime_error);
    write_bytes(batch, {});
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar10(dir.path(), "train"),
                         contains(fmt::format("CIFAR file '{}': size 0 bytes", batch.string())),
                         std::runtime_error);
  }
  SUBCASE("label out of range") {
    auto bad = bytes;
    bad[2 * 3073] = 10;
    write_bytes(batch, bad);
    CHECK_THROWS_WITH_AS(
        ovo::data::load_cifar10(dir.path(), "train"),
        contains(
            fmt::format("CIFAR file '{}': record 2 has label 10, expected 0..9", batch.string())),
        std::runtime_error);
    const image_set fine = ovo::test::random_image_set(2, 32, 32, 3, 100, 50);
    ovo::test::write_cifar100(dir / "train.bin", fine, std::vector<int>{3, 20});
    CHECK_THROWS_WITH_AS(
        ovo::data::load_cifar100(dir.path(), "train", ovo::data::cifar100_labels::coarse),
        contains(fmt::format("CIFAR file '{}': record 1 has coarse label 20, expected 0..19",
                             (dir / "train.bin").string())),
        std::runtime_error);
  }
  SUBCASE("names file with the wrong number of names") {
    std::vector<std::string> names;
    write_text(dir / "batches.meta.txt", names_file_text(9, names));
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar10(dir.path(), "train"),
                         contains(fmt::format("CIFAR names file '{}': 9 names, expected 10",
                                              (dir / "batches.meta.txt").string())),
                         std::runtime_error);
  }
  SUBCASE("unknown split") {
    CHECK_THROWS_WITH_AS(ovo::data::load_cifar10(dir.path(), "val"),
                         contains("split 'val', expected 'train' or 'test'"),
                         std::invalid_argument);
  }
}

TEST_CASE("data: JPEG encode and decode keep smooth images close") {
  ovo::test::temp_dir dir("jpeg");
  const image_u8 rgb = ovo::test::smooth_random_image(24, 40, 3, 60);
  const auto encoded = ovo::data::encode_jpeg(rgb, 100);
  REQUIRE(encoded.size() > 4);
  CHECK(encoded[0] == 0xff);
  CHECK(encoded[1] == 0xd8);  // start-of-image marker
  const image_u8 decoded = ovo::data::decode_jpeg(encoded, "in memory");
  CHECK(decoded.height == 24);
  CHECK(decoded.width == 40);
  CHECK(decoded.channels == 3);
  CHECK(max_abs_difference(decoded, rgb) <= 8);

  // Grayscale images decode to three equal channels.
  const image_u8 gray = ovo::test::smooth_random_image(17, 9, 1, 61);
  ovo::data::write_jpeg(dir / "gray.jpg", gray, 100);
  const image_u8 gray_read = ovo::data::read_jpeg(dir / "gray.jpg");
  REQUIRE(gray_read.channels == 3);
  CHECK(gray_read.height == 17);
  CHECK(gray_read.width == 9);
  int worst = 0;
  for (int y = 0; y < 17; ++y)
    for (int x = 0; x < 9; ++x)
      for (int c = 0; c < 3; ++c)
        worst = std::max(worst, std::abs(gray_read.at(y, x, c) - gray.at(y, x, 0)));
  CHECK(worst <= 8);

  // Lower quality loses more; a noisy image is far from its quality-10 copy.
  const image_u8 noise = ovo::test::random_image_set(1, 32, 32, 3, 1, 62).image(0);
  CHECK(max_abs_difference(ovo::data::decode_jpeg(ovo::data::encode_jpeg(noise, 10), "noise"),
                           noise) > 30);

  CHECK_THROWS_WITH_AS(ovo::data::encode_jpeg(image_u8(4, 4, 2)),
                       contains("image with 2 channels, expected 1 or 3"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::data::encode_jpeg(rgb, 0), contains("quality 0, expected 1..100"),
                       std::invalid_argument);
}

TEST_CASE("data: corrupt or missing JPEG files throw naming the file") {
  ovo::test::temp_dir dir("jpeg_errors");
  const fs::path garbage = dir / "garbage.jpg";
  write_bytes(garbage, {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  CHECK_THROWS_WITH_AS(
      ovo::data::read_jpeg(garbage),
      contains(fmt::format("JPEG '{}': cannot read the header: ", garbage.string())),
      std::runtime_error);

  // A real JPEG whose frame header says 0 x 0 pixels.
  auto bytes = ovo::data::encode_jpeg(ovo::test::smooth_random_image(16, 16, 3, 63), 90);
  const auto frame = std::ranges::search(bytes, std::vector<std::uint8_t>{0xff, 0xc0});
  REQUIRE(frame.begin() != bytes.end());
  const auto at = static_cast<std::size_t>(frame.begin() - bytes.begin());
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at + 5), 4, std::uint8_t{0});
  const fs::path broken = dir / "broken.jpg";
  write_bytes(broken, bytes);
  CHECK_THROWS_WITH_AS(ovo::data::read_jpeg(broken),
                       contains(fmt::format("JPEG '{}'", broken.string())), std::runtime_error);

  // A file cut in half is refused as truncated, not decoded into a grey lower half.
  const auto whole = ovo::data::encode_jpeg(ovo::test::smooth_random_image(64, 64, 3, 64), 90);
  const fs::path cut = dir / "cut.jpg";
  write_bytes(cut, std::vector<std::uint8_t>(whole.begin(), whole.begin() + whole.size() / 2));
  CHECK_THROWS_WITH_AS(ovo::data::read_jpeg(cut),
                       contains(fmt::format("JPEG '{}': truncated", cut.string())),
                       std::runtime_error);

  CHECK_THROWS_WITH_AS(ovo::data::read_jpeg(dir / "absent.jpg"),
                       contains((dir / "absent.jpg").string()), std::runtime_error);
  CHECK_THROWS_WITH_AS(ovo::data::decode_jpeg({}, "empty buffer"),
                       contains("JPEG 'empty buffer': 0 bytes is not a JPEG"), std::runtime_error);
}

TEST_CASE("data: image_folder lists classes and JPEG and PNG files in order") {
  ovo::test::temp_dir dir("image_folder");
  const fs::path root = dir / "root";
  // Class directories created out of order; files of mixed extension case; other files ignored.
  const std::vector<std::pair<std::string, std::vector<std::string>>> tree = {
      {"cat", {"b.JPG", "a.jpeg", "sub/c.jpg"}}, {"ant", {"z.jpg", "y.JPEG"}}, {"bee", {"m.jpg"}}};
  int seed = 70;
  for (const auto& [name, files] : tree) {
    fs::create_directories(root / name / "sub");
    for (const auto& file : files)
      ovo::data::write_jpeg(root / name / file, ovo::test::smooth_random_image(8, 6, 3, seed++));
    write_text(root / name / "notes.txt", "not an image");
    write_text(root / name / "image.gif", "not a JPEG or PNG");
  }
  const image_u8 png_image = ovo::test::smooth_random_image(5, 7, 3, 76);
  write_bytes(root / "bee" / "n.PNG",
              ovo::test::encode_png(7, 5, PNG_FORMAT_RGB, png_image.pixels.data()));
  write_text(root / "README", "a file beside the classes");

  const ovo::data::image_folder folder(root);
  CHECK(folder.classes() == 3);
  CHECK(folder.class_names() == std::vector<std::string>{"ant", "bee", "cat"});
  CHECK(folder.root() == root);
  REQUIRE(folder.size() == 7);
  const std::vector<fs::path> expected_paths = {
      root / "ant/y.JPEG", root / "ant/z.jpg", root / "bee/m.jpg",    root / "bee/n.PNG",
      root / "cat/a.jpeg", root / "cat/b.JPG", root / "cat/sub/c.jpg"};
  const std::vector<int> expected_labels = {0, 0, 1, 1, 2, 2, 2};
  for (std::size_t i = 0; i < folder.size(); ++i) {
    CAPTURE(i);
    CHECK(folder.path(i) == expected_paths[i]);
    CHECK(folder.label(i) == expected_labels[i]);
  }
  // ant/z.jpg was written from seed 73.
  const image_u8 z = folder.image(1);
  CHECK(z.height == 8);
  CHECK(z.width == 6);
  CHECK(z.channels == 3);
  CHECK(max_abs_difference(z, ovo::test::smooth_random_image(8, 6, 3, 73)) <= 12);
  CHECK(folder.image(3).pixels == png_image.pixels);

  // The holdout split and the data loader take an image_folder or an image_set alike.
  static_assert(ovo::data::labelled_source<ovo::data::image_folder>);
  static_assert(ovo::data::labelled_source<image_set>);
  static_assert(std::is_same_v<decltype(folder.image(0)), image_u8>);
  static_assert(std::is_same_v<decltype(std::declval<const image_set&>().image(0)), image_u8>);
}

TEST_CASE("data: image_folder errors name the directory") {
  ovo::test::temp_dir dir("image_folder_errors");
  const fs::path root = dir / "root";
  CHECK_THROWS_WITH_AS(ovo::data::image_folder{root},
                       contains(fmt::format("image_folder '{}': not a directory", root.string())),
                       std::runtime_error);
  fs::create_directories(root);
  write_text(root / "stray.jpg", "a file, not a class");
  CHECK_THROWS_WITH_AS(
      ovo::data::image_folder{root},
      contains(fmt::format("image_folder '{}': no class subdirectories", root.string())),
      std::runtime_error);
  fs::create_directories(root / "full");
  ovo::data::write_jpeg(root / "full" / "a.jpg", ovo::test::smooth_random_image(4, 4, 3, 80));
  fs::create_directories(root / "empty");
  write_text(root / "empty" / "a.gif", "not a JPEG or PNG");
  CHECK_THROWS_WITH_AS(
      ovo::data::image_folder{root},
      contains(fmt::format("image_folder '{}': class 'empty' has no .jpg/.jpeg/.png files",
                           root.string())),
      std::runtime_error);
  fs::remove_all(root / "empty");
  CHECK(ovo::data::image_folder(root).size() == 1);
}

TEST_CASE("data: holdout split takes exactly per_class images of each class") {
  const image_set set = ovo::test::random_image_set(103, 1, 1, 1, 5, 90);  // 21 or 20 per class
  const auto split = ovo::data::split_holdout(set.labels, 5, 4, 7);
  CHECK(split.holdout.size() == 20);
  CHECK(split.train.size() == 83);
  CHECK(std::ranges::is_sorted(split.holdout));
  CHECK(std::ranges::is_sorted(split.train));
  std::vector<int> per_class(5, 0);
  for (std::size_t i : split.holdout) ++per_class[static_cast<std::size_t>(set.labels[i])];
  CHECK(per_class == std::vector<int>(5, 4));
  std::vector<std::size_t> all = split.train;
  all.insert(all.end(), split.holdout.begin(), split.holdout.end());
  std::ranges::sort(all);
  std::vector<std::size_t> expected(103);
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = i;
  CHECK(all == expected);  // disjoint and covering

  CHECK(ovo::data::split_holdout(set.labels, 5, 4, 7).holdout == split.holdout);
  CHECK(ovo::data::split_holdout(set, 5, 4, 7).holdout == split.holdout);
  CHECK(ovo::data::split_holdout(set.labels, 5, 4, 8).holdout != split.holdout);
  CHECK(ovo::data::split_holdout(set.labels, 5, 0, 7).train == expected);

  // Every image of a class is held out by some seed (the choice is not stuck on a few).
  std::set<std::size_t> ever_held;
  for (std::uint64_t seed = 0; seed < 60; ++seed)
    for (std::size_t i : ovo::data::split_holdout(set.labels, 5, 4, seed).holdout)
      ever_held.insert(i);
  CHECK(ever_held.size() == 103);
}

TEST_CASE("data: holdout split errors name the class and the counts") {
  const std::vector<int> labels = {0, 1, 1, 2, 2, 2, 0, 1, 2};  // 2, 3 and 4 images
  CHECK_THROWS_WITH_AS(ovo::data::split_holdout(labels, 3, 2, 1),
                       contains("class 0 has 2 images, expected more than the 2 to hold out"),
                       std::invalid_argument);
  CHECK(ovo::data::split_holdout(labels, 3, 1, 1).holdout.size() == 3);
  CHECK_THROWS_WITH_AS(ovo::data::split_holdout(labels, 4, 1, 1), contains("class 3 has 0 images"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::data::split_holdout(labels, 2, 1, 1),
                       contains("label 2 of image 3, expected 0..1"), std::invalid_argument);
  CHECK_THROWS_AS(ovo::data::split_holdout(labels, 3, -1, 1), std::invalid_argument);
}
