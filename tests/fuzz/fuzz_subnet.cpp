// Fuzz target: bytes read as an exported subnet file (safetensors parse, then load_subnet).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#include <ovo/backend/cpu.hpp>
#include <ovo/io/subnet_export.hpp>
#include <ovo/nn/vit_supernet.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using backend = ovo::cpu<float>;
  const std::string name = "fuzz.subnet.safetensors";
  try {
    const auto file = ovo::io::safetensors::parse(std::as_bytes(std::span(data, size)), name);
    auto subnet = ovo::io::load_subnet<ovo::vit_supernet<backend>>(file, name, 1);
    // A loaded subnet holds exactly the stored values of each of its tensors...
    const auto& params = subnet.network.parameters();
    const std::vector<float> values(params.values(), params.values() + params.size());
    for (const auto& t : subnet.network.subnet_tensors(subnet.architecture)) {
      const auto loaded = ovo::io::gather(values, t);
      const auto& stored = file.at(t.name).data;
      if (loaded.size() * sizeof(float) != stored.size() ||
          std::memcmp(loaded.data(), stored.data(), stored.size()) != 0)
        ovo::fuzz::property_violated("load_subnet: tensor '" + t.name + "' differs from the file");
    }
    // ...and runs on an image of its own shape.
    const auto& shape = subnet.network.shape();
    const std::vector<float> image(
        static_cast<std::size_t>(shape.channels) * shape.image_size * shape.image_size, 0.5f);
    subnet.forward({image.data(), 1, shape.channels, shape.image_size, shape.image_size});
  } catch (const std::runtime_error&) {
    // A damaged or mismatched file: the documented outcome.
  }
  return 0;
}
