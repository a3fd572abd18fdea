// The layers of docs/design.md: every header includes only its own folder and the layers below.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace {

// The folders each layer may include, besides its own (docs/design.md).
const std::map<std::string, std::set<std::string>>& allowed_includes() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"util", {}},
      {"backend", {"util"}},
      {"space", {"util"}},
      {"nn", {"backend", "space", "util"}},
      {"loss", {"backend", "util"}},
      {"optim", {"nn", "backend", "util"}},
      {"io", {"nn", "optim", "space", "backend", "util"}},
      {"data", {"io", "util"}},
      {"sample", {"space", "util"}},
      {"search", {"nn", "sample", "loss", "space", "io", "backend", "util"}},
      {"train", {"io", "loss", "nn", "optim", "sample", "search", "space", "backend", "util"}},
      {"report", {"io", "search", "train", "util"}},
      {"parallel", {"backend", "util"}},
  };
  return allowed;
}

}  // namespace

TEST_CASE("layers: every header includes only its own folder and the layers below it") {
  const std::filesystem::path root = OVO_INCLUDE_DIR;
  const std::regex include(R"(#\s*include\s*[<"]ovo/([a-z_]+)/)");
  std::size_t headers = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".hpp") continue;
    const auto relative = std::filesystem::relative(entry.path(), root);
    if (relative.begin() == relative.end() || std::next(relative.begin()) == relative.end())
      continue;  // the umbrella headers at the top
    const std::string folder = relative.begin()->string();
    CAPTURE(relative.string());
    REQUIRE(allowed_includes().contains(folder));
    const auto& allowed = allowed_includes().at(folder);
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, include)) continue;
      const std::string target = m[1];
      CAPTURE(line);
      CHECK((target == folder || allowed.contains(target)));
    }
    ++headers;
  }
  CHECK(headers > 50);
}
