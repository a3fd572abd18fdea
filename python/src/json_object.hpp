// Python objects and JSON values converted into each other: archs, search results and sampler
// states cross the module's boundary as dicts and lists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace ovo::python {

namespace py = pybind11;

inline py::object to_python(const nlohmann::json& j) {
  using value = nlohmann::json::value_t;
  switch (j.type()) {
    case value::null:
      return py::none();
    case value::boolean:
      return py::bool_(j.get<bool>());
    case value::number_integer:
      return py::int_(j.get<std::int64_t>());
    case value::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case value::number_float:
      return py::float_(j.get<double>());
    case value::string:
      return py::str(j.get_ref<const std::string&>());
    case value::array: {
      py::list out;
      for (const auto& v : j) out.append(to_python(v));
      return out;
    }
    case value::object: {
      py::dict out;
      for (const auto& [key, v] : j.items()) out[py::str(key)] = to_python(v);
      return out;
    }
    default:
      throw std::logic_error("to_python: a JSON value of a kind ovo never writes");
  }
}

// `what` names the value in the message of a TypeError or ValueError.
inline nlohmann::json from_python(py::handle o, std::string_view what) {
  if (o.is_none()) return nullptr;
  if (PyBool_Check(o.ptr())) return o.cast<bool>();
  if (PyIndex_Check(o.ptr())) {  // int and NumPy's integers
    const auto index = py::reinterpret_steal<py::int_>(PyNumber_Index(o.ptr()));
    if (!index) throw py::error_already_set();
    try {
      return index.cast<std::int64_t>();
    } catch (const py::cast_error&) {
      throw py::value_error(fmt::format("{}: the integer {} does not fit in 64 bits", what,
                                        py::str(o).cast<std::string>()));
    }
  }
  if (PyFloat_Check(o.ptr()) || py::hasattr(o, "__float__")) return o.cast<double>();
  if (PyUnicode_Check(o.ptr())) return o.cast<std::string>();
  if (PyDict_Check(o.ptr())) {
    auto out = nlohmann::json::object();
    for (auto [key, v] : o.cast<py::dict>()) {
      if (!PyUnicode_Check(key.ptr()))
        throw py::type_error(fmt::format("{}: a key of type {}, expected str", what,
                                         py::type::of(key).attr("__name__").cast<std::string>()));
      const auto name = key.cast<std::string>();
      out[name] = from_python(v, fmt::format("{}['{}']", what, name));
    }
    return out;
  }
  if (PyList_Check(o.ptr()) || PyTuple_Check(o.ptr()) || py::hasattr(o, "tolist")) {
    const py::object items =
        py::hasattr(o, "tolist") ? o.attr("tolist")() : py::reinterpret_borrow<py::object>(o);
    if (!PyList_Check(items.ptr()) && !PyTuple_Check(items.ptr())) return from_python(items, what);
    auto out = nlohmann::json::array();
    std::size_t i = 0;
    for (auto v : items) out.push_back(from_python(v, fmt::format("{}[{}]", what, i++)));
    return out;
  }
  throw py::type_error(fmt::format("{}: a value of type {}, expected a dict, list, number or str",
                                   what, py::type::of(o).attr("__name__").cast<std::string>()));
}

}  // namespace ovo::python
