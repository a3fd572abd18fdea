// Prints, as one JSON object per space, what the C++ library gives for the seeds that
// test_parity.py passes to the Python module: samples, costs, mutations, crossovers, searches and
// samplers' draws.
#include <cstdio>

#include <nlohmann/json.hpp>

#include <ovo/ovo.hpp>

namespace {

using json = nlohmann::json;

template <class Space>
json reference() {
  json out;
  ovo::rng_engine rng(11);
  std::vector<ovo::space_arch<Space>> samples;
  for (int i = 0; i < 6; ++i) samples.push_back(Space::sample(rng));
  out["samples"] = samples;
  for (const auto& a : samples) {
    out["params"].push_back(Space::params(a));
    out["macs"].push_back(Space::macs(a));
  }
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ovo::rng_engine m(100 + i);
    out["mutations"].push_back(Space::mutate(samples[i], {0.4, 0.2}, m));
    if (i + 1 < samples.size() && Space::crossable(samples[i], samples[i + 1])) {
      ovo::rng_engine c(200 + i);
      out["crossovers"].push_back(Space::crossover(samples[i], samples[i + 1], c));
    } else {
      out["crossovers"].push_back(nullptr);
    }
  }
  auto fitness = [](const ovo::space_arch<Space>& a) {
    return static_cast<double>(Space::macs(a)) / static_cast<double>(Space::params(a));
  };
  const ovo::cost_constraint constraint{
      .max_params = 0.6 * static_cast<double>(Space::params(Space::largest()))};
  const ovo::evolution_options options{
      .population = 12, .generations = 3, .parents = 4, .mutations = 6, .crossovers = 6, .seed = 3};
  out["evolution"] = ovo::evolutionary_search<Space>(fitness, constraint, options);
  out["random"] = ovo::random_search<Space>(fitness, constraint, 20, 4);
  for (const auto strategy : {ovo::sampling_strategy::ovo, ovo::sampling_strategy::sandwich}) {
    for (long step = 0; step < 4; ++step) {
      ovo::rng_engine s(ovo::seeds::step(5, step));
      const auto drawn = ovo::draw_step_archs<Space>({.strategy = strategy}, s);
      out["steps"][ovo::to_string(strategy)].push_back(
          {{"teacher", drawn.teacher ? json(*drawn.teacher) : json(nullptr)},
           {"students", drawn.students}});
    }
  }
  const ovo::focusformer_sampler<Space> sampler({.bins = 3, .bin_sample = 256}, 6);
  out["focusformer"]["edges"] = sampler.edges();
  for (long step = 0; step < 3; ++step) {
    ovo::rng_engine s(ovo::seeds::step(7, step));
    const auto drawn = sampler.draw_step(s);
    out["focusformer"]["steps"].push_back({{"bin", drawn.bin}, {"candidates", drawn.candidates}});
  }
  return out;
}

// The logits of the smallest and the largest subnet of the space's supernet, initialised from seed
// 0 as the ovo command does, on three images of values ((i * 37) % 101) / 100 - 0.5.
template <class Space, class Net>
json reference_logits(Net net) {
  ovo::rng_engine rng(ovo::seeds::initial_weights(0));
  net.initialize(rng);
  const auto g = net.input();
  std::vector<float> images(3 * g.values());
  for (std::size_t i = 0; i < images.size(); ++i)
    images[i] = static_cast<float>(static_cast<double>((i * 37) % 101) / 100.0 - 0.5);
  json out;
  for (const auto& a : {Space::smallest(), Space::largest()}) {
    const float* logits = net.forward({images.data(), 3, g.channels, g.height, g.width}, a,
                                      ovo::forward_mode::eval());
    out.push_back(std::vector<float>(logits, logits + 3 * net.classes()));
  }
  return out;
}

}  // namespace

int main() {
  using vit = ovo::fashion_mnist_space;
  using emo = ovo::emo_fashion_mnist_space;
  using backend = ovo::cpu<float>;
  json out{{"fashion-mnist", reference<vit>()}, {"emo-fashion-mnist", reference<emo>()}};
  out["fashion-mnist"]["logits"] =
      reference_logits<vit>(ovo::vit_supernet<backend, ovo::qkv_blocked>(vit::shape(), 3));
  out["emo-fashion-mnist"]["logits"] =
      reference_logits<emo>(ovo::emo_supernet<backend>(emo::geometry, emo::largest(), 3));
  std::puts(out.dump().c_str());
}
