// The EMO space: its costs against the reference's fvcore tables, sampling, mutation, crossover,
// validation and JSON.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include <fmt/format.h>

#include <ovo/ovo.hpp>

static_assert(ovo::search_space<ovo::emo_1m>);
static_assert(ovo::search_space<ovo::emo_2m>);
static_assert(ovo::search_space<ovo::emo_5m>);
static_assert(ovo::search_space<ovo::emo_6m>);
static_assert(ovo::search_space<ovo::emo_imagenet_space>);
static_assert(ovo::search_space<ovo::emo_cifar100_space>);
static_assert(ovo::search_space<ovo::emo_fashion_mnist_space>);

namespace {

// A count as fvcore's flop_count_table prints it: three decimals of K, M or G, trailing zeros
// dropped.
std::string fvcore_format(std::int64_t x) {
  auto scaled = [](double v, const char* unit) {
    std::string s = fmt::format("{:.3f}", v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (x > 100'000'000) return scaled(static_cast<double>(x) / 1e9, "G");
  if (x > 100'000) return scaled(static_cast<double>(x) / 1e6, "M");
  if (x > 100) return scaled(static_cast<double>(x) / 1e3, "K");
  return std::to_string(x);
}

// One row of the reference's table: parameters and flops as printed.
struct table_row {
  std::string params, flops;
};
table_row row(const ovo::emo_cost& c) {
  return {fvcore_format(c.params), fvcore_format(c.macs)};
}
bool operator==(const table_row& a, const table_row& b) {
  return a.params == b.params && a.flops == b.flops;
}
doctest::String toString(const table_row& r) {
  return fmt::format("{} / {}", r.params, r.flops).c_str();
}

// The rows model, stage0..stage4, norm and head of resources/EMO_*/log_train.txt.
struct reference_table {
  table_row model;
  std::array<table_row, 5> stages;
  table_row norm, head;
};

template <class Space>
void check_against(const reference_table& expected) {
  ovo::rng_engine rng(1);
  const auto costs = ovo::emo_costs(Space::sample(rng), Space::geometry);
  CHECK(row(costs.total()) == expected.model);
  CHECK(row(costs.stem) == expected.stages[0]);
  for (std::size_t s = 0; s < 4; ++s) CHECK(row(costs.stages[s]) == expected.stages[s + 1]);
  CHECK(row(costs.norm) == expected.norm);
  CHECK(row(costs.classifier) == expected.head);
}

}  // namespace

TEST_CASE("EMO-1M/2M/5M/6M: parameters and multiply-adds as the reference's logs print them") {
  check_against<ovo::emo_1m>({{"1.361M", "0.261G"},
                              {{{"2.76K", "19.269M"},
                                {"11.504K", "57.702M"},
                                {"27.84K", "33.8M"},
                                {"0.453M", "0.108G"},
                                {"0.697M", "42.355M"}}},
                              {"0.336K", "41.16K"},
                              {"0.169M", "0.168M"}});
  check_against<ovo::emo_2m>({{"2.377M", "0.439G"},
                              {{{"2.76K", "19.269M"},
                                {"16.432K", "72.956M"},
                                {"40.896K", "43.942M"},
                                {"1.063M", "0.235G"},
                                {"1.053M", "68.369M"}}},
                              {"0.4K", "49K"},
                              {"0.201M", "0.2M"}});
  check_against<ovo::emo_5m>({{"5.109M", "0.903G"},
                              {{{"2.76K", "19.269M"},
                                {"29.04K", "0.112G"},
                                {"0.106M", "0.115G"},
                                {"2.346M", "0.508G"},
                                {"2.335M", "0.147G"}}},
                              {"0.576K", "70.56K"},
                              {"0.289M", "0.288M"}});
  check_against<ovo::emo_6m>({{"6.168M", "0.961G"},
                              {{{"2.76K", "19.269M"},
                                {"29.04K", "0.112G"},
                                {"0.106M", "0.115G"},
                                {"2.346M", "0.508G"},
                                {"3.363M", "0.205G"}}},
                              {"0.64K", "78.4K"},
                              {"0.321M", "0.32M"}});
}

TEST_CASE("EMO costs: blocks written out against the reference's per-module rows") {
  // EMO-1M's stage1 (the reference's stage1.0 and stage1.1, 6.576K + 4.928K parameters): block 0
  // from the stem's 24 channels at 112 px, hidden 24 * 2 * 2 = 96, stride 2 to 56 px; block 1 at
  // 32 channels, hidden 64. Batch norms cost 2 per element.
  const std::int64_t block0_params = 48 + (24 * 96 + 96) + (96 * 9 + 192) + 96 * 32;
  const std::int64_t block1_params = 64 + (32 * 64 + 64) + (64 * 9 + 128) + 64 * 32;
  CHECK(block0_params == 6'576);
  CHECK(block1_params == 4'928);
  const std::int64_t block0_macs = 2 * 24 * 112 * 112 + 24 * 96 * 112 * 112 + 96 * 9 * 56 * 56 +
                                   2 * 96 * 56 * 56 + 96 * 32 * 56 * 56;
  const std::int64_t block1_macs = 2 * 32 * 56 * 56 + 32 * 64 * 56 * 56 + 64 * 9 * 56 * 56 +
                                   2 * 64 * 56 * 56 + 64 * 32 * 56 * 56;
  CHECK(fvcore_format(block0_macs) == "42.449M");
  CHECK(fvcore_format(block1_macs) == "15.254M");
  const auto costs = ovo::emo_costs(ovo::emo_1m::largest(), ovo::emo_1m::geometry);
  CHECK(costs.stages[0] == ovo::emo_cost{block0_params + block1_params, block0_macs + block1_macs});

  // EMO-1M's stage3.1, an attending block (58.24K, 12.92M): layer norm 5 per element at 14 px,
  // qk 80 -> 160, four 7x7 windows of 49 tokens (q k^T and the weighting of the input, 49^2 * 80
  // each per window), v 80 -> 240, depthwise 5x5, projection 240 -> 80.
  const std::int64_t attend_params =
      160 + (80 * 160 + 160) + (80 * 240 + 240) + (240 * 25 + 480) + 240 * 80;
  const std::int64_t attend_macs = 5 * 80 * 196 + 80 * 160 * 196 + 2 * 4 * 49 * 49 * 80 +
                                   80 * 240 * 196 + 240 * 25 * 196 + 2 * 240 * 196 + 240 * 80 * 196;
  CHECK(fvcore_format(attend_params) == "58.24K");
  CHECK(fvcore_format(attend_macs) == "12.92M");
  auto one_more = ovo::emo_1m::largest();
  auto& stage = one_more.stages[2];
  ++stage.depth;
  stage.expansion.push_back(3.0);
  stage.attention.push_back(true);
  const auto grown = ovo::emo_costs(one_more, ovo::emo_1m::geometry);
  CHECK(grown.stages[2].params - costs.stages[2].params == attend_params);
  CHECK(grown.stages[2].macs - costs.stages[2].macs == attend_macs);

  // The stem (2.76K, 19.269M): conv 3 -> 24 with bias at 112 px, batch norm, then the stem's iRMB:
  // depthwise 3x3, squeeze-excitation 24 -> 24 -> 24 with biases, projection 24 -> 24.
  CHECK(costs.stem ==
        ovo::emo_cost{(24 * 27 + 24) + 48 + (24 * 9 + 48) + (2 * 24 * 24 + 48) + 24 * 24,
                      24 * 27 * 12544 + 2 * 24 * 12544 + 24 * 9 * 12544 + 2 * 24 * 12544 +
                          2 * 24 * 24 + 24 * 24 * 12544});
}

TEST_CASE("EMO costs: window padding, whole-map windows and the geometry switches") {
  const auto a = ovo::emo_1m::largest();
  // At 160 px stage 3 runs at 10 px: padded to 14, four windows; stage 4 at 5 px padded to 7.
  auto g = ovo::emo_1m::geometry;
  g.image_size = 160;
  CHECK(ovo::emo_feature_sizes(g) == std::array{80, 40, 20, 10, 5});
  const auto padded = ovo::emo_costs(a, g);
  auto whole = g;
  whole.window_sizes = {0, 0, 0, 0};
  const auto unpadded = ovo::emo_costs(a, whole);
  CHECK(padded.total().params == unpadded.total().params);
  // Per attending block of stage 3: qk and v on 196 instead of 100 pixels, and 4 windows of 49
  // tokens instead of one of 100.
  const std::int64_t stage3_difference =
      7 * ((80 * 160 + 80 * 240) * (196 - 100) + 2 * 80 * (4 * 49 * 49 - 100 * 100));
  const std::int64_t stage4_difference =
      2 * ((168 * 336 + 168 * 588) * (49 - 25) + 2 * 168 * (49 * 49 - 25 * 25));
  CHECK(padded.stages[2].macs - unpadded.stages[2].macs == stage3_difference);
  CHECK(padded.stages[3].macs - unpadded.stages[3].macs == stage4_difference);

  // No qkv bias: 2 * 80 + 240 fewer per attending block of stage 3, and the non-attending v
  // convs lose their biases too.
  auto no_bias = ovo::emo_1m::geometry;
  no_bias.qkv_bias = false;
  const auto base = ovo::emo_costs(a, ovo::emo_1m::geometry);
  CHECK(base.stages[2].params - ovo::emo_costs(a, no_bias).stages[2].params ==
        7 * (160 + 240) + 288);
  // Grouped v and attention weighting v need hidden widths that are multiples of the head count:
  // EMO-1M's stage 4 has 8 heads and a hidden width of 588.
  auto grouped = ovo::emo_1m::geometry;
  grouped.v_group = true;
  auto weigh_v = ovo::emo_1m::geometry;
  weigh_v.attn_pre = false;
  const std::string not_multiple =
      "emo_costs: stages[3].expansion[1] = 3.5 makes a hidden width of 588, expected a multiple of "
      "the 8 heads (v grouped by heads or weighted by attention)";
  CHECK_THROWS_WITH_AS(ovo::count_params(a, grouped), not_multiple.c_str(), std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::count_macs(a, weigh_v), not_multiple.c_str(), std::invalid_argument);
  // With stage 4 not attending: the grouped v conv of an attending block of stage 3 has 80 / 4
  // inputs per output, and weighting v (240 channels) instead of the input (80) costs more.
  auto stage4_off = a;
  stage4_off.stages[3].attention.assign(3, false);
  const auto off = ovo::emo_costs(stage4_off, ovo::emo_1m::geometry);
  CHECK(off.stages[2] == base.stages[2]);
  CHECK(off.stages[2].params - ovo::emo_costs(stage4_off, grouped).stages[2].params ==
        7 * (80 * 240 - 80 / 4 * 240));
  CHECK(ovo::emo_costs(stage4_off, weigh_v).stages[2].macs - off.stages[2].macs ==
        7 * 4 * 49 * 49 * (240 - 80));
  // The elastic spaces at 32 and 28 px: a stride-1 stem and whole-map windows.
  CHECK(ovo::emo_feature_sizes(ovo::emo_cifar100_space::geometry) == std::array{32, 16, 8, 4, 2});
  CHECK(ovo::emo_feature_sizes(ovo::emo_fashion_mnist_space::geometry) ==
        std::array{14, 7, 4, 2, 1});
}

TEST_CASE("EMO costs reject an inconsistent genome, naming the field") {
  auto a = ovo::emo_1m::largest();
  a.stages[1].expansion.pop_back();
  CHECK_THROWS_WITH_AS(ovo::count_params(a, ovo::emo_1m::geometry),
                       "emo_costs: stages[1].expansion has 1 entries, expected depth = 2",
                       std::invalid_argument);
  a = ovo::emo_1m::largest();
  auto g = ovo::emo_1m::geometry;
  g.head_dims[3] = 50;
  CHECK_THROWS_WITH_AS(
      ovo::count_macs(a, g),
      "emo_costs: stages[3].width = 168 attends with head dim 50, expected a multiple of it",
      std::invalid_argument);
}

TEST_CASE("the one-arch spaces hold the reference models; the elastic spaces contain them") {
  ovo::rng_engine rng(3);
  CHECK(ovo::emo_1m::sample(rng) == ovo::emo_1m::largest());
  CHECK(ovo::emo_1m::smallest() == ovo::emo_1m::largest());
  const auto m1 = ovo::emo_1m::sample(rng);
  CHECK(m1.stages[2].depth == 8);
  CHECK(m1.stages[3].width == 168);
  CHECK(m1.stages[2].attention ==
        std::vector<bool>{false, true, true, true, true, true, true, true});
  CHECK(m1.stages[0].attention == std::vector<bool>{false, false});
  const auto contained = [](const auto& model, const ovo::emo_geometry& own) {
    CHECK(ovo::emo_imagenet_space::contains(model));
    CHECK(ovo::emo_cifar100_space::contains(model));
    CHECK(ovo::emo_fashion_mnist_space::contains(model));
    // Head dims change no cost: the elastic ImageNet geometry counts the models as they are.
    CHECK(ovo::emo_imagenet_space::params(model) == ovo::count_params(model, own));
    CHECK(ovo::emo_imagenet_space::macs(model) == ovo::count_macs(model, own));
    CHECK(ovo::emo_imagenet_space::params(model) <
          ovo::emo_imagenet_space::params(ovo::emo_imagenet_space::largest()));
  };
  contained(ovo::emo_1m::largest(), ovo::emo_1m::geometry);
  contained(ovo::emo_2m::largest(), ovo::emo_2m::geometry);
  contained(ovo::emo_5m::largest(), ovo::emo_5m::geometry);
  contained(ovo::emo_6m::largest(), ovo::emo_6m::geometry);
}

TEST_CASE("elastic EMO space: seeded sampling inside the space, every choice drawn") {
  using space = ovo::emo_imagenet_space;
  ovo::rng_engine a(42), b(42);
  std::map<int, int> stage3_depths, stage4_widths;
  int attending = 0, blocks = 0;
  for (int i = 0; i < 400; ++i) {
    const auto x = space::sample(a);
    CHECK(x == space::sample(b));
    CHECK(space::contains(x));
    ++stage3_depths[x.stages[2].depth];
    ++stage4_widths[x.stages[3].width];
    CHECK(x.stages[0].attention == std::vector<bool>(x.stages[0].attention.size(), false));
    for (std::size_t j = 1; j < x.stages[2].attention.size(); ++j) {
      attending += x.stages[2].attention[j];
      ++blocks;
    }
  }
  CHECK(stage3_depths.size() == 4);
  CHECK(stage4_widths.size() == 4);
  CHECK(attending > blocks / 3);
  CHECK(attending < 2 * blocks / 3);
  CHECK(space::contains(space::smallest()));
  CHECK(space::contains(space::largest()));
  CHECK(space::params(space::smallest()) < space::params(space::largest()));
  CHECK(space::macs(space::smallest()) < space::macs(space::largest()));
  CHECK(space::smallest().stages[2].attention == std::vector<bool>(4, false));
}

TEST_CASE("elastic EMO space: mutation stays in the space, crossover mixes equal-depth parents") {
  using space = ovo::emo_fashion_mnist_space;
  ovo::rng_engine rng(7);
  auto parent = space::sample(rng);
  for (int i = 0; i < 200; ++i) {
    const auto child = space::mutate(parent, {0.5, 0.5}, rng);
    CHECK(space::contains(child));
    parent = child;
  }
  CHECK(space::mutate(parent, {0.0, 0.0}, rng) == parent);
  const auto first = space::smallest(), second = space::largest();
  CHECK_FALSE(space::crossable(first, second));
  CHECK_THROWS_AS(space::crossover(first, second, rng), std::invalid_argument);
  const auto deep = space::largest();
  auto other = space::largest();
  for (std::size_t s = 0; s < 4; ++s) {
    other.stages[s].width = space::stages[s].widths.front();
    for (auto& ratio : other.stages[s].expansion) ratio = space::stages[s].expansions.front();
    for (std::size_t j = 1; j < other.stages[s].attention.size(); ++j)
      other.stages[s].attention[j] = false;
  }
  REQUIRE(space::crossable(deep, other));
  bool mixed = false;
  for (int i = 0; i < 20; ++i) {
    const auto child = space::crossover(deep, other, rng);
    CHECK(space::contains(child));
    mixed = mixed || (child != deep && child != other);
    for (std::size_t s = 0; s < 4; ++s)
      CHECK((child.stages[s].width == deep.stages[s].width ||
             child.stages[s].width == other.stages[s].width));
  }
  CHECK(mixed);
}

TEST_CASE("EMO validation names the gene") {
  using space = ovo::emo_imagenet_space;
  auto a = space::largest();
  CHECK(space::invalid_gene(a).empty());
  a.stages[2].depth = 5;
  CHECK(space::invalid_gene(a) == "stages[2].depth = 5, expected one of [4, 6, 8, 9]");
  a = space::largest();
  a.stages[3].width = 256;
  CHECK_THROWS_WITH_AS(
      space::validate(a),
      "arch outside the search space: stages[3].width = 256, expected one of [168, 200, 288, 320]",
      std::invalid_argument);
  a = space::largest();
  a.stages[1].expansion[2] = 4.0;
  CHECK(space::invalid_gene(a) == "stages[1].expansion[2] = 4, expected one of [2, 2.5, 3]");
  a = space::largest();
  a.stages[0].attention.push_back(false);
  CHECK(space::invalid_gene(a) == "stages[0].attention has 4 entries, expected depth = 3");
  a = space::largest();
  a.stages[1].attention[1] = true;
  CHECK(space::invalid_gene(a) ==
        "stages[1].attention[1] = true, expected false (this stage's blocks after the first never "
        "attend)");
  a = space::largest();
  a.stages[2].attention[0] = true;
  CHECK(space::invalid_gene(a) ==
        "stages[2].attention[0] = true, expected false (a stage's first block has stride 2 and "
        "never attends)");
  auto m = ovo::emo_1m::largest();
  m.stages[3].attention[2] = false;
  CHECK(ovo::emo_1m::invalid_gene(m) ==
        "stages[3].attention[2] = false, expected true (this stage's blocks after the first always "
        "attend)");
}

TEST_CASE("emo_arch: to_string, JSON round trip and errors naming the field") {
  const auto a = ovo::emo_1m::largest();
  CHECK(ovo::to_string(a) ==
        "stage0 {depth=2 width=32 expansion=[2, 2] attention=00} "
        "stage1 {depth=2 width=48 expansion=[2.5, 2.5] attention=00} "
        "stage2 {depth=8 width=80 expansion=[3, 3, 3, 3, 3, 3, 3, 3] attention=01111111} "
        "stage3 {depth=3 width=168 expansion=[3.5, 3.5, 3.5] attention=011}");
  CHECK(ovo::emo_arch_from_json(ovo::emo_arch_to_json(a)) == a);
  ovo::rng_engine rng(5);
  for (int i = 0; i < 20; ++i) {
    const auto x = ovo::emo_imagenet_space::sample(rng);
    CHECK(ovo::emo_arch_from_json(ovo::emo_arch_to_json(x)) == x);
    CHECK(nlohmann::json(x).get<ovo::emo_arch>() == x);
  }
  CHECK(
      ovo::emo_arch_to_json(ovo::emo_1m::largest())
          .starts_with(
              R"({"stages":[{"attention":[false,false],"depth":2,"expansion":[2.0,2.0],"width":32},)"));

  auto error = [](const std::string& text) {
    try {
      (void)ovo::emo_arch_from_json(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string stage = R"({"depth":1,"width":8,"expansion":[1.0],"attention":[false]})";
  const std::string four = stage + "," + stage + "," + stage + "," + stage;
  CHECK(error(R"({"stages":[)" + four + "]}") == "no error");
  CHECK(error("{").starts_with("emo_arch JSON: not valid JSON: "));
  CHECK(error("{}") == "emo_arch JSON: missing field 'stages' in {}");
  CHECK(error(R"({"stages":[)" + stage + "]}") == "emo_arch JSON: stages is [" +
                                                      nlohmann::json::parse(stage).dump() +
                                                      "], expected an array of 4 stages");
  CHECK(error(R"({"stages":[{"depth":1},)" + stage + "," + stage + "," + stage + "]}")
            .starts_with("emo_arch JSON: missing field 'stages[0].width' in "));
  CHECK(error(R"({"stages":[)" + stage + "," + stage + "," + stage +
              R"(,{"depth":1.5,"width":8,"expansion":[1.0],"attention":[false]}]})") ==
        "emo_arch JSON: stages[3].depth is 1.5, expected an integer in -2147483648..2147483647");
  CHECK(error(R"({"stages":[)" + stage + "," + stage +
              R"(,{"depth":1,"width":8,"expansion":["2"],"attention":[false]},)" + stage + "]}") ==
        R"(emo_arch JSON: stages[2].expansion[0] is "2", expected a number)");
  CHECK(error(R"({"stages":[)" + stage +
              R"(,{"depth":1,"width":8,"expansion":[1.0],"attention":[0]},)" + stage + "," + stage +
              "]}") == "emo_arch JSON: stages[1].attention[0] is 0, expected true or false");
  CHECK(error(R"({"stages":[)" + stage +
              R"(,{"depth":2,"width":8,"expansion":[1.0],"attention":[false]},)" + stage + "," +
              stage + "]}") ==
        "emo_arch JSON: stages[1].expansion has 1 entries, expected depth = 2");
  CHECK(error(R"({"stages":[)" + stage +
              R"(,{"depth":1,"width":8,"expansion":[-1.0],"attention":[false]},)" + stage + "," +
              stage + "]}") ==
        "emo_arch JSON: stages[1].expansion[0] = -1, expected a positive ratio whose hidden width "
        "fits in an int");
}
