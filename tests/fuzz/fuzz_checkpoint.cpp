// Fuzz target: bytes read as a supernet checkpoint (safetensors parse, then load_checkpoint with
// the optimiser and the random engine), checking that a refused file changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <ovo/backend/cpu.hpp>
#include <ovo/io/checkpoint.hpp>

#include "fuzz_support.hpp"

namespace {

using backend = ovo::cpu<float>;

// The state a load may change: weights and both moments (bit patterns, so NaNs compare equal),
// the step count and the engine.
struct training_state {
  std::vector<std::byte> values, exp_avg, exp_avg_sq;
  long steps;
  std::string rng;

  bool operator==(const training_state&) const = default;
};

struct target {
  ovo::vit_supernet<backend> net{ovo::fuzz::small_space::shape(), 1};
  ovo::adamw<backend> optimizer{net.parameters(), {}};
  ovo::rng_engine rng{1};

  training_state state() const {
    const auto n = net.parameters().size();
    const auto copy = [n](const float* v) {
      const auto bytes = std::as_bytes(std::span(v, n));
      return std::vector<std::byte>(bytes.begin(), bytes.end());
    };
    return {copy(net.parameters().values()), copy(optimizer.exp_avg()),
            copy(optimizer.exp_avg_sq()), optimizer.steps(), ovo::engine_state(rng)};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static target t;
  const std::string name = "fuzz.checkpoint.safetensors";
  const training_state before = t.state();
  try {
    const auto file = ovo::io::safetensors::parse(std::as_bytes(std::span(data, size)), name);
    ovo::io::load_checkpoint(file, name, t.net, &t.optimizer, &t.rng);
    // A loaded checkpoint holds exactly the stored weights.
    for (const auto& e : t.net.parameters().entries()) {
      const auto& stored = file.at(e.name).data;
      if (std::memcmp(t.net.parameters().values() + e.offset, stored.data(), stored.size()) != 0)
        ovo::fuzz::property_violated("load_checkpoint: tensor '" + e.name + "' differs");
    }
  } catch (const std::runtime_error&) {
    if (t.state() != before)
      ovo::fuzz::property_violated("load_checkpoint refused the file but changed the state");
  }
  return 0;
}
