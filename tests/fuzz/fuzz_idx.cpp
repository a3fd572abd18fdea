// Fuzz target: bytes read as an IDX images file and as an IDX labels file (plain, or gzip when
// they start with the gzip magic).
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <ovo/data/gzip.hpp>
#include <ovo/data/idx.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ovo::fuzz::memory_file file;
  const auto path = file.hold(std::span(data, size));
  try {
    const auto images = ovo::data::read_idx_images(path);
    if (images.pixels.size() != images.count * images.height * images.width)
      ovo::fuzz::property_violated("read_idx_images: pixels do not match the header");
  } catch (const std::runtime_error&) {
  }
  try {
    const auto labels = ovo::data::read_idx_labels(path, 10);
    for (const int label : labels)
      if (label < 0 || label >= 10) ovo::fuzz::property_violated("read_idx_labels: label range");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
