// Tests for the safetensors reader/writer and the atomic file helpers.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../support.hpp"
#include "ovo/io/atomic_file.hpp"
#include "ovo/io/safetensors.hpp"

namespace {

using ovo::io::dtype;
using ovo::io::safetensors;
using ovo::io::stored_tensor;

constexpr const char* kSourceName = "bad_model.safetensors";

std::vector<std::string> directory_entries(const std::filesystem::path& directory) {
  std::vector<std::string> entries;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    entries.push_back(entry.path().filename().string());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> bytes;
  for (const char character : text) bytes.push_back(static_cast<std::byte>(character));
  return bytes;
}

std::vector<std::byte> bytes_of(std::initializer_list<unsigned> values) {
  std::vector<std::byte> bytes;
  for (const unsigned value : values) bytes.push_back(static_cast<std::byte>(value));
  return bytes;
}

// A file with the given header (length written as declared) and `data_size` bytes of data.
std::vector<std::byte> file_with_header(std::string_view header, std::size_t data_size,
                                        std::uint64_t declared_header_length) {
  std::vector<std::byte> bytes;
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<std::byte>((declared_header_length >> (8 * i)) & 0xffu));
  }
  const std::vector<std::byte> header_bytes = bytes_of(header);
  bytes.insert(bytes.end(), header_bytes.begin(), header_bytes.end());
  for (std::size_t i = 0; i < data_size; ++i) bytes.push_back(static_cast<std::byte>(i));
  return bytes;
}

std::vector<std::byte> file_with_header(std::string_view header, std::size_t data_size) {
  return file_with_header(header, data_size, header.size());
}

template <class T>
bool same_bits(const std::vector<T>& left, const std::vector<T>& right) {
  return left.size() == right.size() &&
         (left.empty() || std::memcmp(left.data(), right.data(), left.size() * sizeof(T)) == 0);
}

std::uint64_t header_length_field(std::span<const std::byte> file) {
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= std::to_integer<std::uint64_t>(file[i]) << (8 * i);
  return length;
}

// Parsing `file` must fail with a runtime_error that starts with "safetensors: ", names the
// source, and contains `expected_fragment`.
void check_rejected(const std::vector<std::byte>& file, const std::string& expected_fragment) {
  CAPTURE(expected_fragment);
  CHECK_THROWS_WITH_AS(safetensors::parse(file, kSourceName),
                       doctest::Contains(expected_fragment.c_str()), std::runtime_error);
  try {
    safetensors::parse(file, kSourceName);
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    CAPTURE(message);
    CHECK(message.starts_with("safetensors: "));
    CHECK(message.find(kSourceName) != std::string::npos);
  }
}

// A collection holding every dtype, edge-case values, an empty tensor and a scalar.
safetensors make_mixed_collection() {
  safetensors collection;
  const std::vector<float> f32_values = {1.5f,
                                         -0.0f,
                                         std::numeric_limits<float>::infinity(),
                                         std::numeric_limits<float>::denorm_min(),
                                         std::numeric_limits<float>::max(),
                                         std::numeric_limits<float>::quiet_NaN()};
  collection.add<float>("encoder.weight", {2, 3}, f32_values);
  const std::vector<double> f64_values = {3.141592653589793, -1e300, 5e-324};
  collection.add<double>("encoder.bias", {3}, f64_values);
  const std::vector<std::int64_t> i64_values = {std::numeric_limits<std::int64_t>::min()};
  collection.add<std::int64_t>("step", {}, i64_values);
  collection.add<std::int32_t>("empty", {0, 4}, std::span<const std::int32_t>());
  const std::vector<std::int32_t> i32_values = {-1, 2, std::numeric_limits<std::int32_t>::max()};
  collection.add<std::int32_t>("indices", {3, 1}, i32_values);
  const std::vector<std::int16_t> i16_values = {-32768, 32767};
  collection.add<std::int16_t>("short", {1, 2}, i16_values);
  const std::vector<std::int8_t> i8_values = {-128, 0, 127};
  collection.add<std::int8_t>("tiny", {3}, i8_values);
  const std::vector<std::uint8_t> u8_values = {0, 1, 254, 255};
  collection.add<std::uint8_t>("mask", {2, 2, 1}, u8_values);
  collection.add("half", stored_tensor{dtype::f16, {2}, bytes_of({0x00, 0x3c, 0x00, 0xc0})});
  collection.add("brain", stored_tensor{dtype::bf16, {1, 1}, bytes_of({0x80, 0x3f})});
  collection.add("flags", stored_tensor{dtype::boolean, {3}, bytes_of({1, 0, 1})});
  collection.metadata["format"] = "pt";
  collection.metadata["note"] = "unicode \xc3\xa9\xe2\x9c\x93 and \"quotes\"";
  return collection;
}

}  // namespace

