// The final feature maps the networks view (last_features): a ViT's patch tokens against the
// patch embedding computed by hand, EMO's and ResNet's last stage through their own pooling and
// head, and the strided view's copy to the host.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::test::random_vector;

// The logits a linear head [classes, ld] (its first `features.size()` columns) and bias give
// pooled features.
std::vector<double> head_logits(const double* weight, const double* bias, int classes, int ld,
                                const std::vector<double>& features) {
  std::vector<double> out(static_cast<std::size_t>(classes));
  for (int k = 0; k < classes; ++k) {
    out[k] = bias[k];
    for (std::size_t c = 0; c < features.size(); ++c) out[k] += weight[k * ld + c] * features[c];
  }
  return out;
}

}  // namespace

TEST_CASE("feature_map: strides of NCHW, channels-last and token rows; the host copy is NCHW") {
  // Two images of 3 channels on a 2x2 grid, channels-last with a row stride of 4 (one padding
  // value per pixel): element (b, c, y, x) at ((b * 2 + y) * 2 + x) * 4 + c.
  std::vector<double> rows(2 * 4 * 4);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<double>(i);
  const auto f = ovo::channels_last_features<double>(
      ovo::make_matrix_view<const double>(rows.data(), 8, 3, 4), 2, 2, 2);
  CHECK(f.channels == 3);
  CHECK(f.batch_stride == 16);
  CHECK(f.row_stride == 8);
  CHECK(f.column_stride == 4);
  CHECK(f.channel_stride == 1);
  CHECK(f.extent() == 31);  // offset(1, 2, 1, 1) + 1 = 16 + 2 + 8 + 4 + 1
  const auto host = ovo::features_to_host<backend>(f);
  REQUIRE(host.values.size() == 24);
  CHECK(host.at(1, 2, 0, 1) == 16 + 2 + 4);
  CHECK(host.values[1] == 4);  // NCHW: (0, 0, 0, 1) follows (0, 0, 0, 0)
  CHECK(host.values[4] == 1);  // (0, 1, 0, 0)
}

TEST_CASE("vit_supernet: last_features are the last block's patch tokens on their grid") {
  // With every attention projection and fc2 at zero, each block adds nothing to the stream, so
  // the last block outputs the embedded tokens: patch token (y, x) of image b is the patch
  // projection of that patch plus pos_embed row 1 + 2y + x (row 0 is the class token's).
  using space = ovo::test::tiny_space;
  ovo::vit_supernet<backend> net(space::shape(), 2);
  ovo::rng_engine rng(5);
  net.initialize(rng);
  CHECK_THROWS_AS(net.last_features(), std::logic_error);
  auto& params = net.parameters();
  for (const auto& e : params.entries())
    if (e.name.find("attn.proj") != std::string::npos ||
        e.name.find("mlp.fc2") != std::string::npos)
      for (std::size_t i = 0; i < e.size; ++i) params.values()[e.offset + i] = 0;
  // patch_embed.proj.bias starts at zero: give it values, so that the view's channels are checked
  // against the bias too.
  const auto& bias = params.find("patch_embed.proj.bias");
  for (std::size_t i = 0; i < bias.size; ++i) params.values()[bias.offset + i] = 0.1 * i;

  const ovo::arch a{12, 2, {1, 2}, {1.5, 2.0}};  // embed 12 of the supernet's 16
  const auto pixels = random_vector(2 * 2 * 8 * 8, 6);
  net.forward({pixels.data(), 2, 2, 8, 8}, a, ovo::forward_mode::eval());
  const auto f = net.last_features();
  CHECK(f.batch == 2);
  CHECK(f.channels == 12);
  CHECK(f.height == 2);
  CHECK(f.width == 2);
  CHECK(f.batch_stride == 5 * 12);
  const double* w = params.values() + params.find("patch_embed.proj.weight").offset;
  const double* pos = params.values() + params.find("pos_embed").offset;
  const double* b0 = params.values() + bias.offset;
  const int e_super = 16, patch = 4, patch_dim = 2 * patch * patch;
  for (int b = 0; b < 2; ++b)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x)
        for (int c = 0; c < 12; ++c) {
          double expected = b0[c] + pos[(1 + y * 2 + x) * e_super + c];
          for (int ch = 0; ch < 2; ++ch)
            for (int ky = 0; ky < patch; ++ky)
              for (int kx = 0; kx < patch; ++kx)
                expected += w[c * patch_dim + (ch * patch + ky) * patch + kx] *
                            pixels[((b * 2 + ch) * 8 + y * patch + ky) * 8 + x * patch + kx];
          CAPTURE(b);
          CAPTURE(c);
          CHECK(f.data[f.offset(b, c, y, x)] == doctest::Approx(expected).epsilon(1e-12));
        }
}

