// JSON read from files: text parsed with a nesting limit, integers read without conversions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ovo {

// Deeper than any JSON that ovo writes or reads (its deepest is 3 levels).
inline constexpr int max_json_depth = 64;

// Parses `text`, refusing nesting deeper than max_json_depth: nlohmann copies, compares and
// prints values recursively, so deeper nesting could overflow the stack. Throws
// std::invalid_argument starting "not valid JSON: " on a syntax error or on arrays and objects
// nested more than max_json_depth levels deep.
template <class Json = nlohmann::json>
Json parse_json(std::string_view text) {
  const auto limit_depth = [](int depth, nlohmann::json::parse_event_t event, Json&) {
    if (depth >= max_json_depth && (event == nlohmann::json::parse_event_t::object_start ||
                                    event == nlohmann::json::parse_event_t::array_start))
      throw std::invalid_argument(fmt::format(
          "not valid JSON: arrays and objects nested more than {} levels deep", max_json_depth));
    return true;
  };
  try {
    return Json::parse(text, limit_depth);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("not valid JSON: {}", e.what()));
  }
}

// Parses `text` into a T through its from_json; a text that is not valid JSON throws
// std::invalid_argument "<what>: not valid JSON: ...", and from_json its own errors.
template <class T>
T parse_json_as(std::string_view text, std::string_view what) {
  nlohmann::json j;
  try {
    j = parse_json(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", what, e.what()));
  }
  return j.get<T>();
}

namespace detail {

// A JSON integer that fits in an Integer (not a float, not out of range); `what` names it in the
// error, which the caller prefixes with the kind of JSON.
template <class Integer = int>
Integer json_int(const nlohmann::json& value, const std::string& what) {
  constexpr auto low = std::numeric_limits<Integer>::min(),
                 high = std::numeric_limits<Integer>::max();
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(high)
                        : value.is_number_integer() && value.get<std::int64_t>() >= low &&
                              value.get<std::int64_t>() <= high;
  if (!fits)
    throw std::invalid_argument(
        fmt::format("{} is {}, expected an integer in {}..{}", what, value.dump(), low, high));
  return value.get<Integer>();
}

// A JSON array of integers that fit in an int.
inline std::vector<int> json_ints(const nlohmann::json& value, const std::string& what) {
  if (!value.is_array())
    throw std::invalid_argument(
        fmt::format("{} is {}, expected an array of integers", what, value.dump()));
  std::vector<int> out;
  for (std::size_t i = 0; i < value.size(); ++i)
    out.push_back(json_int(value[i], fmt::format("{}[{}]", what, i)));
  return out;
}

}  // namespace detail

}  // namespace ovo
