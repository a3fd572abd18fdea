// The subnets one supernet training step trains: uniform sampling, the sandwich rule, and OVO's
// teacher/student pairs.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ovo/space/search_space.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

enum class sampling_strategy {
  uniform,   // one random subnet on the targets (AutoFormer)
  sandwich,  // largest on the targets; smallest + k random distilled from it (BigNAS)
  ovo,       // a teacher on the targets, one random student on CE + KL to it (OVO)
};

// OVO's teacher: the largest subnet, or a random subnet with at least the student's parameters.
enum class teacher_rule { largest, larger_random };

struct sampler_options {
  sampling_strategy strategy = sampling_strategy::ovo;
  teacher_rule teacher = teacher_rule::largest;
  int sandwich_random = 2;  // the k random subnets of the sandwich rule
  // Training focused on a budget: every random subnet (a student, a sandwich's random ones, a
  // larger-random teacher) is drawn from those with at most this many parameters. The largest and
  // smallest subnets of the sandwich rule and OVO's largest teacher stay the space's.
  double max_params = std::numeric_limits<double>::infinity();
};

// One step's subnets: without a teacher, each student trains on the targets alone.
template <class Arch>
struct step_archs {
  std::optional<Arch> teacher;
  std::vector<Arch> students;
};

inline sampling_strategy parse_sampling_strategy(std::string_view name) {
  if (name == "uniform") return sampling_strategy::uniform;
  if (name == "sandwich") return sampling_strategy::sandwich;
  if (name == "ovo") return sampling_strategy::ovo;
  throw std::invalid_argument(
      fmt::format("sampling strategy '{}': expected uniform, sandwich or ovo", name));
}
inline std::string to_string(sampling_strategy s) {
  switch (s) {
    case sampling_strategy::uniform:
      return "uniform";
    case sampling_strategy::sandwich:
      return "sandwich";
    case sampling_strategy::ovo:
      return "ovo";
  }
  return "?";
}
inline teacher_rule parse_teacher_rule(std::string_view name) {
  if (name == "largest") return teacher_rule::largest;
  if (name == "larger-random") return teacher_rule::larger_random;
  throw std::invalid_argument(
      fmt::format("teacher rule '{}': expected largest or larger-random", name));
}
inline std::string to_string(teacher_rule r) {
  return r == teacher_rule::largest ? "largest" : "larger-random";
}

// A random subnet with at least `a`'s and at most `max_params` parameters; after 100 draws
// without one, the largest subnet (no cap) or `a` itself.
template <search_space Space>
space_arch<Space> sample_at_least_as_large(
    const space_arch<Space>& a, rng_engine& rng,
    double max_params = std::numeric_limits<double>::infinity()) {
  const auto floor = static_cast<double>(Space::params(a));
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = Space::sample(rng);
    const auto params = static_cast<double>(Space::params(candidate));
    if (params >= floor && params <= max_params) return candidate;
  }
  return std::isfinite(max_params) ? a : Space::largest();
}

// A uniformly random subnet among those with at most `max_params` parameters (rejection
// sampling); throws std::invalid_argument when 10,000 draws find none.
template <search_space Space>
space_arch<Space> sample_within(double max_params, rng_engine& rng) {
  for (int attempt = 0; attempt < 10'000; ++attempt) {
    auto candidate = Space::sample(rng);
    if (static_cast<double>(Space::params(candidate)) <= max_params) return candidate;
  }
  throw std::invalid_argument(fmt::format(
      "sampler_options: max_params = {}: no subnet of the space found within it in 10,000 draws "
      "(its smallest has {})",
      max_params, Space::params(Space::smallest())));
}

// One step's subnets under `options`, each random student drawn by `draw_random(rng)`: a uniform
// student, a sandwich's random ones and an OVO student (a learned sampler draws them in place of
// sample_within). A larger-random OVO teacher stays uniform above its student.
template <search_space Space, class DrawRandom>
step_archs<space_arch<Space>> draw_step_archs(const sampler_options& options, rng_engine& rng,
                                              DrawRandom&& draw_random) {
  step_archs<space_arch<Space>> out;
  switch (options.strategy) {
    case sampling_strategy::uniform:
      out.students.push_back(draw_random(rng));
      break;
    case sampling_strategy::sandwich:
      if (options.sandwich_random < 0)
        throw std::invalid_argument("sampler_options: sandwich_random must not be negative");
      out.teacher = Space::largest();
      out.students.push_back(Space::smallest());
      for (int i = 0; i < options.sandwich_random; ++i) out.students.push_back(draw_random(rng));
      break;
    case sampling_strategy::ovo:
      out.students.push_back(draw_random(rng));
      out.teacher =
          options.teacher == teacher_rule::largest
              ? Space::largest()
              : sample_at_least_as_large<Space>(out.students.front(), rng, options.max_params);
      break;
  }
  return out;
}

// One step's subnets under `options`, the random ones uniform among those within max_params.
template <search_space Space>
step_archs<space_arch<Space>> draw_step_archs(const sampler_options& options, rng_engine& rng) {
  return draw_step_archs<Space>(
      options, rng, [&](rng_engine& r) { return sample_within<Space>(options.max_params, r); });
}

}  // namespace ovo
