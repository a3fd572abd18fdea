// A search space behind a run-time interface, its archs as JSON: what the module's Space class
// calls, implemented once for every space type (the named ones and the run-time ViT space).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovo/sample/arch_sampler.hpp>
#include <ovo/sample/focusformer_sampler.hpp>
#include <ovo/search/constraint.hpp>
#include <ovo/search/evolution.hpp>
#include <ovo/search/random_search.hpp>
#include <ovo/search/sampler_specialisation.hpp>
#include <ovo/space/runtime_vit_space.hpp>
#include <ovo/space/search_space.hpp>
#include <ovo/util/random.hpp>
#include <ovo/util/seeds.hpp>

namespace ovo::python {

using json = nlohmann::json;
// A fitness over archs as JSON (higher is better), and a search's report after each generation.
using json_fitness = std::function<double(const json&)>;
using json_progress = std::function<void(int generation, const json& best, std::size_t evaluated)>;

class supernet_handle;
struct training_settings;

// FocusFormer's sampler of one space.
class focusformer_handle {
 public:
  virtual ~focusformer_handle() = default;
  // The bin and the candidates of training step `step` of a run seeded `seed`.
  virtual json draw_step(std::uint64_t seed, long step) const = 0;
  virtual json draw(int bin, std::uint64_t seed) const = 0;
  virtual void update(int bin, const json& archs, const std::vector<double>& rewards) = 0;
  virtual std::vector<double> edges() const = 0;
  virtual int bin_of(double cost) const = 0;
  virtual bool fits(int bin, const json& a) const = 0;
  virtual std::vector<double> probabilities(int bin, std::size_t gene) const = 0;
  virtual json mode(int bin) const = 0;
  virtual double baseline(int bin) const = 0;
  virtual long updates(int bin) const = 0;
  virtual json state() const = 0;
  virtual void load_state(const json& state) = 0;
  // FocusFormer's specialisation: the best of `draws` archs drawn for the constraint.
  virtual json specialise(const json_fitness& fitness, const cost_constraint& constraint, int draws,
                          std::uint64_t seed, const json_progress& progress) const = 0;
};

class space_handle {
 public:
  virtual ~space_handle() = default;
  virtual std::string family() const = 0;  // "vit" or "emo"
  virtual std::uint64_t size() const = 0;  // archs in the space; 0 if more than 64 bits hold
  virtual json sample(std::uint64_t seed, int count) const = 0;
  virtual json mutate(const json& a, std::uint64_t seed, mutation_rates rates) const = 0;
  virtual bool crossable(const json& a, const json& b) const = 0;
  virtual json crossover(const json& a, const json& b, std::uint64_t seed) const = 0;
  // The arch as the space's type, checked to be in the space; throws std::invalid_argument.
  virtual json validate(const json& a) const = 0;
  virtual std::string invalid_gene(const json& a) const = 0;
  virtual json smallest() const = 0;
  virtual json largest() const = 0;
  virtual std::int64_t params(const json& a) const = 0;
  virtual std::int64_t macs(const json& a) const = 0;
  virtual json genes() const = 0;
  virtual std::vector<int> encode(const json& a) const = 0;
  virtual json decode(const std::vector<int>& values) const = 0;
  virtual json evolutionary_search(const json_fitness& fitness, const cost_constraint& constraint,
                                   const evolution_options& options,
                                   const json_progress& progress) const = 0;
  virtual json random_search(const json_fitness& fitness, const cost_constraint& constraint,
                             int samples, std::uint64_t seed, int max_attempts,
                             const json_progress& progress) const = 0;
  // The teacher and students that training step `step` of a run seeded `seed` trains.
  virtual json draw_step(const sampler_options& options, std::uint64_t seed, long step) const = 0;
  virtual std::unique_ptr<focusformer_handle> focusformer(const focusformer_options& options,
                                                          std::uint64_t seed,
                                                          double max_params) const = 0;
  // The space's supernet on the CPU, initialised from `seed` (supernet_handle.hpp).
  virtual std::unique_ptr<supernet_handle> supernet(int max_batch, std::uint64_t seed,
                                                    const training_settings& settings) const = 0;
};

// Where a space's choices live while it is used: nowhere for a compile-time space; for the
// run-time ViT space, a scope that installs them on the calling thread.
struct static_choices {
  int enter() const { return 0; }
};
struct installed_vit_choices {
  vit_space_choices choices;
  runtime_vit_space<>::scope enter() const { return runtime_vit_space<>::scope(choices); }
};

template <search_space Space>
space_arch<Space> arch_from(const json& a) {
  auto out = a.get<space_arch<Space>>();
  Space::validate(out);
  return out;
}

template <search_space Space>
search_progress_of<Space> progress_of(const json_progress& progress) {
  if (!progress) return {};
  return [progress](int generation, const candidate_of<Space>& best, std::size_t evaluated) {
    progress(generation, json(best), evaluated);
  };
}

template <search_space Space>
auto fitness_of(const json_fitness& fitness) {
  return [&fitness](const space_arch<Space>& a) { return fitness(json(a)); };
}

template <gene_coded_space Space, class Choices>
class focusformer_model final : public focusformer_handle {
 public:
  focusformer_model(Choices choices, const focusformer_options& options, std::uint64_t seed,
                    double max_params)
      : choices_(std::move(choices)), sampler_(make(choices_, options, seed, max_params)) {}

