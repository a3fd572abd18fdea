// The spaces the module offers: the named ones of the `ovo` command, and ViT spaces of run-time
// choices. Built in two translation units (vit_spaces.cpp, emo_spaces.cpp) that compile side by
// side.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ovo/space/runtime_vit_space.hpp>

#include "space_handle.hpp"

namespace ovo::python {

struct named_space {
  std::string name, description;
  std::function<std::unique_ptr<space_handle>()> make;
};

std::vector<named_space> vit_spaces();
std::vector<named_space> emo_spaces();
std::unique_ptr<space_handle> make_runtime_vit_space(const vit_space_choices& choices);

// The named spaces of the entries (apps/common/spaces.hpp), with their names and descriptions.
template <class... Entries>
std::vector<named_space> named_spaces(const Entries&... entries) {
  return {named_space{std::string(entries.name), std::string(entries.description), [] {
                        return std::unique_ptr<space_handle>(
                            std::make_unique<space_model<typename Entries::space>>());
                      }}...};
}

}  // namespace ovo::python