TEST_CASE("dtype names and sizes follow the safetensors spec") {
  static_assert(ovo::io::dtype_of<float>() == dtype::f32);
  static_assert(ovo::io::dtype_of<double>() == dtype::f64);
  static_assert(ovo::io::dtype_of<std::int64_t>() == dtype::i64);
  static_assert(ovo::io::dtype_of<std::int32_t>() == dtype::i32);
  static_assert(ovo::io::dtype_of<std::uint8_t>() == dtype::u8);

  CHECK(ovo::io::dtype_name(dtype::f64) == "F64");
  CHECK(ovo::io::dtype_name(dtype::f32) == "F32");
  CHECK(ovo::io::dtype_name(dtype::f16) == "F16");
  CHECK(ovo::io::dtype_name(dtype::bf16) == "BF16");
  CHECK(ovo::io::dtype_name(dtype::i64) == "I64");
  CHECK(ovo::io::dtype_name(dtype::i32) == "I32");
  CHECK(ovo::io::dtype_name(dtype::i16) == "I16");
  CHECK(ovo::io::dtype_name(dtype::i8) == "I8");
  CHECK(ovo::io::dtype_name(dtype::u8) == "U8");
  CHECK(ovo::io::dtype_name(dtype::boolean) == "BOOL");

  CHECK(ovo::io::dtype_size(dtype::f64) == 8);
  CHECK(ovo::io::dtype_size(dtype::f32) == 4);
  CHECK(ovo::io::dtype_size(dtype::f16) == 2);
  CHECK(ovo::io::dtype_size(dtype::bf16) == 2);
  CHECK(ovo::io::dtype_size(dtype::i64) == 8);
  CHECK(ovo::io::dtype_size(dtype::i32) == 4);
  CHECK(ovo::io::dtype_size(dtype::i16) == 2);
  CHECK(ovo::io::dtype_size(dtype::i8) == 1);
  CHECK(ovo::io::dtype_size(dtype::u8) == 1);
  CHECK(ovo::io::dtype_size(dtype::boolean) == 1);

  for (const dtype type : ovo::io::all_dtypes) {
    CHECK(ovo::io::dtype_from_name(ovo::io::dtype_name(type), "test") == type);
  }
  CHECK_THROWS_WITH_AS(ovo::io::dtype_from_name("f32", "tensor 'w' (file x)"),
                       doctest::Contains("unknown dtype 'f32' in tensor 'w' (file x)"),
                       std::runtime_error);
}

TEST_CASE("a tiny file has the hand-computed layout") {
  safetensors collection;
  const std::vector<float> values = {1.0f, -2.0f};
  collection.add<float>("a", {2}, values);

  // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes; padded to 56 (0x38).
  std::vector<std::byte> expected = bytes_of({0x38, 0, 0, 0, 0, 0, 0, 0});
  const std::vector<std::byte> header =
      bytes_of(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"
               "  ");
  expected.insert(expected.end(), header.begin(), header.end());
  const std::vector<std::byte> data = bytes_of({0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0});
  expected.insert(expected.end(), data.begin(), data.end());

  const std::vector<std::byte> serialized = collection.serialize();
  CHECK(serialized.size() == 72);
  CHECK(serialized == expected);
}

TEST_CASE("offsets are contiguous in insertion order and metadata comes first") {
  safetensors collection;
  const std::vector<std::int32_t> weights = {7};
  const std::vector<std::uint8_t> bias = {1, 2};
  collection.add<std::int32_t>("w", {1}, weights);
  collection.add<std::uint8_t>("b", {2, 1}, bias);
  collection.metadata["k"] = "v";

  const std::string header_text =
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"U8","shape":[2,1],"data_offsets":[4,6]}})";
  // The JSON is 133 bytes; padded to 136 (0x88).
  std::vector<std::byte> expected = bytes_of({0x88, 0, 0, 0, 0, 0, 0, 0});
  const std::vector<std::byte> header = bytes_of(header_text + "   ");
  expected.insert(expected.end(), header.begin(), header.end());
  const std::vector<std::byte> data = bytes_of({7, 0, 0, 0, 1, 2});
  expected.insert(expected.end(), data.begin(), data.end());

  const std::vector<std::byte> serialized = collection.serialize();
  CHECK(serialized == expected);
  CHECK(collection.names() == std::vector<std::string>{"w", "b"});
}

