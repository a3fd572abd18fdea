// Checks on the choice lists that spaces take as template arguments.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

namespace ovo::detail {

template <class T, std::size_t N>
constexpr bool strictly_increasing_positive(const std::array<T, N>& v) {
  if (N == 0 || !(v[0] > 0)) return false;
  for (std::size_t i = 1; i < N; ++i)
    if (!(v[i - 1] < v[i])) return false;
  return true;
}

// Whether `x` is one of `choices` (an array or a span).
template <class Choices, class T>
bool one_of(const Choices& choices, T x) {
  return std::find(choices.begin(), choices.end(), x) != choices.end();
}

}  // namespace ovo::detail
