// Fuzz target: bytes read as an arch JSON file and as the `--arch` text of the ovo command,
// then checked against the command's search spaces and a supernet shape.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include <ovo/space/presets.hpp>

#include "fuzz_support.hpp"
#include "program.hpp"

namespace {

// The arch, or nothing when the reader refused the text with its documented exception.
template <class Read>
std::optional<ovo::arch> read_or_refuse(Read&& read) {
  try {
    return read();
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

template <class Space>
void check_against(const ovo::arch& a) {
  if (Space::contains(a) != Space::invalid_gene(a).empty())
    ovo::fuzz::property_violated("contains and invalid_gene disagree");
  try {
    Space::shape().check_fits(a);
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ovo::fuzz::memory_file file;
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The file given as `--arch FILE`, read by the command's own function.
  const auto from_file = read_or_refuse(
      [&] { return ovo::app::parse_arch_option<ovo::arch>(file.hold(std::span(data, size))); });
  // The same JSON given as `--arch TEXT` (what parse_arch_option does when no such file exists).
  const auto from_text = read_or_refuse([&] { return ovo::arch_from_json(text); });
  if (from_file != from_text) ovo::fuzz::property_violated("file and text give different archs");
  if (!from_text) return 0;
  const ovo::arch& a = *from_text;
  if (ovo::arch_from_json(ovo::arch_to_json(a)) != a)
    ovo::fuzz::property_violated("arch JSON does not round-trip: " + ovo::arch_to_json(a));
  ovo::to_string(a);
  check_against<ovo::fashion_mnist_space>(a);
  check_against<ovo::autoformer_tiny_cifar100>(a);
  check_against<ovo::autoformer_base>(a);
  return 0;
}