  json draw_step(std::uint64_t seed, long step) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    rng_engine rng(seeds::step(seed, step));
    const auto drawn = sampler_.draw_step(rng);
    return {{"bin", drawn.bin}, {"candidates", drawn.candidates}};
  }
  json draw(int bin, std::uint64_t seed) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    check_bin(bin);
    rng_engine rng(seed);
    return sampler_.draw(bin, rng);
  }
  void update(int bin, const json& archs, const std::vector<double>& rewards) override {
    [[maybe_unused]] const auto in = choices_.enter();
    check_bin(bin);
    std::vector<space_arch<Space>> list;
    for (const auto& a : archs) list.push_back(arch_from<Space>(a));
    sampler_.update(bin, list, rewards);
  }
  std::vector<double> edges() const override { return sampler_.edges(); }
  int bin_of(double cost) const override { return sampler_.bin_of(cost); }
  bool fits(int bin, const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    check_bin(bin);
    return sampler_.fits(bin, arch_from<Space>(a));
  }
  std::vector<double> probabilities(int bin, std::size_t gene) const override {
    check_bin(bin);
    if (gene >= sampler_.genes().size())
      throw std::out_of_range(
          fmt::format("gene {}: expected 0..{}", gene, sampler_.genes().size() - 1));
    return sampler_.probabilities(bin, gene);
  }
  json mode(int bin) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    check_bin(bin);
    return sampler_.mode(bin);
  }
  double baseline(int bin) const override {
    check_bin(bin);
    return sampler_.baseline(bin);
  }
  long updates(int bin) const override {
    check_bin(bin);
    return sampler_.updates(bin);
  }
  json state() const override { return sampler_.state(); }
  void load_state(const json& state) override {
    [[maybe_unused]] const auto in = choices_.enter();
    sampler_.load_state(state);
  }
  json specialise(const json_fitness& fitness, const cost_constraint& constraint, int draws,
                  std::uint64_t seed, const json_progress& progress) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return ovo::specialise<Space>(sampler_, fitness_of<Space>(fitness), constraint, draws, seed,
                                  progress_of<Space>(progress));
  }

 private:
  static focusformer_sampler<Space> make(const Choices& choices, const focusformer_options& options,
                                         std::uint64_t seed, double max_params) {
    [[maybe_unused]] const auto in = choices.enter();
    return focusformer_sampler<Space>(options, seed, max_params);
  }
  void check_bin(int bin) const {
    if (bin < 0 || bin >= sampler_.bins())
      throw std::out_of_range(fmt::format("bin {}: expected 0..{}", bin, sampler_.bins() - 1));
  }
  Choices choices_;
  focusformer_sampler<Space> sampler_;
};

