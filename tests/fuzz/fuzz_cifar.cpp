// Fuzz target: bytes read as a CIFAR-10 and as a CIFAR-100 (fine and coarse) binary file.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <ovo/data/cifar.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  for (const auto& layout :
       {ovo::data::cifar10_layout, ovo::data::cifar100_layout(ovo::data::cifar100_labels::fine),
        ovo::data::cifar100_layout(ovo::data::cifar100_labels::coarse)}) {
    try {
      const auto set = ovo::data::decode_cifar(bytes, "fuzz.bin", layout);
      if (set.size() * layout.record_bytes() != size ||
          set.pixels.size() != set.size() * set.image_bytes())
        ovo::fuzz::property_violated("decode_cifar: records do not match the size");
      // The first pixel's red value is the first byte of the first record's red plane.
      if (set.pixels[0] != data[layout.label_bytes])
        ovo::fuzz::property_violated("decode_cifar: planes not converted to HWC");
      for (const int label : set.labels)
        if (label < 0 || label >= layout.classes)
          ovo::fuzz::property_violated("decode_cifar: label out of range");
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}
