// The `fronts` subcommand: several methods' searches (search.json files) compared in one plot of
// their Pareto fronts.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ovo/ovo.hpp>
#include <ovo/report/front_comparison.hpp>

#include "device.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

// A search.json file of `Space`'s archs; an unreadable file, a damaged field or an arch outside
// the space is refused naming the file.
template <class Space>
basic_search_result<space_arch<Space>> read_search_result(const std::filesystem::path& file) {
  try {
    const auto bytes = io::read_file_bytes(file);
    auto result = parse_json_as<basic_search_result<space_arch<Space>>>(
        std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), file.string());
    for (const auto& candidate : result.history) Space::validate(candidate.architecture);
    return result;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", file.string(), e.what()));
  }
}

// `--method NAME=FILE[,FILE...]` for each method: writes out/fronts.svg and out/fronts.json and
// prints each method's front as a Markdown table row.
template <class Space>
void compare_fronts(const run_config& c, const std::vector<std::string>& specs) {
  std::vector<method_searches<space_arch<Space>>> methods;
  for (const auto& spec : specs) {
    const auto [name, files] = split_named(spec, "--method", "NAME=FILE[,FILE...]");
    method_searches<space_arch<Space>> m{name, {}};
    for (std::size_t from = 0; from <= files.size();) {
      const auto comma = std::min(files.find(',', from), files.size());
      m.searches.push_back(read_search_result<Space>(files.substr(from, comma - from)));
      from = comma + 1;
    }
    methods.push_back(std::move(m));
  }
  std::filesystem::create_directories(c.out_dir);
  io::write_file_atomically(c.out_dir / "fronts.svg",
                            fronts_svg<space_arch<Space>>("Held-out Pareto fronts", methods));
  io::write_file_atomically(c.out_dir / "fronts.json",
                            fronts_json<space_arch<Space>>(methods).dump(2) + "\n");
  fmt::print("| method | front (params: held-out top-1 %) |\n|---|---|\n");
  for (const auto& m : methods) {
    std::vector<std::string> points;
    for (const auto& p : combined_front(m))
      points.push_back(
          fmt::format("{:.0f}k: {:.1f}", static_cast<double>(p.params) / 1e3, 100 * p.fitness));
    fmt::print("| {} | {} |\n", m.name, fmt::join(points, ", "));
  }
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
