// Supernet properties: slices are prefix views, exported subnets match, bad input is refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using ovo::test::random_vector;
using ovo::test::tiny_space;

template <class Backend, class Layout>
std::vector<typename Backend::scalar> logits_of(ovo::vit_supernet<Backend, Layout>& net,
                                                const ovo::image_batch<typename Backend::scalar>& x,
                                                const ovo::arch& a) {
  const auto* l = net.forward(x, a, ovo::forward_mode::eval());
  return {l, l + x.batch * net.shape().classes};
}

}  // namespace

TEST_CASE_TEMPLATE("a subnet's output ignores every weight outside its slice", layout,
                   ovo::qkv_blocked, ovo::qkv_interleaved) {
  using backend = ovo::cpu<double>;
  const int batch = 3;
  ovo::vit_supernet<backend, layout> net(tiny_space::shape(), batch);
  ovo::rng_engine rng(7);
  net.initialize(rng);
  auto images = random_vector(batch * 2 * 8 * 8, 8);
  const ovo::image_batch<double> x{images.data(), batch, 2, 8, 8};
  for (int trial = 0; trial < 5; ++trial) {
    const auto a = tiny_space::sample(rng);
    CAPTURE(ovo::to_string(a));
    const auto before = logits_of(net, x, a);
    const auto active = ovo::test::covered_indices(net.subnet_tensors(a));
    auto& p = net.parameters();
    std::vector<double> saved(p.values(), p.values() + p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!active.count(i)) p.values()[i] += 10.0 + static_cast<double>(i % 7);
    CHECK(logits_of(net, x, a) == before);
    // ... and changes when one weight inside it changes.
    p.values()[*active.rbegin()] += 1.0;
    CHECK(logits_of(net, x, a) != before);
    std::copy(saved.begin(), saved.end(), p.values());
  }
}

TEST_CASE_TEMPLATE("an exported subnet gives the supernet's logits for its arch", layout,
                   ovo::qkv_blocked, ovo::qkv_interleaved) {
  using backend = ovo::cpu<float>;
  using space = ovo::autoformer_tiny_space<ovo::image<16, 4, 3>, ovo::classes<10>>;
  const int batch = 2;
  ovo::vit_supernet<backend, layout> net(space::shape(), batch);
  ovo::rng_engine rng(11);
  net.initialize(rng);
  std::vector<float> images(batch * 3 * 16 * 16);
  for (auto& v : images) v = static_cast<float>(ovo::standard_normal(rng));
  const ovo::image_batch<float> x{images.data(), batch, 3, 16, 16};
  const ovo::test::temp_dir dir("export");
  for (int trial = 0; trial < 3; ++trial) {
    const auto a = space::sample(rng);
    CAPTURE(ovo::to_string(a));
    const auto path = dir / "subnet.safetensors";
    ovo::io::export_subnet(path, net, a);
    auto standalone = ovo::io::load_subnet<ovo::vit_supernet<backend>>(path, batch);
    CHECK(standalone.architecture == a);
    CHECK(standalone.network.parameters().size() ==
          static_cast<std::size_t>(ovo::count_params(a, space::shape())));
    const auto expected = logits_of(net, x, a);
    const auto* got = standalone.forward(x);
    for (std::size_t i = 0; i < expected.size(); ++i)
      CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-5));
    // Names and shapes are timm's.
    const auto file = ovo::io::safetensors::load(path);
    const int att = 64 * a.heads[0];
    CHECK(file.at("blocks.0.attn.qkv.weight").shape == std::vector<std::int64_t>{3 * att, a.embed});
    CHECK(file.at("patch_embed.proj.weight").shape == std::vector<std::int64_t>{a.embed, 3, 4, 4});
    CHECK(file.at("pos_embed").shape == std::vector<std::int64_t>{1, 17, a.embed});
    CHECK(file.at("head.weight").shape == std::vector<std::int64_t>{10, a.embed});
    CHECK(ovo::arch_from_json(file.metadata.at("arch")) == a);
  }
}

TEST_CASE("the interleaved layout reads AutoFormer's rows and contiguous bias") {
  using backend = ovo::cpu<double>;
  ovo::vit_supernet<backend, ovo::qkv_interleaved> net(tiny_space::shape(), 1);
  ovo::arch a{12, 1, {1}, {2.0}};
  const auto tensors = net.subnet_tensors(a);
  const auto& qkv = *std::find_if(tensors.begin(), tensors.end(), [](const auto& t) {
    return t.name == "blocks.0.attn.qkv.weight";
  });
  const auto& bias = *std::find_if(tensors.begin(), tensors.end(), [](const auto& t) {
    return t.name == "blocks.0.attn.qkv.bias";
  });
  // Super weight [3 * 8, 16]: k is rows 1, 4, 7, 10 (stride 3 rows of 16), first 12 columns.
  CHECK(qkv.blocks[1].first == 16);
  CHECK(qkv.blocks[1].stride == 48);
  CHECK(qkv.blocks[1].rows == 4);
  CHECK(qkv.blocks[1].cols == 12);
  // Bias b[:12] = [q 0..3 | k 4..7 | v 8..11].
  CHECK(bias.blocks[1].first == 4);
  CHECK(bias.blocks[2].first == 8);
}

static_assert(ovo::supernet<ovo::vit_supernet<ovo::cpu<float>, ovo::qkv_blocked>>);
static_assert(ovo::supernet<ovo::vit_supernet<ovo::cpu<double>, ovo::qkv_interleaved>>);

TEST_CASE("bad input is refused with a message that names it") {
  using backend = ovo::cpu<float>;
  ovo::vit_supernet<backend> net(tiny_space::shape(), 2);
  std::vector<float> images(2 * 2 * 8 * 8);
  const auto a = tiny_space::smallest();
  CHECK_THROWS_WITH(
      net.forward({images.data(), 2, 3, 8, 8}, a, ovo::forward_mode::eval()),
      doctest::Contains("images of 3x8x8 (channels x height x width), expected 2x8x8"));
  CHECK_THROWS_WITH(net.forward({images.data(), 2, 2, 16, 16}, a, ovo::forward_mode::eval()),
                    doctest::Contains("expected 2x8x8"));
  CHECK_THROWS_WITH(net.forward({images.data(), 3, 2, 8, 8}, a, ovo::forward_mode::eval()),
                    doctest::Contains("batch of 3 images, expected 1..2"));
  ovo::arch wide = a;
  wide.embed = 32;
  CHECK_THROWS_WITH(net.forward({images.data(), 2, 2, 8, 8}, wide, ovo::forward_mode::eval()),
                    doctest::Contains("embed 32 outside 1..16"));
  ovo::arch many_heads = tiny_space::largest();
  many_heads.heads[1] = 3;
  CHECK_THROWS_WITH(net.forward({images.data(), 2, 2, 8, 8}, many_heads, ovo::forward_mode::eval()),
                    doctest::Contains("layer 1 heads 3 outside 1..2"));
  CHECK_THROWS_AS(net.backward(nullptr), std::logic_error);
}
