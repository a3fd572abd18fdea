// FocusFormer's learned sampler: the cost range cut into budget bins, per bin a categorical
// distribution over every gene, moved by policy gradient towards archs of low held-out loss.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ovo/sample/arch_sampler.hpp"
#include "ovo/space/genome.hpp"
#include "ovo/util/json.hpp"
#include "ovo/util/random.hpp"
#include "ovo/util/seeds.hpp"

namespace ovo {

// The cost that budgets are bins of: parameters, or multiply-adds of one image's forward pass.
enum class cost_measure { params, macs };

inline cost_measure parse_cost_measure(std::string_view name) {
  if (name == "params") return cost_measure::params;
  if (name == "macs" || name == "flops") return cost_measure::macs;
  throw std::invalid_argument(
      fmt::format("cost measure '{}': expected params or macs (flops)", name));
}
inline std::string to_string(cost_measure m) {
  return m == cost_measure::params ? "params" : "macs";
}

struct focusformer_options {
  cost_measure cost = cost_measure::params;
  int bins = 4;
  int candidates = 3;          // k: archs drawn per step from one bin; the lowest batch loss trains
  long update_every = 100;     // training steps between policy-gradient updates; 0: never
  int update_samples = 4;      // archs drawn per bin at an update, each scored on held-out images
  double learning_rate = 0.5;  // of the logits, per update, on normalised advantages
  double baseline_momentum = 0.9;  // of each bin's running reward baseline
  int max_draws = 200;    // draws from a bin's distribution before uniform rejection sampling
  int bin_sample = 4096;  // uniform archs whose cost quantiles cut the bins

  // Throws unless the counts and rates are usable.
  void validate() const {
    if (bins < 1 || candidates < 1 || update_every < 0 || update_samples < 2 || max_draws < 1 ||
        bin_sample < bins)
      throw std::invalid_argument(fmt::format(
          "focusformer_options: bins = {}, candidates = {}, max_draws = {} expected at least 1, "
          "update_every = {} at least 0, update_samples = {} at least 2, bin_sample = {} at least "
          "bins",
          bins, candidates, max_draws, update_every, update_samples, bin_sample));
    if (!(learning_rate > 0) || !std::isfinite(learning_rate) || !(baseline_momentum >= 0) ||
        !(baseline_momentum < 1))
      throw std::invalid_argument(
          fmt::format("focusformer_options: learning_rate = {} expected positive and finite, "
                      "baseline_momentum = {} in [0, 1)",
                      learning_rate, baseline_momentum));
  }
};

inline void to_json(nlohmann::json& j, const focusformer_options& o) {
  j = {{"cost", to_string(o.cost)},
       {"bins", o.bins},
       {"candidates", o.candidates},
       {"update_every", o.update_every},
       {"update_samples", o.update_samples},
       {"learning_rate", o.learning_rate},
       {"baseline_momentum", o.baseline_momentum},
       {"max_draws", o.max_draws},
       {"bin_sample", o.bin_sample}};
}
// Reads to_json's fields and validates them; throws std::invalid_argument naming the first one
// missing or unusable.
inline void from_json(const nlohmann::json& j, focusformer_options& o) {
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name))
      throw std::invalid_argument(
          fmt::format("focusformer options: field '{}' is missing in {}", name, j.dump()));
    return j.at(name);
  };
  try {
    o.cost = parse_cost_measure(field("cost").get<std::string>());
    o.bins = detail::json_int(field("bins"), "bins");
    o.candidates = detail::json_int(field("candidates"), "candidates");
    o.update_every = detail::json_int<long>(field("update_every"), "update_every");
    o.update_samples = detail::json_int(field("update_samples"), "update_samples");
    o.learning_rate = field("learning_rate").get<double>();
    o.baseline_momentum = field("baseline_momentum").get<double>();
    o.max_draws = detail::json_int(field("max_draws"), "max_draws");
    o.bin_sample = detail::json_int(field("bin_sample"), "bin_sample");
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("focusformer options: {} in {}", e.what(), j.dump()));
  }
  o.validate();
}

// The sampler of one supernet training run. Bins: the cost range of the archs with at most
// `max_params` parameters cut at the quantiles of `bin_sample` uniform draws (seeds::sampler_bins),
// so that every bin holds an equal share of the uniform space; bin b is [edges[b], edges[b + 1]),
// the last one closed. Each bin holds one logit per choice of every gene (all zero at the start:
// uniform choices). Every draw takes its randomness from the caller's engine, and the state changes
// only in update(): a run that saves state() with its weights resumes exactly.
template <search_space Space>
class focusformer_sampler {
 public:
  using arch_type = space_arch<Space>;