TEST_CASE("tensors of every dtype survive a round trip bit for bit") {
  const safetensors original = make_mixed_collection();
  const std::vector<std::byte> serialized = original.serialize();

  const std::uint64_t header_length = header_length_field(serialized);
  CHECK(header_length % 8 == 0);
  CHECK(static_cast<char>(serialized[8]) == '{');

  const safetensors parsed = safetensors::parse(serialized, "memory");
  REQUIRE(parsed.names() == original.names());
  for (const std::string& name : original.names()) {
    CAPTURE(name);
    const stored_tensor& expected = original.at(name);
    const stored_tensor& actual = parsed.at(name);
    CHECK(actual.type == expected.type);
    CHECK(actual.shape == expected.shape);
    CHECK(actual.data == expected.data);
  }
  CHECK(parsed.metadata == original.metadata);

  CHECK(same_bits(parsed.at("encoder.weight").values<float>(),
                  original.at("encoder.weight").values<float>()));
  CHECK(std::isnan(parsed.at("encoder.weight").values<float>()[5]));
  CHECK(std::signbit(parsed.at("encoder.weight").values<float>()[1]));
  CHECK(parsed.at("encoder.bias").values<double>() ==
        std::vector<double>{3.141592653589793, -1e300, 5e-324});
  CHECK(parsed.at("step").numel() == 1);
  CHECK(parsed.at("step").values<std::int64_t>() ==
        std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min()});
  CHECK(parsed.at("empty").numel() == 0);
  CHECK(parsed.at("empty").values<std::int32_t>().empty());
  CHECK(parsed.at("indices").values<std::int32_t>() ==
        std::vector<std::int32_t>{-1, 2, std::numeric_limits<std::int32_t>::max()});
  CHECK(parsed.at("short").values<std::int16_t>() == std::vector<std::int16_t>{-32768, 32767});
  CHECK(parsed.at("tiny").values<std::int8_t>() == std::vector<std::int8_t>{-128, 0, 127});
  CHECK(parsed.at("mask").values<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 254, 255});
  CHECK(parsed.at("half").data == bytes_of({0x00, 0x3c, 0x00, 0xc0}));

  // The i32 value -1 is stored little-endian, as are the f64 values.
  const stored_tensor& indices = parsed.at("indices");
  CHECK(std::vector<std::byte>(indices.data.begin(), indices.data.begin() + 8) ==
        bytes_of({0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00}));

  CHECK(parsed.serialize() == serialized);
}

TEST_CASE("serialization is deterministic") {
  safetensors first = make_mixed_collection();
  safetensors second = make_mixed_collection();
  second.metadata.clear();
  second.metadata["note"] = first.metadata.at("note");
  second.metadata["format"] = first.metadata.at("format");
  CHECK(first.serialize() == second.serialize());
  CHECK(first.serialize() == first.serialize());
}

TEST_CASE("a header from another writer is read in data order") {
  // Keys out of data order, fields in another order, whitespace, and padding spaces.
  const std::string header = R"({ "b": {"data_offsets": [4, 8], "shape": [], "dtype": "I32"},)"
                             R"( "a": {"shape": [4], "dtype": "U8", "data_offsets": [0, 4]},)"
                             R"( "__metadata__": {"format": "np"} })"
                             "     ";
  std::vector<std::byte> file = file_with_header(header, 0);
  const std::vector<std::byte> data = bytes_of({10, 20, 30, 40, 0x2a, 0, 0, 0});
  file.insert(file.end(), data.begin(), data.end());

  const safetensors parsed = safetensors::parse(file, "foreign.safetensors");
  CHECK(parsed.names() == std::vector<std::string>{"a", "b"});
  CHECK(parsed.at("a").values<std::uint8_t>() == std::vector<std::uint8_t>{10, 20, 30, 40});
  CHECK(parsed.at("b").shape.empty());
  CHECK(parsed.at("b").values<std::int32_t>() == std::vector<std::int32_t>{42});
  CHECK(parsed.metadata == std::map<std::string, std::string>{{"format", "np"}});
}

