// Image files decoded by content (CMYK and YCCK JPEGs, PNGs of every colour type), their errors
// and size limits, and image folders that replace or refuse undecodable files.
#include <doctest/doctest.h>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <ovo/data/image_check.hpp>
#include <ovo/data/image_decode.hpp>
#include <ovo/data/image_folder.hpp>
#include <ovo/data/loader.hpp>

#include "../support.hpp"
#include "format_writers.hpp"
#include "image_file_writers.hpp"

// The largest single request to operator new so far, for the tests that a size read from a file is
// refused before anything is allocated. This replaces the global operator new of the test_data
// program; it allocates as the default one does.
namespace {
std::atomic<std::size_t> largest_new_request{0};
}  // namespace

void* operator new(std::size_t size) {
  std::size_t seen = largest_new_request.load(std::memory_order_relaxed);
  while (size > seen && !largest_new_request.compare_exchange_weak(seen, size)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// Not inlined, so that GCC does not take the free() of a pointer from operator new for a mismatch.
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace fs = std::filesystem;
using ovo::data::image_u8;

namespace {

doctest::Contains contains(const std::string& text) {
  return doctest::Contains(text.c_str());
}

void write_bytes(const fs::path& file, std::span<const std::uint8_t> bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

const std::vector<std::uint8_t> garbage = {'n', 'o', 't', ' ', 'a', 'n',
                                           ' ', 'i', 'm', 'a', 'g', 'e'};

// A 32 x 32 CMYK image of four uniform 16 x 16 quadrants (whole JPEG blocks, so JPEG keeps them
// nearly exact), and the RGB each quadrant stands for when the inks are stored inverted (Adobe's
// and PIL's convention): R = C * K / 255, G = M * K / 255, B = Y * K / 255.
struct cmyk_quadrants {
  static constexpr int size = 32;
  std::vector<std::uint8_t> cmyk;
  std::vector<std::array<int, 3>> rgb;  // top left, top right, bottom left, bottom right

  cmyk_quadrants() {
    const std::array<std::array<int, 4>, 4> inks = {
        {{255, 255, 255, 255}, {255, 0, 0, 255}, {40, 200, 120, 255}, {200, 100, 250, 128}}};
    for (const auto& q : inks)
      rgb.push_back(
          {(q[0] * q[3] + 127) / 255, (q[1] * q[3] + 127) / 255, (q[2] * q[3] + 127) / 255});
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        for (int c = 0; c < 4; ++c)
          cmyk.push_back(static_cast<std::uint8_t>(inks[quadrant(y, x)][c]));
  }
  static std::size_t quadrant(int y, int x) {
    return static_cast<std::size_t>((y >= size / 2) * 2 + (x >= size / 2));
  }
  // The largest difference of a decoded image from the quadrants' RGB.
  int max_error(const image_u8& decoded) const {
    int most = 0;
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        for (int c = 0; c < 3; ++c)
          most = std::max(most, std::abs(decoded.at(y, x, c) - rgb[quadrant(y, x)][c]));
    return most;
  }
};

int jpeg_colorspace(std::span<const std::uint8_t> bytes) {
  tjhandle handle = ::tjInitDecompress();
  int width = 0, height = 0, subsampling = 0, colorspace = -1;
  ::tjDecompressHeader3(handle, bytes.data(), bytes.size(), &width, &height, &subsampling,
                        &colorspace);
  ::tjDestroy(handle);
  return colorspace;
}

// Deterministic bytes for test pixels.
std::vector<std::uint8_t> pattern(std::size_t n, int seed) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] =
        static_cast<std::uint8_t>((i * 37 + static_cast<std::size_t>(seed) * 101 + i * i) % 256);
  return out;
}

// An RGB image whose pixel p's channel c is rgb_of(p, c).
template <class F>
image_u8 rgb_image(int height, int width, F rgb_of) {
  image_u8 out(height, width, 3);
  for (std::size_t p = 0; p < static_cast<std::size_t>(height) * width; ++p)
    for (std::size_t c = 0; c < 3; ++c) out.pixels[3 * p + c] = rgb_of(p, c);
  return out;
}

// Bit depth and colour type from a PNG's IHDR (bytes 24 and 25).
std::pair<int, int> png_depth_and_colour(const std::vector<std::uint8_t>& png) {
  return {png.at(24), png.at(25)};
}

// Sets a PNG's IHDR width and height and recomputes the chunk's CRC.
void set_png_size(std::vector<std::uint8_t>& png, std::uint32_t width, std::uint32_t height) {
  for (int k = 0; k < 4; ++k) {
    png[16 + k] = static_cast<std::uint8_t>(width >> (24 - 8 * k));
    png[20 + k] = static_cast<std::uint8_t>(height >> (24 - 8 * k));
  }
  const auto crc = static_cast<std::uint32_t>(::crc32(0, png.data() + 12, 17));  // "IHDR" + data
  for (int k = 0; k < 4; ++k) png[29 + k] = static_cast<std::uint8_t>(crc >> (24 - 8 * k));
}

}  // namespace

TEST_CASE("data: CMYK and YCCK JPEGs decode to RGB with the inks taken as stored inverted") {
  const cmyk_quadrants image;
  const auto cmyk = ovo::test::encode_cmyk_jpeg(image.size, image.size, image.cmyk);
  const auto ycck = ovo::test::encode_ycck_jpeg(image.size, image.size, image.cmyk);
  CHECK(jpeg_colorspace(cmyk) == TJCS_CMYK);
  CHECK(jpeg_colorspace(ycck) == TJCS_YCCK);
  for (const auto* bytes : {&cmyk, &ycck}) {
    CAPTURE(jpeg_colorspace(*bytes));
    const image_u8 decoded = ovo::data::decode_image(*bytes, "cmyk.jpg");
    REQUIRE(decoded.channels == 3);
    REQUIRE(decoded.height == image.size);
    REQUIRE(decoded.width == image.size);
    CHECK(image.max_error(decoded) <= 3);
  }
}

TEST_CASE("data: PNGs of every colour type and depth decode to 8-bit RGB byte for byte") {
  constexpr std::uint32_t w = 7, h = 5;
  constexpr std::size_t n = w * h;
  struct expected_png {
    std::string kind;
    std::vector<std::uint8_t> file;
    int depth, colour;
    image_u8 rgb;
  };
  std::vector<expected_png> cases;

  const auto grey = pattern(n, 1);
  cases.push_back({"grey", ovo::test::encode_png(w, h, PNG_FORMAT_GRAY, grey.data()), 8,
                   PNG_COLOR_TYPE_GRAY,
                   rgb_image(h, w, [&](std::size_t p, std::size_t) { return grey[p]; })});
  const auto grey_alpha = pattern(2 * n, 2);
  cases.push_back({"grey + alpha", ovo::test::encode_png(w, h, PNG_FORMAT_GA, grey_alpha.data()), 8,
                   PNG_COLOR_TYPE_GRAY_ALPHA,
                   rgb_image(h, w, [&](std::size_t p, std::size_t) { return grey_alpha[2 * p]; })});
  const auto rgb = pattern(3 * n, 3);
  cases.push_back({"RGB", ovo::test::encode_png(w, h, PNG_FORMAT_RGB, rgb.data()), 8,
                   PNG_COLOR_TYPE_RGB,
                   rgb_image(h, w, [&](std::size_t p, std::size_t c) { return rgb[3 * p + c]; })});
  auto rgba = pattern(4 * n, 4);
  rgba[3] = 0;  // a fully transparent pixel keeps its stored colour
  cases.push_back({"RGBA", ovo::test::encode_png(w, h, PNG_FORMAT_RGBA, rgba.data()), 8,
                   PNG_COLOR_TYPE_RGB_ALPHA,
                   rgb_image(h, w, [&](std::size_t p, std::size_t c) { return rgba[4 * p + c]; })});
  // Five colours with transparency: a 4-bit palette with a tRNS chunk.
  const std::vector<std::uint8_t> palette = {10,  20, 30,  255, 200, 100, 0, 128, 0,   0,
                                             255, 0,  255, 255, 255, 255, 7, 77,  177, 0};
  std::vector<std::uint8_t> indices(n);
  for (std::size_t p = 0; p < n; ++p) indices[p] = static_cast<std::uint8_t>((p * 3) % 5);
  cases.push_back(
      {"palette",
       ovo::test::encode_png(w, h, PNG_FORMAT_RGBA_COLORMAP, indices.data(), palette.data(), 5), 4,
       PNG_COLOR_TYPE_PALETTE,
       rgb_image(h, w, [&](std::size_t p, std::size_t c) { return palette[4 * indices[p] + c]; })});
  // 16-bit samples keep their high byte.
  std::vector<std::uint16_t> rgb16(3 * n), grey16(n);
  for (std::size_t i = 0; i < rgb16.size(); ++i)
    rgb16[i] = static_cast<std::uint16_t>((i * 7919 + 12345) % 65536);
  for (std::size_t i = 0; i < grey16.size(); ++i)
    grey16[i] = static_cast<std::uint16_t>((i * 4099 + 255) % 65536);
  cases.push_back({"16-bit RGB", ovo::test::encode_png(w, h, PNG_FORMAT_LINEAR_RGB, rgb16.data()),
                   16, PNG_COLOR_TYPE_RGB, rgb_image(h, w, [&](std::size_t p, std::size_t c) {
                     return static_cast<std::uint8_t>(rgb16[3 * p + c] >> 8);
                   })});
  cases.push_back({"16-bit grey", ovo::test::encode_png(w, h, PNG_FORMAT_LINEAR_Y, grey16.data()),
                   16, PNG_COLOR_TYPE_GRAY, rgb_image(h, w, [&](std::size_t p, std::size_t) {
                     return static_cast<std::uint8_t>(grey16[p] >> 8);
                   })});

  for (const auto& expected : cases) {
    CAPTURE(expected.kind);
    CHECK(png_depth_and_colour(expected.file) == std::pair{expected.depth, expected.colour});
    const image_u8 decoded = ovo::data::decode_image(expected.file, expected.kind);
    CHECK(decoded.height == static_cast<int>(h));
    CHECK(decoded.width == static_cast<int>(w));
    CHECK(decoded.channels == 3);
    CHECK(decoded.pixels == expected.rgb.pixels);
  }
}

TEST_CASE("data: image files are decoded by their content, not their name") {
  ovo::test::temp_dir dir("decode_by_content");
  const image_u8 picture = ovo::test::smooth_random_image(12, 20, 3, 5);
  const auto png = ovo::test::encode_png(20, 12, PNG_FORMAT_RGB, picture.pixels.data());
  write_bytes(dir / "n02105855_2933.JPEG", png);
  CHECK(ovo::data::read_image(dir / "n02105855_2933.JPEG").pixels == picture.pixels);

  const auto jpeg = ovo::data::encode_jpeg(picture, 95);
  write_bytes(dir / "photo.png", jpeg);
  CHECK(ovo::data::read_image(dir / "photo.png").pixels ==
        ovo::data::decode_jpeg(jpeg, "in memory").pixels);
}

TEST_CASE("data: truncated, corrupt and unknown image files are refused naming the file") {
  ovo::test::temp_dir dir("image_errors");
  const image_u8 noise = ovo::test::random_image_set(1, 64, 64, 3, 1, 6).image(0);
  const auto png = ovo::test::encode_png(64, 64, PNG_FORMAT_RGB, noise.pixels.data());

  const fs::path cut = dir / "cut.png";
  write_bytes(cut, std::span(png).first(png.size() / 2));
  CHECK_THROWS_WITH_AS(ovo::data::read_image(cut),
                       contains(fmt::format("PNG '{}': cannot decode: the file ends early "
                                            "(truncated)",
                                            cut.string())),
                       std::runtime_error);

  auto damaged = png;
  for (std::size_t i = damaged.size() / 2; i < damaged.size() / 2 + 16; ++i) damaged[i] ^= 0x5a;
  const fs::path corrupt = dir / "corrupt.png";
  write_bytes(corrupt, damaged);
  CHECK_THROWS_WITH_AS(ovo::data::read_image(corrupt),
                       contains(fmt::format("PNG '{}': cannot decode: ", corrupt.string())),
                       std::runtime_error);

  const fs::path header_only = dir / "header_only.png";
  write_bytes(header_only, std::span(png).first(20));
  CHECK_THROWS_WITH_AS(
      ovo::data::read_image(header_only),
      contains(fmt::format("PNG '{}': cannot read the header: ", header_only.string())),
      std::runtime_error);

  const fs::path unknown = dir / "unknown.JPEG";
  write_bytes(unknown, garbage);
  CHECK_THROWS_WITH_AS(
      ovo::data::read_image(unknown),
      contains(fmt::format("image '{}': 12 bytes starting 0x6e 0x6f 0x74 0x20, expected a JPEG or "
                           "a PNG",
                           unknown.string())),
      std::runtime_error);
  const fs::path empty = dir / "empty.jpg";
  write_bytes(empty, {});
  CHECK_THROWS_WITH_AS(
      ovo::data::read_image(empty),
      contains(fmt::format("image '{}': 0 bytes, expected a JPEG or a PNG", empty.string())),
      std::runtime_error);
}

TEST_CASE("data: an image claiming a huge size is refused before anything is allocated") {
  const image_u8 small = ovo::test::smooth_random_image(16, 16, 3, 7);
  auto png = ovo::test::encode_png(16, 16, PNG_FORMAT_RGB, small.pixels.data());
  auto jpeg = ovo::data::encode_jpeg(small, 90);
  const auto frame = std::ranges::search(jpeg, std::vector<std::uint8_t>{0xff, 0xc0});
  REQUIRE(frame.begin() != jpeg.end());
  const auto at = static_cast<std::size_t>(frame.begin() - jpeg.begin());
  // Height and width in the frame header, then in the PNG's IHDR (with its CRC).
  jpeg[at + 5] = jpeg[at + 7] = 0xfd;
  jpeg[at + 6] = jpeg[at + 8] = 0xe8;  // 65000 x 65000
  auto png_huge = png;
  set_png_size(png_huge, 100000, 100000);
  // 7000 x 7000 is below the pixel limit, but deflate cannot hold 147 MB of pixels in the file.
  auto png_dense = png;
  set_png_size(png_dense, 7000, 7000);

  struct claim {
    const std::vector<std::uint8_t>* bytes;
    std::string message;
  };
  const std::vector<claim> claims = {
      {&jpeg,
       "JPEG 'huge': 65000 x 65000 pixels, expected a positive size of at most 67108864 "
       "pixels"},
      {&png_huge,
       "PNG 'huge': 100000 x 100000 pixels, expected a positive size of at most "
       "67108864 pixels"},
      {&png_dense, fmt::format("PNG 'huge': 7000 x 7000 pixels of 24 bits cannot be compressed "
                               "into its {} bytes (truncated?)",
                               png.size())}};
  for (const auto& [bytes, message] : claims) {
    CAPTURE(message);
    largest_new_request = 0;
    CHECK_THROWS_WITH_AS(ovo::data::decode_image(*bytes, "huge"), contains(message),
                         std::runtime_error);
    CHECK(largest_new_request < (std::size_t{1} << 20));
  }
  // The same files with their true sizes decode.
  set_png_size(png_dense, 16, 16);
  CHECK(ovo::data::decode_image(png_dense, "small").pixels == small.pixels);
}

namespace {

// root/a: 0.jpg, 1.jpg (garbage), 2.JPEG (a truncated JPEG), 3.png; root/b: m.jpg, n.jpg
// (garbage), so that a's bad files are replaced by 3.png and b's, the last of its class, by the
// first.
struct folder_with_bad_files {
  ovo::test::temp_dir dir{"bad_image_folder"};
  fs::path root = dir / "root";
  folder_with_bad_files() {
    fs::create_directories(root / "a");
    fs::create_directories(root / "b");
    ovo::data::write_jpeg(root / "a" / "0.jpg", ovo::test::smooth_random_image(10, 12, 3, 20));
    write_bytes(root / "a" / "1.jpg", garbage);
    const auto whole = ovo::data::encode_jpeg(ovo::test::smooth_random_image(64, 64, 3, 21), 90);
    write_bytes(root / "a" / "2.JPEG", std::span(whole).first(whole.size() / 2));
    const image_u8 picture = ovo::test::smooth_random_image(9, 11, 3, 22);
    write_bytes(root / "a" / "3.png",
                ovo::test::encode_png(11, 9, PNG_FORMAT_RGB, picture.pixels.data()));
    ovo::data::write_jpeg(root / "b" / "m.jpg", ovo::test::smooth_random_image(8, 8, 3, 23));
    write_bytes(root / "b" / "n.jpg", garbage);
  }
  std::vector<fs::path> bad() const {
    return {root / "a" / "1.jpg", root / "a" / "2.JPEG", root / "b" / "n.jpg"};
  }
};

std::vector<fs::path> paths_of(const std::vector<ovo::data::undecodable_image>& images) {
  std::vector<fs::path> out;
  for (const auto& image : images) out.push_back(image.path);
  return out;
}

}  // namespace

TEST_CASE(
    "data: image_folder replaces an undecodable file by the next decodable one of its class") {
  const folder_with_bad_files files;
  std::mutex mutex;
  std::vector<std::pair<fs::path, fs::path>> reported;  // (undecodable, replacement)
  const ovo::data::image_folder folder(
      files.root,
      {.on_replaced = [&](const ovo::data::undecodable_image& bad, const fs::path& replacement) {
        const std::lock_guard lock(mutex);
        reported.emplace_back(bad.path, replacement);
      }});
  REQUIRE(folder.size() == 6);
  CHECK(folder.label(3) == 0);
  CHECK(folder.path(3) == files.root / "a" / "3.png");

  // Four threads read every image three times, each in its own order.
  std::vector<std::vector<image_u8>> seen(4, std::vector<image_u8>(folder.size()));
  {
    std::vector<std::jthread> readers;
    for (std::size_t t = 0; t < seen.size(); ++t)
      readers.emplace_back([&, t] {
        for (int round = 0; round < 3; ++round)
          for (std::size_t k = 0; k < folder.size(); ++k) {
            const std::size_t rotated = (k + t) % folder.size();
            const std::size_t i = t % 2 == 0 ? rotated : folder.size() - 1 - rotated;
            seen[t][i] = folder.image(i);
          }
      });
  }
  const image_u8 a3 = ovo::data::read_image(files.root / "a" / "3.png");
  const image_u8 b0 = ovo::data::read_image(files.root / "b" / "m.jpg");
  for (const auto& images : seen) {
    CHECK(images[0].pixels == ovo::data::read_image(files.root / "a" / "0.jpg").pixels);
    CHECK(images[1].pixels == a3.pixels);
    CHECK(images[2].pixels == a3.pixels);
    CHECK(images[3].pixels == a3.pixels);
    CHECK(images[5].pixels == b0.pixels);
  }
  // Each bad file reported once, with its replacement; recorded in path order with the reason.
  std::ranges::sort(reported);
  CHECK(reported == std::vector<std::pair<fs::path, fs::path>>{
                        {files.root / "a" / "1.jpg", files.root / "a" / "3.png"},
                        {files.root / "a" / "2.JPEG", files.root / "a" / "3.png"},
                        {files.root / "b" / "n.jpg", files.root / "b" / "m.jpg"}});
  const auto undecodable = folder.undecodable();
  CHECK(paths_of(undecodable) == files.bad());
  for (const auto& bad : undecodable)
    CHECK(bad.reason.find(bad.path.string()) != std::string::npos);
  CHECK(undecodable[0].reason.find("expected a JPEG or a PNG") != std::string::npos);
  CHECK(undecodable[1].reason.find("truncated") != std::string::npos);

  // Batches over the folder are the same whatever the number of loader threads.
  auto augment = ovo::data::augment_options::imagenet(8);
  auto batches = [&](int workers) {
    ovo::data::batch_loader<ovo::data::image_folder> loader(
        folder, {0, 1, 2, 3, 4, 5}, augment, {.batch_size = 3, .workers = workers, .seed = 9});
    loader.start(1);
    std::vector<std::vector<float>> out;
    while (auto b = loader.next()) out.push_back(b->images);
    return out;
  };
  CHECK(batches(0) == batches(2));
  CHECK(batches(0).size() == 2);
}

TEST_CASE("data: image_folder with bad_image_policy::fail throws naming the file") {
  const folder_with_bad_files files;
  int reports = 0;
  const ovo::data::image_folder folder(
      files.root,
      {.bad_images = ovo::data::bad_image_policy::fail,
       .on_replaced = [&](const ovo::data::undecodable_image&, const fs::path&) { ++reports; }});
  CHECK(folder.image(0).channels == 3);
  CHECK(folder.image(3).channels == 3);
  CHECK_THROWS_WITH_AS(
      folder.image(1),
      contains(fmt::format("image '{}': 12 bytes", (files.root / "a" / "1.jpg").string())),
      std::runtime_error);
  CHECK_THROWS_WITH_AS(
      folder.image(2),
      contains(fmt::format("JPEG '{}': truncated", (files.root / "a" / "2.JPEG").string())),
      std::runtime_error);
  CHECK(reports == 0);
  CHECK(folder.undecodable().empty());
}

TEST_CASE("data: image_folder refuses a class without a decodable file, naming it") {
  ovo::test::temp_dir dir("undecodable_class");
  fs::create_directories(dir / "root" / "good");
  fs::create_directories(dir / "root" / "ruined");
  ovo::data::write_jpeg(dir / "root" / "good" / "a.jpg",
                        ovo::test::smooth_random_image(8, 8, 3, 1));
  write_bytes(dir / "root" / "ruined" / "a.png", garbage);
  write_bytes(dir / "root" / "ruined" / "b.jpg", garbage);
  const ovo::data::image_folder folder(dir / "root");
  CHECK_THROWS_WITH_AS(
      folder.image(2),
      contains(fmt::format("image_folder '{}': class 'ruined': none of its 2 files can be decoded "
                           "(such as '{}')",
                           (dir / "root").string(), (dir / "root" / "ruined" / "b.jpg").string())),
      std::runtime_error);
  CHECK(folder.undecodable().size() == 2);
  CHECK(folder.image(0).channels == 3);
}

TEST_CASE("data: find_undecodable_images decodes every file and lists the bad ones in order") {
  const folder_with_bad_files files;
  const ovo::data::image_folder folder(files.root);
  for (const unsigned threads : {1u, 2u, 0u}) {
    CAPTURE(threads);
    std::vector<std::size_t> progress;
    const auto found = ovo::data::find_undecodable_images(
        folder, threads, [&](std::size_t checked) { progress.push_back(checked); }, 2);
    CHECK(paths_of(found) == files.bad());
    for (const auto& bad : found) CHECK(bad.reason.find(bad.path.string()) != std::string::npos);
    REQUIRE(!progress.empty());
    CHECK(std::ranges::is_sorted(progress));
    CHECK(progress.back() == 6);
    for (const std::size_t checked : progress) CHECK(checked % 2 == 0);
  }
  CHECK(folder.undecodable().empty());  // the check reads the files, not the folder's images
}
