// Checks on the choice lists of spaces.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

namespace ovo::detail {

// Whether `v` (an array, a vector or a span) is non-empty, positive and strictly increasing.
template <class Choices>
constexpr bool strictly_increasing_positive(const Choices& v) {
  if (v.size() == 0 || !(v[0] > 0)) return false;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (!(v[i - 1] < v[i])) return false;
  return true;
}

// Whether `x` is one of `choices` (an array or a span).
template <class Choices, class T>
bool one_of(const Choices& choices, T x) {
  return std::find(choices.begin(), choices.end(), x) != choices.end();
}

}  // namespace ovo::detail