TEST_CASE("resnet: the mean of last_features over the grid is what fc reads") {
  ovo::resnet<backend> net({.depth = 8, .classes = 5, .channels = 2, .height = 8, .width = 8}, 2);
  ovo::rng_engine rng(7);
  net.initialize(rng);
  CHECK_THROWS_AS(net.last_features(), std::logic_error);
  auto& params = net.parameters();
  const auto& fc_bias = params.find("fc.bias");
  for (std::size_t i = 0; i < fc_bias.size; ++i)
    params.values()[fc_bias.offset + i] = 0.5 - 0.2 * i;
  const auto pixels = random_vector(2 * 2 * 8 * 8, 8);
  const double* logits =
      net.forward({pixels.data(), 2, 2, 8, 8}, net.arch(), ovo::forward_mode::eval());
  const auto host = ovo::features_to_host<backend>(net.last_features());
  CHECK(host.channels == 64);
  CHECK(host.height == 2);  // 8 px, then stride 2 twice
  CHECK(host.width == 2);
  for (int b = 0; b < 2; ++b) {
    std::vector<double> pooled(64, 0.0);
    for (int c = 0; c < 64; ++c)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) pooled[c] += host.at(b, c, y, x) / 4;
    const auto expected = head_logits(params.values() + params.find("fc.weight").offset,
                                      params.values() + fc_bias.offset, 5, 64, pooled);
    for (int k = 0; k < 5; ++k)
      CHECK(logits[b * 5 + k] == doctest::Approx(expected[k]).epsilon(1e-12));
  }
}

TEST_CASE("emo_supernet: last_features are the last stage's output, before the head's norm") {
  // The head normalises each pixel's channels (stage 4's layer norm, eps 1e-6), pools and applies
  // the linear head: recomputed here from the view, for a subnet narrower than the supernet.
  using space = ovo::test::tiny_emo_space;
  ovo::emo_supernet<backend> net(space::geometry, space::largest(), 2);
  ovo::rng_engine rng(9);
  net.initialize(rng);
  CHECK_THROWS_AS(net.last_features(), std::logic_error);
  const auto noise = random_vector(net.parameters().size(), 10, 0.3);
  for (std::size_t i = 0; i < noise.size(); ++i) net.parameters().values()[i] += noise[i];
  const auto& params = net.parameters();
  const auto pixels = random_vector(2 * 2 * 40 * 40, 11);
  for (const auto& a : {space::smallest(), space::largest()}) {
    const double* logits = net.forward({pixels.data(), 2, 2, 40, 40}, a, ovo::forward_mode::eval());
    const auto host = ovo::features_to_host<backend>(net.last_features());
    const int c_out = a.stages[3].width;
    CAPTURE(c_out);
    CHECK(host.channels == c_out);
    CHECK(host.height == 2);
    CHECK(host.width == 2);
    const double* gamma = params.values() + params.find("norm.norm.weight").offset;
    const double* beta = params.values() + params.find("norm.norm.bias").offset;
    for (int b = 0; b < 2; ++b) {
      std::vector<double> pooled(static_cast<std::size_t>(c_out), 0.0);
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) {
          double mean = 0, var = 0;
          for (int c = 0; c < c_out; ++c) mean += host.at(b, c, y, x) / c_out;
          for (int c = 0; c < c_out; ++c)
            var += (host.at(b, c, y, x) - mean) * (host.at(b, c, y, x) - mean) / c_out;
          for (int c = 0; c < c_out; ++c)
            pooled[c] +=
                ((host.at(b, c, y, x) - mean) / std::sqrt(var + 1e-6) * gamma[c] + beta[c]) / 4;
        }
      const auto expected =
          head_logits(params.values() + params.find("head.weight").offset,
                      params.values() + params.find("head.bias").offset, 3, 16, pooled);
      for (int k = 0; k < 3; ++k)
        CHECK(logits[b * 3 + k] == doctest::Approx(expected[k]).epsilon(1e-10));
    }
  }
}
