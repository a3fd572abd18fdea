// Fuzz target: bytes read as a supernet checkpoint, by load_checkpoint (with the optimiser and the
// random engine) and by a trainer's resume (the run's identity and the trainer's own fields too),
// checking that a refused file changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <ovo/backend/cpu.hpp>
#include <ovo/io/checkpoint.hpp>
#include <ovo/nn/vit_supernet.hpp>

#include "fuzz_support.hpp"
#include "small_trainer.hpp"

namespace {

using backend = ovo::cpu<float>;

// The bit patterns of n floats (so that NaNs compare equal).
std::vector<std::byte> bits(const float* values, std::size_t n) {
  const auto bytes = std::as_bytes(std::span(values, n));
  return {bytes.begin(), bytes.end()};
}

// The state a load may change: weights, both moments, the step count and the engine or history.
struct training_state {
  std::vector<std::byte> values, exp_avg, exp_avg_sq;
  long steps;
  std::string rest;

  bool operator==(const training_state&) const = default;
};

training_state state_of(const ovo::vit_supernet<backend>& net, const ovo::adamw<backend>& optimizer,
                        std::string rest) {
  const auto n = net.parameters().size();
  return {bits(net.parameters().values(), n), bits(optimizer.exp_avg(), n),
          bits(optimizer.exp_avg_sq(), n), optimizer.steps(), std::move(rest)};
}

struct target {
  ovo::vit_supernet<backend> net{ovo::fuzz::small_space::shape(), 1};
  ovo::adamw<backend> optimizer{net.parameters(), {}};
  ovo::rng_engine rng{1};
  ovo::fuzz::memory_file file;
  ovo::vit_supernet<backend> trained_net{ovo::fuzz::small_space::shape(), 1};
  ovo::fuzz::no_batch_loader loader;
  ovo::fuzz::small_trainer trainer{trained_net, loader,
                                   ovo::fuzz::small_trainer_options(file.hold({}))};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static target t;
  const std::string name = "fuzz.checkpoint.safetensors";
  const training_state before = state_of(t.net, t.optimizer, ovo::engine_state(t.rng));
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
    if (state_of(t.net, t.optimizer, ovo::engine_state(t.rng)) != before)
      ovo::fuzz::property_violated("load_checkpoint refused the file but changed the state");
  }

  t.file.hold(std::span(data, size));
  const auto history = [&] { return nlohmann::json(t.trainer.history()).dump(); };
  const training_state trainer_before = state_of(t.trained_net, t.trainer.optimizer(), history());
  try {
    if (!t.trainer.resume()) ovo::fuzz::property_violated("resume found no checkpoint");
  } catch (const std::runtime_error&) {
    if (state_of(t.trained_net, t.trainer.optimizer(), history()) != trainer_before)
      ovo::fuzz::property_violated("resume refused the file but changed the trainer");
  }
  return 0;
}
