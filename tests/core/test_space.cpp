// Search spaces: presets, sampling, validation with named genes, JSON, counting.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include <ovo/ovo.hpp>

#include "../support.hpp"

static_assert(ovo::search_space<ovo::autoformer_tiny>);
static_assert(ovo::search_space<ovo::fashion_mnist_space>);

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

// Inputs found by fuzz_arch_json and fuzz_subnet (tests/fuzz), and the limits that refuse them.
TEST_CASE("arch and shape JSON: integers without conversion, widths and nesting bounded") {
  const auto arch_with = [](const std::string& embed, const std::string& ratio) {
    return "{\"embed\": " + embed + ", \"depth\": 1, \"heads\": [2], \"mlp_ratio\": [" + ratio +
           "]}";
  };
  CHECK(ovo::arch_from_json(arch_with("8", "3.5")) == ovo::arch{8, 1, {2}, {3.5}});
  // Found by fuzz_arch_json: a float embed too large for an int was converted to one (undefined
  // behaviour, UBSan: float-cast-overflow) before the missing fields were noticed.
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(R"({"depthmbed":2404.0,"he":0,)"
                                           R"("embed":22147483648404.0,"hea:[ra":null})"),
                       doctest::Contains("arch JSON: missing field 'depth'"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with("22147483648404.0", "3.5")),
                       doctest::Contains("arch JSON: embed is 22147483648404.0, expected an "
                                         "integer in -2147483648..2147483647"),
                       std::invalid_argument);
  // An integer out of range was truncated (4294967304 read as 8), a float rounded down.
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with("4294967304", "3.5")),
                       doctest::Contains("embed is 4294967304, expected an integer"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with("8.7", "3.5")),
                       doctest::Contains("embed is 8.7, expected an integer"),
                       std::invalid_argument);
  // mlp_hidden() would convert embed * ratio to an int that cannot hold it.
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with("8", "1e300")),
                       doctest::Contains("mlp_ratio[0] = 1e+300 makes an MLP width of embed 8"),
                       std::invalid_argument);
  // Nesting deep enough to overflow the stack in nlohmann's recursive copy and dump.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with(deep, "3.5")),
                       doctest::Contains("arch JSON: not valid JSON: arrays and objects nested "
                                         "more than 64 levels deep"),
                       std::invalid_argument);
  const std::string nested = std::string(63, '[') + std::string(63, ']');  // 64 levels with {}
  CHECK_THROWS_WITH_AS(ovo::arch_from_json(arch_with(nested, "3.5")),
                       doctest::Contains("arch JSON: embed is [[[[["), std::invalid_argument);

  const auto shape_text = nlohmann::json(ovo::test::tiny_space::shape()).dump();
  CHECK(nlohmann::json(ovo::vit_shape_from_json(shape_text)) ==
        nlohmann::json(ovo::test::tiny_space::shape()));
  const auto shape_with = [&](const char* field, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(shape_text);
    j[field] = value;
    return j.dump();
  };
  // fuzz_subnet: a subnet's shape claiming embed 4000000 built a network of that width.
  CHECK_THROWS_WITH_AS(ovo::vit_shape_from_json(shape_with("embed", 4000000)),
                       doctest::Contains("vit_shape JSON: embed 4000000 outside 1..32768"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::vit_shape_from_json(shape_with("head_dim", 20000)),
                       doctest::Contains("heads[0] * head_dim 40000 outside 1..32768"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::vit_shape_from_json(shape_with("patch_size", 300)),
                       doctest::Contains("inconsistent shape"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::vit_shape_from_json(shape_with("image_size", 1024)),
                       doctest::Contains("tokens (image_size / patch_size)^2 + 1 65537 outside"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::vit_shape_from_json(shape_with("classes", -1)),
                       doctest::Contains("classes -1 outside 1..32768"), std::invalid_argument);
}

TEST_CASE("random engine state round trip") {
  ovo::rng_engine a(5);
  a();
  ovo::rng_engine b;
  ovo::restore_engine_state(b, ovo::engine_state(a));
  CHECK(a() == b());
  CHECK_THROWS_AS(ovo::restore_engine_state(b, "not a state"), std::invalid_argument);
  // A valid state followed by anything else is not a state either.
  CHECK_THROWS_AS(ovo::restore_engine_state(b, ovo::engine_state(a) + " 7"), std::invalid_argument);
  CHECK_NOTHROW(ovo::restore_engine_state(b, ovo::engine_state(a) + "\n"));
}

TEST_CASE("a run-time ViT space does what the compile-time space of the same choices does") {
  using fixed = ovo::fashion_mnist_space;
  using runtime = ovo::runtime_vit_space<>;
  static_assert(ovo::search_space<runtime> && ovo::gene_coded_space<runtime>);
  ovo::vit_space_choices choices;
  choices.embed = {64, 96, 128};
  choices.depth = {4, 5, 6};
  choices.heads = {2, 3, 4};
  choices.mlp_ratio = {2.0, 3.0, 4.0};
  choices.image_size = 28;
  choices.patch_size = 7;
  choices.channels = 1;
  choices.classes = 10;
  choices.head_dim = 32;
  const runtime::scope in(choices);
  CHECK(runtime::shape() == fixed::shape());
  CHECK(runtime::size() == fixed::size());
  CHECK(runtime::smallest() == fixed::smallest());
  CHECK(runtime::largest() == fixed::largest());
  ovo::rng_engine a(7), b(7);
  for (int i = 0; i < 50; ++i) {
    const auto x = runtime::sample(a);
    REQUIRE(x == fixed::sample(b));
    CHECK(runtime::params(x) == fixed::params(x));
    CHECK(runtime::macs(x) == fixed::macs(x));
    CHECK(runtime::encode(x) == fixed::encode(x));
    const auto y = runtime::mutate(x, {}, a);
    CHECK(y == fixed::mutate(x, {}, b));
    if (runtime::crossable(x, y)) CHECK(runtime::crossover(x, y, a) == fixed::crossover(x, y, b));
  }
  CHECK(runtime::genes().size() == fixed::genes().size());
  auto outside = fixed::largest();
  outside.embed = 100;
  CHECK(runtime::invalid_gene(outside) == fixed::invalid_gene(outside));
}

TEST_CASE("run-time ViT spaces: scopes nest and restore, and bad choices name the field") {
  using runtime = ovo::runtime_vit_space<>;
  ovo::vit_space_choices small{
      .embed = {8, 16}, .depth = {1, 2}, .heads = {1, 2}, .mlp_ratio = {1.0, 2.0}};
  small.image_size = 8;
  small.patch_size = 4;
  small.classes = 3;
  small.head_dim = 4;
  auto wide = small;
  wide.embed = {8, 16, 32};
  wide.super_depth = 3;
  CHECK_THROWS_AS(runtime::shape(), std::logic_error);
  {
    const runtime::scope outer(small);
    CHECK(runtime::largest().embed == 16);
    {
      const runtime::scope inner(wide);
      CHECK(runtime::largest().embed == 32);
      CHECK(runtime::shape().depth == 3);
      CHECK(runtime::shape().mlp_hidden.front() == 64);
    }
    CHECK(runtime::largest().embed == 16);
    CHECK(runtime::shape().depth == 2);
    auto bad = small;
    bad.heads = {2, 1};
    CHECK_THROWS_WITH_AS(runtime::scope{bad}, doctest::Contains("heads = [2, 1]"),
                         std::invalid_argument);
    CHECK(runtime::largest().embed == 16);  // a scope that throws leaves the choices as they were
    bad = small;
    bad.patch_size = 3;
    CHECK_THROWS_WITH_AS(runtime::scope{bad}, doctest::Contains("not a multiple of patch_size 3"),
                         std::invalid_argument);
    bad = small;
    bad.super_embed = 12;
    CHECK_THROWS_WITH_AS(runtime::scope{bad}, doctest::Contains("at least the largest choices"),
                         std::invalid_argument);
  }
  CHECK_THROWS_AS(runtime::shape(), std::logic_error);
}
