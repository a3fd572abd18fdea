// The search_space concept: what samplers and searches need of a space of archs.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ovo/util/random.hpp"

namespace ovo {

// How a mutation redraws genes: `structure` is the probability of redrawing each structural gene
// (a ViT's depth and embed dim), `gene` that of each per-layer gene (heads, MLP ratio, a width).
struct mutation_rates {
  double structure = 0.4;
  double gene = 0.2;
};

// A space of archs, all static members (a space is a type, its choices template arguments).
//   S::arch_type               a value: copyable, totally ordered (searches keep sets of them),
//                              to_string(a) and nlohmann JSON (to_json/from_json) found by ADL
//   S::sample(rng)             an arch drawn from the space
//   S::mutate(a, rates, rng)   a child of `a` (may leave the space's constraints to the caller)
//   S::crossable(a, b)         whether crossover may pair `a` and `b`
//   S::crossover(a, b, rng)    a child of two crossable parents
//   S::contains(a)             whether `a` is in the space
//   S::invalid_gene(a)         why `a` is not in the space, naming the gene; empty when it is
//   S::validate(a)             throws std::invalid_argument with that reason
//   S::smallest(), S::largest()
//   S::params(a), S::macs(a)   exact parameters of `a` as a standalone model and multiply-adds of
//                              one image's forward pass
template <class S>
concept search_space = requires(const typename S::arch_type& a, const typename S::arch_type& b,
                                rng_engine& rng, mutation_rates rates, nlohmann::json& j) {
  typename S::arch_type;
  requires std::regular<typename S::arch_type>;
  requires std::totally_ordered<typename S::arch_type>;
  { to_string(a) } -> std::convertible_to<std::string>;
  to_json(j, a);
  { j.template get<typename S::arch_type>() } -> std::same_as<typename S::arch_type>;
  { S::sample(rng) } -> std::same_as<typename S::arch_type>;
  { S::mutate(a, rates, rng) } -> std::same_as<typename S::arch_type>;
  { S::crossable(a, b) } -> std::same_as<bool>;
  { S::crossover(a, b, rng) } -> std::same_as<typename S::arch_type>;
  { S::contains(a) } -> std::same_as<bool>;
  { S::invalid_gene(a) } -> std::same_as<std::string>;
  S::validate(a);
  { S::smallest() } -> std::same_as<typename S::arch_type>;
  { S::largest() } -> std::same_as<typename S::arch_type>;
  { S::params(a) } -> std::same_as<std::int64_t>;
  { S::macs(a) } -> std::same_as<std::int64_t>;
};

// The arch type of a space.
template <search_space S>
using space_arch = typename S::arch_type;

}  // namespace ovo