TEST_CASE("empty tensors sharing an offset with a neighbour are not overlaps") {
  const std::string header = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})";
  const safetensors parsed = safetensors::parse(file_with_header(header, 4), kSourceName);
  CHECK(parsed.names() == std::vector<std::string>{"e", "x"});
}

TEST_CASE("a saved file reads back byte for byte") {
  const ovo::test::temp_dir directory("safetensors");
  const std::filesystem::path path = directory.path() / "model.safetensors";
  const safetensors original = make_mixed_collection();
  original.save(path);

  CHECK(ovo::io::read_file_bytes(path) == original.serialize());
  CHECK(directory_entries(directory.path()) == std::vector<std::string>{"model.safetensors"});

  const safetensors loaded = safetensors::load(path);
  CHECK(loaded.names() == original.names());
  CHECK(loaded.metadata == original.metadata);
  CHECK(loaded.serialize() == original.serialize());
  const std::string missing_message =
      "safetensors: no tensor named 'decoder.weight' (file " + path.string() + ")";
  CHECK_THROWS_WITH_AS(loaded.at("decoder.weight"), doctest::Contains(missing_message.c_str()),
                       std::runtime_error);
}

TEST_CASE("loading a missing file names it") {
  const ovo::test::temp_dir directory("safetensors");
  const std::filesystem::path path = directory.path() / "absent.safetensors";
  CHECK_THROWS_WITH_AS(safetensors::load(path),
                       doctest::Contains(("'" + path.string() + "': opening failed").c_str()),
                       std::runtime_error);
}

