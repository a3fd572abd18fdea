// Reading and writing named tensors in the safetensors format (length-prefixed JSON header + data).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ovo/io/atomic_file.hpp"
#include "ovo/util/json.hpp"

namespace ovo::io {

enum class dtype { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

inline constexpr std::array all_dtypes = {dtype::f64, dtype::f32,    dtype::f16, dtype::bf16,
                                          dtype::i64, dtype::i32,    dtype::i16, dtype::i8,
                                          dtype::u8,  dtype::boolean};

inline std::size_t dtype_size(dtype type) {
  switch (type) {
    case dtype::f64:
    case dtype::i64:
      return 8;
    case dtype::f32:
    case dtype::i32:
      return 4;
    case dtype::f16:
    case dtype::bf16:
    case dtype::i16:
      return 2;
    case dtype::i8:
    case dtype::u8:
    case dtype::boolean:
      return 1;
  }
  throw std::invalid_argument("dtype_size: invalid dtype value " +
                              std::to_string(static_cast<int>(type)));
}

// The name the safetensors header uses for `type`.
inline std::string_view dtype_name(dtype type) {
  switch (type) {
    case dtype::f64:
      return "F64";
    case dtype::f32:
      return "F32";
    case dtype::f16:
      return "F16";
    case dtype::bf16:
      return "BF16";
    case dtype::i64:
      return "I64";
    case dtype::i32:
      return "I32";
    case dtype::i16:
      return "I16";
    case dtype::i8:
      return "I8";
    case dtype::u8:
      return "U8";
    case dtype::boolean:
      return "BOOL";
  }
  throw std::invalid_argument("dtype_name: invalid dtype value " +
                              std::to_string(static_cast<int>(type)));
}

// Parses a safetensors dtype name; `context` says where the name came from, for the error.
inline dtype dtype_from_name(std::string_view name, const std::string& context) {
  for (const dtype type : all_dtypes) {
    if (dtype_name(type) == name) return type;
  }
  std::string supported;
  for (const dtype type : all_dtypes) {
    if (!supported.empty()) supported += ", ";
    supported += dtype_name(type);
  }
  throw std::runtime_error("safetensors: unknown dtype '" + std::string(name) + "' in " + context +
                           "; expected one of " + supported);
}

namespace detail {

template <class T>
inline constexpr bool unsupported_element_type = false;

}  // namespace detail

// The dtype that stores C++ values of type T.
template <class T>
constexpr dtype dtype_of() {
  if constexpr (std::is_same_v<T, double>) {
    return dtype::f64;
  } else if constexpr (std::is_same_v<T, float>) {
    return dtype::f32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return dtype::i64;
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    return dtype::i32;
  } else if constexpr (std::is_same_v<T, std::int16_t>) {
    return dtype::i16;
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    return dtype::i8;
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return dtype::u8;
  } else {
    static_assert(
        detail::unsupported_element_type<T>,
        "dtype_of: T must be double, float, int64_t, int32_t, int16_t, int8_t or uint8_t");
  }
}

namespace detail {

// " (file <source>)", or a note that the tensors did not come from a file.
inline std::string source_suffix(const std::string& source_name) {
  return source_name.empty() ? std::string(" (not loaded from a file)")
                             : " (file " + source_name + ")";
}

inline std::string shape_to_string(std::span<const std::int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

// The number of elements of `shape`; throws (naming `context`) on a negative dimension or when
// the count does not fit in int64_t.
inline std::int64_t element_count(std::span<const std::int64_t> shape, const std::string& context) {
  std::int64_t count = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      throw std::runtime_error("safetensors: " + context + ": dimension " + std::to_string(i) +
                               " of shape " + shape_to_string(shape) +
                               " is negative; expected a size >= 0");
    }
    if (shape[i] != 0 && count > std::numeric_limits<std::int64_t>::max() / shape[i]) {
      throw std::runtime_error("safetensors: " + context + ": shape " + shape_to_string(shape) +
                               " has more elements than fit in a 64-bit integer (overflow)");
    }
    count *= shape[i];
  }
  return count;
}

// The byte size of a tensor of `type` and `shape`; throws (naming `context`) when it overflows.
inline std::uint64_t byte_count(dtype type, std::span<const std::int64_t> shape,
                                const std::string& context) {
  const auto elements = static_cast<std::uint64_t>(element_count(shape, context));
  const std::uint64_t element_size = dtype_size(type);
  if (elements > std::numeric_limits<std::uint64_t>::max() / element_size) {
    throw std::runtime_error("safetensors: " + context + ": shape " + shape_to_string(shape) +
                             " of " + std::string(dtype_name(type)) +
                             " needs more bytes than fit in a 64-bit integer (overflow)");
  }
  return elements * element_size;
}

// Copies values into their little-endian byte representation.
template <class T>
std::vector<std::byte> to_little_endian_bytes(std::span<const T> values) {
  std::vector<std::byte> bytes(values.size_bytes());
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    for (auto element = bytes.begin(); element != bytes.end(); element += sizeof(T)) {
      std::reverse(element, element + sizeof(T));
    }
  }
  return bytes;
}

// Reads values from their little-endian byte representation; bytes.size() % sizeof(T) == 0.
template <class T>
std::vector<T> from_little_endian_bytes(std::span<const std::byte> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    for (T& value : values) {
      auto* value_bytes = reinterpret_cast<std::byte*>(&value);
      std::reverse(value_bytes, value_bytes + sizeof(T));
    }
  }
  return values;
}