// Space's supernet, defined for the CPU back end in supernet_handle.hpp.
template <search_space Space, class Choices>
std::unique_ptr<supernet_handle> make_supernet_handle(const Choices& choices, int max_batch,
                                                      std::uint64_t seed,
                                                      const training_settings& settings);

template <search_space Space, class Choices = static_choices>
class space_model final : public space_handle {
 public:
  explicit space_model(Choices choices = {}) : choices_(std::move(choices)) {}

  std::string family() const override {
    return std::is_same_v<space_arch<Space>, arch> ? "vit" : "emo";
  }
  std::uint64_t size() const override {
    [[maybe_unused]] const auto in = choices_.enter();
    if constexpr (requires { Space::size(); })
      return Space::size();
    else
      return 0;
  }
  json sample(std::uint64_t seed, int count) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    rng_engine rng(seed);
    auto out = json::array();
    for (int i = 0; i < count; ++i) out.push_back(Space::sample(rng));
    return out;
  }
  json mutate(const json& a, std::uint64_t seed, mutation_rates rates) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    rng_engine rng(seed);
    return Space::mutate(arch_from<Space>(a), rates, rng);
  }
  bool crossable(const json& a, const json& b) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::crossable(arch_from<Space>(a), arch_from<Space>(b));
  }
  json crossover(const json& a, const json& b, std::uint64_t seed) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    rng_engine rng(seed);
    return Space::crossover(arch_from<Space>(a), arch_from<Space>(b), rng);
  }
  json validate(const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return arch_from<Space>(a);
  }
  std::string invalid_gene(const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::invalid_gene(a.get<space_arch<Space>>());
  }
  json smallest() const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::smallest();
  }
  json largest() const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::largest();
  }
  std::int64_t params(const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::params(arch_from<Space>(a));
  }
  std::int64_t macs(const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::macs(arch_from<Space>(a));
  }
  json genes() const override {
    [[maybe_unused]] const auto in = choices_.enter();
    auto out = json::array();
    for (const auto& g : Space::genes()) out.push_back({{"name", g.name}, {"choices", g.choices}});
    return out;
  }
  std::vector<int> encode(const json& a) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::encode(arch_from<Space>(a));
  }
  json decode(const std::vector<int>& values) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return Space::decode(values);
  }
  json evolutionary_search(const json_fitness& fitness, const cost_constraint& constraint,
                           const evolution_options& options,
                           const json_progress& progress) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return ovo::evolutionary_search<Space>(fitness_of<Space>(fitness), constraint, options,
                                           progress_of<Space>(progress));
  }
  json random_search(const json_fitness& fitness, const cost_constraint& constraint, int samples,
                     std::uint64_t seed, int max_attempts,
                     const json_progress& progress) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    return ovo::random_search<Space>(fitness_of<Space>(fitness), constraint, samples, seed,
                                     progress_of<Space>(progress), max_attempts);
  }
  json draw_step(const sampler_options& options, std::uint64_t seed, long step) const override {
    [[maybe_unused]] const auto in = choices_.enter();
    rng_engine rng(seeds::step(seed, step));
    const auto drawn = draw_step_archs<Space>(options, rng);
    return {{"teacher", drawn.teacher ? json(*drawn.teacher) : json(nullptr)},
            {"students", drawn.students}};
  }
  std::unique_ptr<focusformer_handle> focusformer(const focusformer_options& options,
                                                  std::uint64_t seed,
                                                  double max_params) const override {
    return std::make_unique<focusformer_model<Space, Choices>>(choices_, options, seed, max_params);
  }
  std::unique_ptr<supernet_handle> supernet(int max_batch, std::uint64_t seed,
                                            const training_settings& settings) const override {
    return make_supernet_handle<Space>(choices_, max_batch, seed, settings);
  }

 private:
  Choices choices_;
};

}  // namespace ovo::python
