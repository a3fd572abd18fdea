// Archs as fixed-length lists of choice indices: what a learned sampler's per-gene distributions
// are over.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ovo/space/search_space.hpp"

namespace ovo {

// One gene of a coded space: its name, as the arch's JSON names it ("heads[3]"), and its number
// of choices.
struct gene {
  std::string name;
  int choices = 0;
};

// A search space whose archs are coded as one choice index per gene, over a gene list that is the
// same for every arch: the genes of layers beyond an arch's depth are unused.
//   S::genes()        the gene list
//   S::encode(a)      the choice index of each gene of `a`, -1 for an unused gene; throws
//                     std::invalid_argument for an arch outside the space
//   S::decode(g)      the arch of indices `g` (an unused gene's value is ignored); throws
//                     std::invalid_argument naming the first gene out of its range
// decode(encode(a)) == a for every arch `a` of the space.
template <class S>
concept gene_coded_space = search_space<S> &&
    requires(const space_arch<S>& a, std::span<const int> genes) {
  { S::genes() } -> std::same_as<std::vector<gene>>;
  { S::encode(a) } -> std::same_as<std::vector<int>>;
  { S::decode(genes) } -> std::same_as<space_arch<S>>;
};

namespace detail {

// The index of `value` among `choices`, which must hold it.
template <class Choices, class T>
int choice_index(const Choices& choices, T value) {
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == value) return static_cast<int>(i);
  throw std::logic_error("choice_index: the value is not a choice");
}

// Reads a coded arch gene by gene, in the gene list's order, checking each used index.
class gene_reader {
 public:
  gene_reader(std::span<const int> values, const std::vector<gene>& genes)
      : values_(values), genes_(genes) {
    if (values.size() != genes.size())
      throw std::invalid_argument(
          fmt::format("coded arch: {} genes, expected {}", values.size(), genes.size()));
  }
  // The next gene's choice index.
  int next() {
    const int value = values_[position_];
    const auto& g = genes_[position_++];
    if (value < 0 || value >= g.choices)
      throw std::invalid_argument(
          fmt::format("coded arch: gene {} = {}, expected 0..{}", g.name, value, g.choices - 1));
    return value;
  }
  // Passes over `count` unused genes.
  void skip(std::size_t count) { position_ += count; }

 private:
  std::span<const int> values_;
  const std::vector<gene>& genes_;
  std::size_t position_ = 0;
};

}  // namespace detail
}  // namespace ovo