  focusformer_sampler(focusformer_options options, std::uint64_t seed,
                      double max_params = std::numeric_limits<double>::infinity())
      : options_(options), max_params_(max_params), genes_(Space::genes()) {
    static_assert(gene_coded_space<Space>,
                  "focusformer_sampler: the space must code its archs as genes (gene_coded_space)");
    options_.validate();
    for (const auto& g : genes_) {
      offsets_.push_back(choices_);
      choices_ += static_cast<std::size_t>(g.choices);
    }
    cut_bins(seed);
    const auto bins = static_cast<std::size_t>(options_.bins);
    logits_.assign(bins * choices_, 0.0);
    baselines_.assign(bins, 0.0);
    updates_.assign(bins, 0);
  }

  const focusformer_options& options() const { return options_; }
  int bins() const { return options_.bins; }
  // The bins' bounds in the options' cost measure: bins() + 1 values.
  const std::vector<double>& edges() const { return edges_; }
  const std::vector<gene>& genes() const { return genes_; }
  double cost(const arch_type& a) const {
    return static_cast<double>(options_.cost == cost_measure::params ? Space::params(a)
                                                                     : Space::macs(a));
  }
  // The bin whose range holds `cost`; a cost outside every bin goes to the nearest one.
  int bin_of(double cost) const {
    int b = 0;
    while (b + 1 < bins() && cost >= edges_[static_cast<std::size_t>(b) + 1]) ++b;
    return b;
  }
  // Whether `a` may train as a draw of bin b: within the parameter cap and the bin's range.
  bool fits(int bin, const arch_type& a) const {
    if (static_cast<double>(Space::params(a)) > max_params_) return false;
    const double c = cost(a);
    const auto b = static_cast<std::size_t>(bin);
    return c >= edges_[b] && (c < edges_[b + 1] || (bin + 1 == bins() && c <= edges_[b + 1]));
  }

  // The probabilities of the choices of gene `g` in bin b.
  std::vector<double> probabilities(int bin, std::size_t g) const {
    check_bin(bin);
    const double* z = logits(bin) + offsets_.at(g);
    const auto n = static_cast<std::size_t>(genes_[g].choices);
    const double top = *std::max_element(z, z + n);
    std::vector<double> p(n);
    double sum = 0;
    for (std::size_t c = 0; c < n; ++c) sum += p[c] = std::exp(z[c] - top);
    for (auto& v : p) v /= sum;
    return p;
  }

  // The arch of the most likely choice of every gene in bin b (it may fall outside the bin).
  arch_type mode(int bin) const {
    std::vector<int> code(genes_.size());
    for (std::size_t g = 0; g < genes_.size(); ++g) {
      const auto p = probabilities(bin, g);
      code[g] = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    }
    return Space::decode(code);
  }

