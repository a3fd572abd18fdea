// The subnets one supernet training step trains: uniform sampling, the sandwich rule, and OVO's
// teacher/student pairs.
#pragma once

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

// A random subnet with at least `a`'s parameters; the largest after 100 draws without one.
template <search_space Space>
space_arch<Space> sample_at_least_as_large(const space_arch<Space>& a, rng_engine& rng) {
  const auto floor = Space::params(a);
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = Space::sample(rng);
    if (Space::params(candidate) >= floor) return candidate;
  }
  return Space::largest();
}

template <search_space Space>
step_archs<space_arch<Space>> draw_step_archs(const sampler_options& options, rng_engine& rng) {
  step_archs<space_arch<Space>> out;
  switch (options.strategy) {
    case sampling_strategy::uniform:
      out.students.push_back(Space::sample(rng));
      break;
    case sampling_strategy::sandwich:
      if (options.sandwich_random < 0)
        throw std::invalid_argument("sampler_options: sandwich_random must not be negative");
      out.teacher = Space::largest();
      out.students.push_back(Space::smallest());
      for (int i = 0; i < options.sandwich_random; ++i) out.students.push_back(Space::sample(rng));
      break;
    case sampling_strategy::ovo:
      out.students.push_back(Space::sample(rng));
      out.teacher = options.teacher == teacher_rule::largest
                        ? Space::largest()
                        : sample_at_least_as_large<Space>(out.students.front(), rng);
      break;
  }
  return out;
}

}  // namespace ovo