// Reads a JSON integer that must be >= 0 and fit in int64_t; `what` names it for the error.
inline std::int64_t nonnegative_integer(const nlohmann::ordered_json& value,
                                        const std::string& what, const std::string& suffix) {
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw std::runtime_error("safetensors: " + what + " is " + std::to_string(unsigned_value) +
                               "; expected at most " +
                               std::to_string(std::numeric_limits<std::int64_t>::max()) + suffix);
    }
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) {
    const auto signed_value = value.get<std::int64_t>();
    if (signed_value < 0) {
      throw std::runtime_error("safetensors: " + what + " is negative (" +
                               std::to_string(signed_value) + "); expected an integer >= 0" +
                               suffix);
    }
    return signed_value;
  }
  throw std::runtime_error("safetensors: " + what + " is a JSON " + value.type_name() + " (" +
                           value.dump() + "); expected a non-negative integer" + suffix);
}

}  // namespace detail

// One tensor as stored in a file: its dtype, shape and little-endian row-major bytes.
struct stored_tensor {
  dtype type = dtype::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;

  // The product of the dimensions (1 for a scalar); throws on a negative dimension or overflow.
  std::int64_t numel() const { return detail::element_count(shape, "stored_tensor"); }

  // The elements as T; throws unless T is the C++ type of `type`.
  template <class T>
  std::vector<T> values() const {
    if (dtype_of<T>() != type) {
      throw std::runtime_error("safetensors: tensor holds " + std::string(dtype_name(type)) +
                               " values but " + std::string(dtype_name(dtype_of<T>())) +
                               " values were requested");
    }
    const std::uint64_t expected_bytes = detail::byte_count(type, shape, "stored_tensor");
    if (data.size() != expected_bytes) {
      throw std::runtime_error("safetensors: tensor of shape " + detail::shape_to_string(shape) +
                               " and dtype " + std::string(dtype_name(type)) + " needs " +
                               std::to_string(expected_bytes) + " bytes but holds " +
                               std::to_string(data.size()));
    }
    return detail::from_little_endian_bytes<T>(data);
  }
};

// An ordered collection of named tensors plus string metadata, as held in one safetensors file.
class safetensors {
 public:
  // Adds a tensor of `shape` holding `values` (row-major); throws on a duplicate or reserved name
  // or when the shape does not describe values.size() elements.
  template <class T>
  void add(std::string name, std::vector<std::int64_t> shape, std::span<const T> values) {
    const std::int64_t elements = detail::element_count(shape, tensor_context(name));
    if (static_cast<std::uint64_t>(elements) != values.size()) {
      throw std::runtime_error("safetensors: " + tensor_context(name) + ": shape " +
                               detail::shape_to_string(shape) + " has " + std::to_string(elements) +
                               " elements but " + std::to_string(values.size()) +
                               " values were given");
    }
    add(std::move(name),
        stored_tensor{dtype_of<T>(), std::move(shape), detail::to_little_endian_bytes(values)});
  }