  // An arch drawn gene by gene from bin b's distributions until `accept(a)` holds; after
  // max_draws draws, uniform archs of the space until it does; throws std::invalid_argument
  // after 10,000 of those.
  template <class Accept>
  arch_type draw(int bin, rng_engine& rng, Accept&& accept) const {
    check_bin(bin);
    std::vector<int> code(genes_.size());
    for (int attempt = 0; attempt < options_.max_draws; ++attempt) {
      for (std::size_t g = 0; g < genes_.size(); ++g) code[g] = draw_choice(bin, g, rng);
      auto a = Space::decode(code);
      if (accept(a)) return a;
    }
    for (int attempt = 0; attempt < 10'000; ++attempt)
      if (auto a = Space::sample(rng); accept(a)) return a;
    throw std::invalid_argument(
        fmt::format("focusformer_sampler: no arch of bin {} ({} in [{}, {}]) met the condition in "
                    "{} draws from the bin and 10,000 uniform ones",
                    bin, to_string(options_.cost), edges_[static_cast<std::size_t>(bin)],
                    edges_[static_cast<std::size_t>(bin) + 1], options_.max_draws));
  }
  // An arch of bin b that fits it.
  arch_type draw(int bin, rng_engine& rng) const {
    return draw(bin, rng, [&](const arch_type& a) { return fits(bin, a); });
  }

  // One training step's draw: a bin chosen uniformly, then options.candidates archs that fit it.
  struct step_draw {
    int bin = 0;
    std::vector<arch_type> candidates;
  };
  step_draw draw_step(rng_engine& rng) const {
    step_draw out{static_cast<int>(uniform_index(rng, static_cast<std::size_t>(bins()))), {}};
    for (int i = 0; i < options_.candidates; ++i) out.candidates.push_back(draw(out.bin, rng));
    return out;
  }

  // One policy-gradient (REINFORCE) step of bin b on archs drawn from it and their rewards (the
  // negative held-out loss): with baseline B (the bin's running mean reward; the batch mean at
  // its first update) and s the root mean square of r_i - B, every used gene's logits move by
  // learning_rate / n * sum_i (r_i - B) / s * (onehot(choice_i) - p); then B moves to the batch
  // mean with the options' momentum. Rewards all equal to B leave the logits as they are.
  void update(int bin, std::span<const arch_type> archs, std::span<const double> rewards) {
    check_bin(bin);
    if (archs.size() != rewards.size() || archs.empty())
      throw std::invalid_argument(fmt::format(
          "focusformer_sampler::update: {} archs and {} rewards, expected as many of each and at "
          "least one",
          archs.size(), rewards.size()));
    double mean = 0;
    for (double r : rewards) {
      if (!std::isfinite(r))
        throw std::invalid_argument(
            fmt::format("focusformer_sampler::update: reward {}, expected a finite number", r));
      mean += r / static_cast<double>(rewards.size());
    }
    const auto b = static_cast<std::size_t>(bin);
    const double baseline = updates_[b] == 0 ? mean : baselines_[b];
    double square = 0;
    for (double r : rewards) square += (r - baseline) * (r - baseline);
    const double scale = std::sqrt(square / static_cast<double>(rewards.size()));
    if (scale > 0) {
      // The gradients of every sample are taken at the logits before the update.
      std::vector<std::vector<double>> p(genes_.size());
      for (std::size_t g = 0; g < genes_.size(); ++g) p[g] = probabilities(bin, g);
      double* z = logits(bin);
      const double step = options_.learning_rate / static_cast<double>(archs.size());
      for (std::size_t i = 0; i < archs.size(); ++i) {
        const double advantage = (rewards[i] - baseline) / scale;
        const auto code = Space::encode(archs[i]);
        for (std::size_t g = 0; g < genes_.size(); ++g) {
          if (code[g] < 0) continue;
          for (std::size_t c = 0; c < p[g].size(); ++c)
            z[offsets_[g] + c] +=
                step * advantage * ((static_cast<std::size_t>(code[g]) == c ? 1.0 : 0.0) - p[g][c]);
        }
      }
    }
    baselines_[b] = updates_[b] == 0 ? mean
                                     : options_.baseline_momentum * baseline +
                                           (1 - options_.baseline_momentum) * mean;
    ++updates_[b];
  }
  long updates(int bin) const {
    check_bin(bin);
    return updates_[static_cast<std::size_t>(bin)];
  }
  double baseline(int bin) const {
    check_bin(bin);
    return baselines_[static_cast<std::size_t>(bin)];
  }

  // The parameter cap the bins were cut within (infinity: none).
  double max_params() const { return max_params_; }

  // What a checkpoint keeps: the cost measure, the parameter cap (null: none), the bins' edges,
  // logits, baselines and update counts.
  nlohmann::json state() const {
    return {{"cost", to_string(options_.cost)},
            {"max_params", std::isfinite(max_params_) ? nlohmann::json(max_params_) : nullptr},
            {"edges", edges_},
            {"logits", logits_},
            {"baselines", baselines_},
            {"updates", updates_}};
  }
  // The cap of a state(): what a sampler restored from it is constructed with.
  static double state_max_params(const nlohmann::json& state) {
    if (!state.is_object() || !state.contains("max_params"))
      throw std::invalid_argument("sampler state: field 'max_params' is missing");
    const auto& cap = state.at("max_params");
    if (cap.is_null()) return std::numeric_limits<double>::infinity();
    if (!cap.is_number())
      throw std::invalid_argument(
          fmt::format("sampler state: max_params is {}, expected a number or null", cap.dump()));
    return cap.template get<double>();
  }

  // Restores state() of a sampler of the same space, cost measure, cap and bins; throws
  // std::invalid_argument naming the field that differs, with nothing changed.
  void load_state(const nlohmann::json& state) {
    auto field = [&](const char* name) -> const nlohmann::json& {
      if (!state.is_object() || !state.contains(name))
        throw std::invalid_argument(fmt::format("sampler state: field '{}' is missing", name));
      return state.at(name);
    };
    try {
      if (field("cost").template get<std::string>() != to_string(options_.cost))
        throw std::invalid_argument(fmt::format("cost '{}', this sampler bins {}",
                                                field("cost").template get<std::string>(),
                                                to_string(options_.cost)));
      if (const double cap = state_max_params(state); cap != max_params_)
        throw std::invalid_argument(
            fmt::format("max_params {}, this sampler's cap is {}", cap, max_params_));
      const auto edges = field("edges").template get<std::vector<double>>();
      if (edges != edges_)
        throw std::invalid_argument(
            fmt::format("edges {}, this sampler's bins are {}", edges, edges_));
      auto logits = field("logits").template get<std::vector<double>>();
      auto baselines = field("baselines").template get<std::vector<double>>();
      auto updates = field("updates").template get<std::vector<long>>();
      if (logits.size() != logits_.size() || baselines.size() != baselines_.size() ||
          updates.size() != updates_.size())
        throw std::invalid_argument(fmt::format(
            "{} logits, {} baselines and {} update counts, expected {}, {} and {}", logits.size(),
            baselines.size(), updates.size(), logits_.size(), baselines_.size(), updates_.size()));
      for (double v : logits)
        if (!std::isfinite(v)) throw std::invalid_argument("a logit is not finite");
      logits_ = std::move(logits);
      baselines_ = std::move(baselines);
      updates_ = std::move(updates);
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(fmt::format("sampler state: {}", e.what()));
    } catch (const std::invalid_argument& e) {
      if (std::string_view(e.what()).starts_with("sampler state")) throw;
      throw std::invalid_argument(fmt::format("sampler state: {}", e.what()));
    }
  }

 private:
  void check_bin(int bin) const {
    if (bin < 0 || bin >= bins())
      throw std::invalid_argument(
          fmt::format("focusformer_sampler: bin {}, expected 0..{}", bin, bins() - 1));
  }
  const double* logits(int bin) const {
    return logits_.data() + static_cast<std::size_t>(bin) * choices_;
  }
  double* logits(int bin) { return logits_.data() + static_cast<std::size_t>(bin) * choices_; }

  int draw_choice(int bin, std::size_t g, rng_engine& rng) const {
    const auto p = probabilities(bin, g);
    double u = uniform_unit(rng);
    for (std::size_t c = 0; c + 1 < p.size(); ++c) {
      if (u < p[c]) return static_cast<int>(c);
      u -= p[c];
    }
    return static_cast<int>(p.size()) - 1;
  }

  void cut_bins(std::uint64_t seed) {
    rng_engine rng(seeds::sampler_bins(seed));
    std::vector<double> costs;
    for (int i = 0; i < options_.bin_sample; ++i)
      costs.push_back(cost(sample_within<Space>(max_params_, rng)));
    std::sort(costs.begin(), costs.end());
    const auto smallest = Space::smallest(), largest = Space::largest();
    const double low = static_cast<double>(Space::params(smallest)) <= max_params_
                           ? std::min(costs.front(), cost(smallest))
                           : costs.front();
    const double high = static_cast<double>(Space::params(largest)) <= max_params_
                            ? std::max(costs.back(), cost(largest))
                            : costs.back();
    edges_ = {low};
    for (int b = 1; b < bins(); ++b)
      edges_.push_back(
          costs[costs.size() * static_cast<std::size_t>(b) / static_cast<std::size_t>(bins())]);
    edges_.push_back(high);
    for (std::size_t b = 0; b + 1 < edges_.size(); ++b)
      if (!(edges_[b] < edges_[b + 1]))
        throw std::invalid_argument(fmt::format(
            "focusformer_options: {} bins of {} cut the space at {}: expected increasing edges "
            "(fewer bins)",
            bins(), to_string(options_.cost), edges_));
  }

  focusformer_options options_;
  double max_params_;
  std::vector<gene> genes_;
  std::vector<std::size_t> offsets_;  // of each gene's first choice within a bin's logits
  std::size_t choices_ = 0;           // logits per bin
  std::vector<double> edges_;
  std::vector<double> logits_;  // [bin][gene][choice]
  std::vector<double> baselines_;
  std::vector<long> updates_;
};

}  // namespace ovo
