// Search spaces: presets, sampling, validation with named genes, JSON, counting.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <ovo/ovo.hpp>

TEST_CASE("AutoFormer presets hold the dims of methods.md") {
  using t = ovo::autoformer_tiny;
  CHECK(t::super_embed == 256);
  CHECK(t::super_depth == 14);
  CHECK(t::super_heads == 4);
  CHECK(t::super_mlp_hidden == 1024);
  CHECK(t::embed_choices == std::array{192, 216, 240});
  CHECK(t::depth_choices == std::array{12, 13, 14});
  CHECK(t::head_choices == std::array{3, 4});
  CHECK(t::mlp_ratio_choices == std::array{3.5, 4.0});
  using s = ovo::autoformer_small;
  CHECK(s::super_embed == 448);
  CHECK(s::head_choices == std::array{5, 6, 7});
  CHECK(s::mlp_ratio_choices == std::array{3.0, 3.5, 4.0});
  using b = ovo::autoformer_base;
  CHECK(b::super_embed == 640);
  CHECK(b::super_depth == 16);
  CHECK(b::super_heads == 10);
  CHECK(b::embed_choices == std::array{528, 576, 624});
  CHECK(b::depth_choices == std::array{14, 15, 16});
  CHECK(ovo::autoformer_tiny_cifar100::shape().tokens() == 65);
  CHECK(ovo::autoformer_tiny::shape().tokens() == 197);
  CHECK(ovo::fashion_mnist_space::shape().tokens() == 17);
}

TEST_CASE("space size: sum over depths of |embed| * (|heads| * |mlp|)^depth") {
  using t = ovo::autoformer_tiny;
  std::uint64_t expected = 0;
  for (int d : {12, 13, 14}) {
    std::uint64_t n = 3;
    for (int i = 0; i < d; ++i) n *= 4;
    expected += n;
  }
  CHECK(t::size() == expected);
  using tiny =
      ovo::vit_space<ovo::embed<8>, ovo::depth<1, 2>, ovo::heads<1>, ovo::mlp_ratio<1.0, 2.0>,
                     ovo::image<8, 4, 1>, ovo::classes<2>, ovo::head_dim<4>>;
  CHECK(tiny::size() == 2 + 4);
}

TEST_CASE("uniform sampling: seeded, inside the space, every choice drawn") {
  using t = ovo::autoformer_tiny;
  ovo::rng_engine a(42), b(42);
  std::map<int, int> embeds, depths;
  std::set<double> ratios;
  for (int i = 0; i < 600; ++i) {
    const auto x = t::sample(a);
    CHECK(x == t::sample(b));
    CHECK(t::contains(x));
    ++embeds[x.embed];
    ++depths[x.depth];
    ratios.insert(x.mlp_ratio.begin(), x.mlp_ratio.end());
  }
  CHECK(embeds.size() == 3);
  CHECK(depths.size() == 3);
  for (auto [e, n] : embeds) CHECK(n > 150);  // about 200 each
  CHECK(ratios == std::set<double>{3.5, 4.0});
  CHECK(t::contains(t::smallest()));
  CHECK(t::contains(t::largest()));
  CHECK(t::smallest().embed == 192);
  CHECK(t::largest().depth == 14);
}

TEST_CASE("validation names the wrong gene") {
  using t = ovo::autoformer_tiny;
  auto a = t::largest();
  a.embed = 256;  // the supernet's width, but not a choice
  CHECK_THROWS_WITH(t::validate(a),
                    doctest::Contains("embed = 256, expected one of [192, 216, 240]"));
  a = t::largest();
  a.heads[5] = 5;
  CHECK_THROWS_WITH(t::validate(a), doctest::Contains("heads[5] = 5, expected one of [3, 4]"));
  a = t::largest();
  a.mlp_ratio[13] = 3.0;
  CHECK_THROWS_WITH(t::validate(a),
                    doctest::Contains("mlp_ratio[13] = 3, expected one of [3.5, 4]"));
  a = t::largest();
  a.depth = 13;
  CHECK_THROWS_WITH(t::validate(a), doctest::Contains("heads has 14 entries, expected depth = 13"));
  a.depth = 11;
  CHECK_THROWS_WITH(t::validate(a), doctest::Contains("depth = 11, expected one of [12, 13, 14]"));
  CHECK_NOTHROW(t::validate(t::smallest()));
}

TEST_CASE("arch JSON round trip and errors") {
  ovo::rng_engine rng(3);
  const auto a = ovo::autoformer_small::sample(rng);
  CHECK(ovo::arch_from_json(ovo::arch_to_json(a)) == a);
  CHECK_THROWS_WITH(ovo::arch_from_json("{\"embed\": 320, \"depth\": 12}"),
                    doctest::Contains("missing field 'heads'"));
  CHECK_THROWS_WITH(ovo::arch_from_json("{\"embed\": 320, \"depth\": 2, \"heads\": [5], "
                                        "\"mlp_ratio\": [3.0, 3.0]}"),
                    doctest::Contains("depth 2 but 1 heads and 2 mlp_ratio entries"));
  CHECK_THROWS_WITH(ovo::arch_from_json("{\"embed\": 3"), doctest::Contains("not valid JSON"));
  CHECK_THROWS_WITH(ovo::arch_from_json("{\"embed\": \"wide\", \"depth\": 1, \"heads\": [1], "
                                        "\"mlp_ratio\": [1.0]}"),
                    doctest::Contains("arch JSON"));
  CHECK(ovo::to_string(ovo::arch{8, 1, {2}, {3.5}}) == "embed=8 depth=1 heads=[2] mlp_ratio=[3.5]");
}

TEST_CASE("random engine state round trip") {
  ovo::rng_engine a(5);
  a();
  ovo::rng_engine b;
  ovo::restore_engine_state(b, ovo::engine_state(a));
  CHECK(a() == b());
  CHECK_THROWS_AS(ovo::restore_engine_state(b, "not a state"), std::invalid_argument);
}