TEST_CASE("adding tensors validates names, shapes and sizes") {
  safetensors collection;
  const std::vector<float> three_values = {1, 2, 3};
  collection.add<float>("w", {3}, three_values);

  CHECK_THROWS_WITH_AS(collection.add<float>("w", {3}, three_values),
                       doctest::Contains("tensor 'w' already exists"), std::runtime_error);
  CHECK_THROWS_WITH_AS(collection.add<float>("v", {2, 2}, three_values),
                       doctest::Contains("shape [2, 2] has 4 elements but 3 values were given"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(collection.add<float>("v", {-1, -3}, three_values),
                       doctest::Contains("is negative"), std::runtime_error);
  CHECK_THROWS_WITH_AS(collection.add<float>("__metadata__", {3}, three_values),
                       doctest::Contains("reserved"), std::runtime_error);
  CHECK_THROWS_WITH_AS(collection.add("h", stored_tensor{dtype::f16, {3}, bytes_of({1, 2, 3, 4})}),
                       doctest::Contains("shape [3] of F16 needs 6 bytes but 4 were given"),
                       std::runtime_error);
  CHECK(collection.names() == std::vector<std::string>{"w"});

  CHECK_THROWS_WITH_AS(collection.at("w").values<double>(),
                       doctest::Contains("holds F32 values but F64 values were requested"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(collection.at("missing"),
                       doctest::Contains("no tensor named 'missing' (not loaded from a file)"),
                       std::runtime_error);
  CHECK(collection.contains("w"));
  CHECK_FALSE(collection.contains("missing"));
}

TEST_CASE("stored_tensor::numel guards against overflow") {
  const stored_tensor huge{dtype::u8, {std::int64_t{1} << 40, std::int64_t{1} << 40}, {}};
  CHECK_THROWS_WITH_AS(static_cast<void>(huge.numel()), doctest::Contains("overflow"),
                       std::runtime_error);
  const stored_tensor scalar{dtype::f32, {}, bytes_of({0, 0, 0, 0})};
  CHECK(scalar.numel() == 1);
}

TEST_CASE("malformed files are rejected with a message naming the source and the problem") {
  const std::string valid_entry = R"("dtype":"F32","shape":[2],"data_offsets":[0,8])";

  SUBCASE("fewer than 8 bytes") {
    check_rejected(bytes_of({1, 0, 0, 0, 0}), "file is 5 bytes long; expected at least 8");
  }
  SUBCASE("header length larger than the file") {
    check_rejected(file_with_header("{}", 0, 100),
                   "header length is 100 bytes but only 2 bytes follow");
  }
  SUBCASE("header not valid JSON") {
    check_rejected(file_with_header(R"({"a":)", 0), "header is not valid JSON");
  }
  SUBCASE("empty header") {
    check_rejected(file_with_header("", 0), "header is not valid JSON");
  }
  SUBCASE("header not an object") {
    check_rejected(file_with_header("[1, 2]", 0), "header is a JSON array; expected a JSON object");
  }
  SUBCASE("entry not an object") {
    check_rejected(file_with_header(R"({"a": 3})", 0), "tensor 'a' is a JSON number");
  }
  SUBCASE("entry missing dtype") {
    check_rejected(file_with_header(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8),
                   "tensor 'a' has no \"dtype\" field");
  }
  SUBCASE("entry missing shape") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8),
                   "tensor 'a' has no \"shape\" field");
  }
  SUBCASE("entry missing data_offsets") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[2]}})", 8),
                   "tensor 'a' has no \"data_offsets\" field");
  }
  SUBCASE("dtype not a string") {
    check_rejected(file_with_header(R"({"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", 4),
                   "\"dtype\" is a JSON number (4); expected a string");
  }
  SUBCASE("shape not an array") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8),
                   "\"shape\" is a JSON string (\"2\"); expected an array");
  }
  SUBCASE("shape with a fractional dimension") {
    check_rejected(
        file_with_header(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
        "shape[0] is a JSON number (2.5); expected a non-negative integer");
  }
  SUBCASE("data_offsets not a pair") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}})", 8),
                   "\"data_offsets\" is [8]; expected an array [begin, end]");
  }
  SUBCASE("data_offsets not integers") {
    check_rejected(
        file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}})", 8),
        "data_offsets[0] is a JSON string");
  }
  SUBCASE("unknown dtype") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8),
                   "unknown dtype 'F7' in tensor 'a'");
  }
  SUBCASE("negative dimension") {
    check_rejected(
        file_with_header(R"({"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", 8),
        "tensor 'a': shape[1] is negative (-1)");
  }
  SUBCASE("negative offset") {
    check_rejected(
        file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8),
        "data_offsets[0] is negative (-8)");
  }
  SUBCASE("data_offsets with begin after end") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                   "data_offsets [8, 0] have begin > end");
  }
  SUBCASE("data beyond the end of a hand-made file") {
    check_rejected(file_with_header("{\"a\":{" + valid_entry + "}}", 5),
                   "expected at least 8 data bytes but only 5 are present");
  }
  SUBCASE("a written file cut short") {
    safetensors collection;
    const std::vector<float> values = {1, 2, 3, 4};
    collection.add<float>("w", {4}, values);
    std::vector<std::byte> file = collection.serialize();
    file.resize(file.size() - 3);
    check_rejected(file, "expected at least 16 data bytes but only 13 are present");
  }
  SUBCASE("byte range does not match shape and dtype") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                   "data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12 bytes");
  }
  SUBCASE("overlapping tensors") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                    12),
                   "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap");
  }
  SUBCASE("element count overflows") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                                    R"("data_offsets":[0,8]}})",
                                    8),
                   "overflow");
  }
  SUBCASE("byte count overflows") {
    check_rejected(file_with_header(R"({"a":{"dtype":"F64","shape":[4611686018427387904],)"
                                    R"("data_offsets":[0,8]}})",
                                    8),
                   "overflow");
  }
  SUBCASE("dimension beyond int64") {
    check_rejected(file_with_header(R"({"a":{"dtype":"U8","shape":[18446744073709551615],)"
                                    R"("data_offsets":[0,8]}})",
                                    8),
                   "shape[0] is 18446744073709551615; expected at most");
  }
  SUBCASE("metadata value not a string") {
    check_rejected(file_with_header(R"({"__metadata__":{"epoch":3}})", 0),
                   "metadata value for key 'epoch' is a JSON number (3); expected a string");
  }
  SUBCASE("metadata not an object") {
    check_rejected(file_with_header(R"({"__metadata__":["x"]})", 0),
                   "'__metadata__' is a JSON array; expected an object of strings");
  }
}

