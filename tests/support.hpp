// Helpers shared by the tests: seeded random data, tiny ViT and EMO search spaces, the indices a
// subnet reads.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <ovo/ovo.hpp>

namespace ovo::test {

// Small enough for finite differences over every parameter: 5 tokens of widths up to 16.
using tiny_space = vit_space<embed<8, 12, 16>, depth<1, 2, 3>, heads<1, 2>, mlp_ratio<1.5, 2.0>,
                             image<8, 4, 2>, classes<5>, head_dim<4>>;

// A 40 px, 2-channel geometry small enough for finite differences: maps of 20/10/5/3/2 px after
// the stem and each stage, so that stage 3's blocks cut their 3x3 map into 2x2 windows with
// padding (a grid of 2x2 windows over a 4x4 padded map).
struct tiny_emo_geometry {
  static constexpr emo_geometry value = [] {
    emo_geometry g = emo_reference_geometry({4, 4, 4, 4}, 40, 2, 3);
    g.stem_width = 4;
    g.window_sizes = {2, 2, 2, 2};
    return g;
  }();
};
using tiny_emo_space = emo_space<
    emo_stage<emo_depths<1, 2>, emo_widths<4, 8>, emo_expansions<1.0, 2.0>>,
    emo_stage<emo_depths<1, 2>, emo_widths<8>, emo_expansions<1.0, 2.0>>,
    emo_stage<emo_depths<2, 3>, emo_widths<8, 12>, emo_expansions<1.5, 2.0>, emo_attention::either>,
    emo_stage<emo_depths<2>, emo_widths<8, 16>, emo_expansions<1.0, 2.0>, emo_attention::either>,
    tiny_emo_geometry>;

inline std::vector<double> random_vector(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  rng_engine rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = scale * standard_normal(rng);
  return v;
}

// The flat parameter indices that a subnet's tensors cover.
inline std::set<std::size_t> covered_indices(const std::vector<subnet_tensor>& tensors) {
  std::set<std::size_t> out;
  for (const auto& t : tensors)
    for (const auto& b : t.blocks)
      for (int r = 0; r < b.rows; ++r)
        for (int c = 0; c < b.cols; ++c)
          out.insert(t.parameter.offset + static_cast<std::size_t>(b.first + r * b.stride + c));
  return out;
}

// A fresh directory of its own for one test (ctest runs tests in parallel), removed at scope exit.
class temp_dir {
 public:
  explicit temp_dir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("ovo_test_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::filesystem::path operator/(const std::string& file) const { return path_ / file; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ovo::test