  // Adds a tensor; throws on a duplicate or reserved name or when the data size does not match
  // the shape and dtype.
  void add(std::string name, stored_tensor tensor) {
    const std::string context = tensor_context(name);
    if (name == metadata_key) {
      throw std::runtime_error("safetensors: the name '" + name +
                               "' is reserved for the metadata and cannot name a tensor");
    }
    if (contains(name)) {
      throw std::runtime_error("safetensors: " + context + " already exists");
    }
    const std::uint64_t expected_bytes = detail::byte_count(tensor.type, tensor.shape, context);
    if (tensor.data.size() != expected_bytes) {
      throw std::runtime_error(
          "safetensors: " + context + ": shape " + detail::shape_to_string(tensor.shape) + " of " +
          std::string(dtype_name(tensor.type)) + " needs " + std::to_string(expected_bytes) +
          " bytes but " + std::to_string(tensor.data.size()) + " were given");
    }
    tensors_.emplace(name, std::move(tensor));
    names_.push_back(std::move(name));
  }

  bool contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

  const stored_tensor& at(std::string_view name) const {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) {
      throw std::runtime_error("safetensors: no tensor named '" + std::string(name) + "'" +
                               detail::source_suffix(source_name_) + "; it holds " +
                               describe_names());
    }
    return found->second;
  }

  // Tensor names in insertion order, which is the order of their data in a serialized file.
  const std::vector<std::string>& names() const { return names_; }

  std::map<std::string, std::string> metadata;

  // The file contents: the header lists tensors in insertion order and is padded with spaces to
  // a multiple of 8 bytes; the data of the tensors follows contiguously in the same order.
  std::vector<std::byte> serialize() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header[metadata_key] = metadata;
    std::uint64_t data_size = 0;
    for (const std::string& name : names_) {
      const stored_tensor& tensor = tensors_.find(name)->second;
      nlohmann::ordered_json entry;
      entry["dtype"] = dtype_name(tensor.type);
      entry["shape"] = tensor.shape;
      entry["data_offsets"] = {data_size, data_size + tensor.data.size()};
      header[name] = std::move(entry);
      data_size += tensor.data.size();
    }
    std::string header_text;
    try {
      header_text = header.dump();
    } catch (const nlohmann::json::exception& error) {
      throw std::runtime_error("safetensors: cannot write the header" +
                               detail::source_suffix(source_name_) + ": " + error.what());
    }
    header_text.append(
        (header_alignment - header_text.size() % header_alignment) % header_alignment, ' ');

    std::vector<std::byte> bytes;
    bytes.reserve(length_field_size + header_text.size() + data_size);
    const std::uint64_t header_length = header_text.size();
    for (std::size_t i = 0; i < length_field_size; ++i) {
      bytes.push_back(static_cast<std::byte>((header_length >> (8 * i)) & 0xffu));
    }
    for (const char character : header_text) bytes.push_back(static_cast<std::byte>(character));
    for (const std::string& name : names_) {
      const std::vector<std::byte>& data = tensors_.find(name)->second.data;
      bytes.insert(bytes.end(), data.begin(), data.end());
    }
    return bytes;
  }

  // Parses and validates file contents; `source_name` (usually the path) appears in every error
  // and in later lookup errors. Tensors are ordered by their position in the data section.
  static safetensors parse(std::span<const std::byte> bytes, const std::string& source_name) {
    const std::string suffix = detail::source_suffix(source_name);
    if (bytes.size() < length_field_size) {
      throw std::runtime_error("safetensors: file is " + std::to_string(bytes.size()) +
                               " bytes long; expected at least " +
                               std::to_string(length_field_size) + " bytes for the header length" +
                               suffix);
    }
    std::uint64_t header_length = 0;
    for (std::size_t i = 0; i < length_field_size; ++i) {
      header_length |= std::to_integer<std::uint64_t>(bytes[i]) << (8 * i);
    }
    const std::uint64_t bytes_after_length = bytes.size() - length_field_size;
    if (header_length > bytes_after_length) {
      throw std::runtime_error("safetensors: header length is " + std::to_string(header_length) +
                               " bytes but only " + std::to_string(bytes_after_length) +
                               " bytes follow the length field (truncated or not a safetensors "
                               "file)" +
                               suffix);
    }
    const auto header_bytes = bytes.subspan(length_field_size, header_length);
    const auto data_section = bytes.subspan(length_field_size + header_length);

    nlohmann::ordered_json header;
    try {
      header = parse_json<nlohmann::ordered_json>(std::string_view(
          reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size()));
    } catch (const std::invalid_argument& error) {
      throw std::runtime_error("safetensors: header is " + std::string(error.what()) + suffix);
    }
    if (!header.is_object()) {
      throw std::runtime_error("safetensors: header is a JSON " + std::string(header.type_name()) +
                               "; expected a JSON object" + suffix);
    }

    safetensors result;
    result.source_name_ = source_name;
    std::vector<located_tensor> located;
    for (const auto& [key, entry] : header.items()) {
      if (key == metadata_key) {
        result.metadata = parse_metadata(entry, suffix);
      } else {
        located.push_back(parse_entry(key, entry, data_section, suffix));
      }
    }

    // By position in the data section, then by name (a total order: errors name the same pair
    // whatever the header's order).
    std::sort(located.begin(), located.end(),
              [](const located_tensor& left, const located_tensor& right) {
                return std::tie(left.begin, left.end, left.name) <
                       std::tie(right.begin, right.end, right.name);
              });
    for (std::size_t i = 1; i < located.size(); ++i) {
      const located_tensor& previous = located[i - 1];
      const located_tensor& current = located[i];
      if (current.begin < previous.end) {
        throw std::runtime_error(
            "safetensors: tensors '" + previous.name + "' (data_offsets [" +
            std::to_string(previous.begin) + ", " + std::to_string(previous.end) + "]) and '" +
            current.name + "' (data_offsets [" + std::to_string(current.begin) + ", " +
            std::to_string(current.end) + "]) overlap; expected disjoint byte ranges" + suffix);
      }
    }
    // Copied only now that the ranges are disjoint: together at most the file's size.
    for (located_tensor& entry : located) {
      const auto tensor_bytes = data_section.subspan(entry.begin, entry.end - entry.begin);
      entry.tensor.data.assign(tensor_bytes.begin(), tensor_bytes.end());
      result.add(std::move(entry.name), std::move(entry.tensor));
    }
    return result;
  }

  void save(const std::filesystem::path& path) const { write_file_atomically(path, serialize()); }

  static safetensors load(const std::filesystem::path& path) {
    return parse(read_file_bytes(path), path.string());
  }

 private:
  static constexpr std::string_view metadata_key = "__metadata__";
  static constexpr std::size_t length_field_size = 8;
  static constexpr std::size_t header_alignment = 8;

  static std::string tensor_context(std::string_view name) {
    return "tensor '" + std::string(name) + "'";
  }

  std::string describe_names() const {
    constexpr std::size_t listed_names = 10;
    if (names_.empty()) return "no tensors";
    std::string text = std::to_string(names_.size()) + " tensor(s): ";
    for (std::size_t i = 0; i < names_.size() && i < listed_names; ++i) {
      if (i > 0) text += ", ";
      text += "'" + names_[i] + "'";
    }
    if (names_.size() > listed_names) text += ", ...";
    return text;
  }

  static std::map<std::string, std::string> parse_metadata(const nlohmann::ordered_json& entry,
                                                           const std::string& suffix) {
    if (!entry.is_object()) {
      throw std::runtime_error("safetensors: '" + std::string(metadata_key) + "' is a JSON " +
                               entry.type_name() + "; expected an object of strings" + suffix);
    }
    std::map<std::string, std::string> result;
    for (const auto& [key, value] : entry.items()) {
      if (!value.is_string()) {
        throw std::runtime_error("safetensors: metadata value for key '" + key + "' is a JSON " +
                                 value.type_name() + " (" + value.dump() + "); expected a string" +
                                 suffix);
      }
      result.emplace(key, value.get<std::string>());
    }
    return result;
  }

  // A tensor read from a header entry, with its byte range in the data section (its data not yet
  // copied).
  struct located_tensor {
    std::string name;
    std::uint64_t begin;
    std::uint64_t end;
    stored_tensor tensor;
  };

  static const nlohmann::ordered_json& required_field(const nlohmann::ordered_json& entry,
                                                      const std::string& field,
                                                      const std::string& context,
                                                      const std::string& suffix) {
    const auto found = entry.find(field);
    if (found == entry.end()) {
      throw std::runtime_error("safetensors: " + context + " has no \"" + field +
                               "\" field; expected \"dtype\", \"shape\" and \"data_offsets\"" +
                               suffix);
    }
    return *found;
  }

  static located_tensor parse_entry(const std::string& name, const nlohmann::ordered_json& entry,
                                    std::span<const std::byte> data_section,
                                    const std::string& suffix) {
    const std::string context = tensor_context(name);
    if (!entry.is_object()) {
      throw std::runtime_error("safetensors: " + context + " is a JSON " + entry.type_name() +
                               "; expected an object with \"dtype\", \"shape\" and "
                               "\"data_offsets\"" +
                               suffix);
    }

    const nlohmann::ordered_json& dtype_field = required_field(entry, "dtype", context, suffix);
    if (!dtype_field.is_string()) {
      throw std::runtime_error("safetensors: " + context + ": \"dtype\" is a JSON " +
                               dtype_field.type_name() + " (" + dtype_field.dump() +
                               "); expected a string such as \"F32\"" + suffix);
    }
    const dtype type = dtype_from_name(dtype_field.get<std::string>(), context + suffix);

    const nlohmann::ordered_json& shape_field = required_field(entry, "shape", context, suffix);
    if (!shape_field.is_array()) {
      throw std::runtime_error("safetensors: " + context + ": \"shape\" is a JSON " +
                               shape_field.type_name() + " (" + shape_field.dump() +
                               "); expected an array of non-negative integers" + suffix);
    }
    std::vector<std::int64_t> shape;
    for (std::size_t i = 0; i < shape_field.size(); ++i) {
      shape.push_back(detail::nonnegative_integer(
          shape_field[i], context + ": shape[" + std::to_string(i) + "]", suffix));
    }

    const nlohmann::ordered_json& offsets_field =
        required_field(entry, "data_offsets", context, suffix);
    if (!offsets_field.is_array() || offsets_field.size() != 2) {
      throw std::runtime_error("safetensors: " + context + ": \"data_offsets\" is " +
                               offsets_field.dump() + "; expected an array [begin, end]" + suffix);
    }
    const auto begin = static_cast<std::uint64_t>(
        detail::nonnegative_integer(offsets_field[0], context + ": data_offsets[0]", suffix));
    const auto end = static_cast<std::uint64_t>(
        detail::nonnegative_integer(offsets_field[1], context + ": data_offsets[1]", suffix));
    const std::string offsets_text =
        "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "]";
    if (begin > end) {
      throw std::runtime_error("safetensors: " + context + ": " + offsets_text +
                               " have begin > end; expected begin <= end" + suffix);
    }
    if (end > data_section.size()) {
      throw std::runtime_error("safetensors: " + context + ": " + offsets_text +
                               " reach past the data section: expected at least " +
                               std::to_string(end) + " data bytes but only " +
                               std::to_string(data_section.size()) +
                               " are present (truncated file?)" + suffix);
    }
    const std::uint64_t expected_bytes = detail::byte_count(type, shape, context + suffix);
    if (end - begin != expected_bytes) {
      throw std::runtime_error("safetensors: " + context + ": " + offsets_text + " span " +
                               std::to_string(end - begin) + " bytes but shape " +
                               detail::shape_to_string(shape) + " of " +
                               std::string(dtype_name(type)) + " needs " +
                               std::to_string(expected_bytes) + " bytes" + suffix);
    }

    return located_tensor{name, begin, end, stored_tensor{type, std::move(shape), {}}};
  }

  std::vector<std::string> names_;
  std::map<std::string, stored_tensor, std::less<>> tensors_;
  std::string source_name_;
};

}  // namespace ovo::io