namespace {

// Peak resident memory of this process so far, in bytes.
std::uint64_t peak_resident_bytes() {
  ::rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace

// Found by reading the parser while fuzzing it (tests/fuzz/fuzz_subnet, fuzz_checkpoint).
TEST_CASE("deep nesting and overlapping tensors exhaust neither the stack nor memory") {
  // Nesting deep enough to overflow the stack in nlohmann's recursive copy and dump (ASan:
  // stack-overflow); now refused while parsing.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  check_rejected(
      file_with_header(R"({"a":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,0]}})", 0),
      "header is not valid JSON: arrays and objects nested more than 64 levels deep");

  // 2048 tensors that all claim the same 1 MiB: each was copied before the overlap check, 2 GiB
  // for a 1 MiB file; now nothing is copied until the ranges are known to be disjoint.
  constexpr std::size_t data_size = std::size_t{1} << 20;
  std::string header = "{";
  // Appended piece by piece: GCC 12 sees a false overlap in `"literal" + std::string` here
  // (-Wrestrict).
  for (int i = 0; i < 2048; ++i) {
    if (i > 0) header += ",";
    header += "\"t";
    header += std::to_string(i);
    header += R"(":{"dtype":"U8","shape":[1048576],"data_offsets":[0,1048576]})";
  }
  header += "}";
  const auto file = file_with_header(header, data_size);
  const std::uint64_t peak_before = peak_resident_bytes();
  check_rejected(file, "overlap; expected disjoint byte ranges");
  CHECK(peak_resident_bytes() - peak_before < (std::uint64_t{256} << 20));
}

TEST_CASE("write_file_atomically replaces the target and leaves no temporary file") {
  const ovo::test::temp_dir directory("safetensors");
  const std::filesystem::path path = directory.path() / "state.json";

  ovo::io::write_file_atomically(path, std::string_view("old contents that are longer"));
  CHECK(ovo::io::read_file_bytes(path) == bytes_of("old contents that are longer"));

  ovo::io::write_file_atomically(path, std::string_view("new"));
  CHECK(ovo::io::read_file_bytes(path) == bytes_of("new"));
  CHECK(directory_entries(directory.path()) == std::vector<std::string>{"state.json"});

  ovo::io::write_file_atomically(path, std::span<const std::byte>());
  CHECK(ovo::io::read_file_bytes(path).empty());

  std::vector<std::byte> large(3 * (1 << 20) + 7);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<std::byte>(i * 31 + 5);
  ovo::io::write_file_atomically(path, large);
  CHECK(ovo::io::read_file_bytes(path) == large);
  CHECK(directory_entries(directory.path()) == std::vector<std::string>{"state.json"});
}

TEST_CASE("write_file_atomically into a missing directory throws and leaves nothing") {
  const ovo::test::temp_dir directory("safetensors");
  const std::filesystem::path path = directory.path() / "missing" / "state.json";
  CHECK_THROWS_WITH_AS(
      ovo::io::write_file_atomically(path, std::string_view("data")),
      doctest::Contains(("'" + path.string() + "': creating temporary file").c_str()),
      std::runtime_error);
  CHECK_THROWS_WITH_AS(ovo::io::write_file_atomically(path, std::string_view("data")),
                       doctest::Contains("No such file or directory"), std::runtime_error);
  CHECK_FALSE(std::filesystem::exists(directory.path() / "missing"));
  CHECK(directory_entries(directory.path()).empty());
}

TEST_CASE("a failed rename removes the temporary file") {
  const ovo::test::temp_dir directory("safetensors");
  // Renaming a file over a non-empty directory fails after the temporary has been written.
  const std::filesystem::path path = directory.path() / "occupied";
  std::filesystem::create_directory(path);
  ovo::io::write_file_atomically(path / "inside", std::string_view("x"));

  CHECK_THROWS_WITH_AS(ovo::io::write_file_atomically(path, std::string_view("data")),
                       doctest::Contains("renaming"), std::runtime_error);
  CHECK(directory_entries(directory.path()) == std::vector<std::string>{"occupied"});
  CHECK(std::filesystem::is_directory(path));
}

TEST_CASE("read_file_bytes names the file it cannot read") {
  const ovo::test::temp_dir directory("safetensors");
  const std::filesystem::path missing = directory.path() / "nothing.bin";
  CHECK_THROWS_WITH_AS(ovo::io::read_file_bytes(missing),
                       doctest::Contains(("read_file_bytes '" + missing.string() +
                                          "': opening failed: No such file or directory")
                                             .c_str()),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(
      ovo::io::read_file_bytes(directory.path()),
      doctest::Contains(("'" + directory.path().string() + "': reading failed").c_str()),
      std::runtime_error);
}
