// Kendall's tau-b and Spearman's rho against values computed by hand, with and without ties, and
// the ranking report built on them.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ovo/ovo.hpp>

using v = std::vector<double>;

TEST_CASE("average ranks: 1 for the smallest, tied values share the mean of their ranks") {
  CHECK(ovo::average_ranks(v{3.0, 1.0, 2.0}) == v{3, 1, 2});
  CHECK(ovo::average_ranks(v{5.0, 2.0, 5.0, 2.0, 9.0}) == v{3.5, 1.5, 3.5, 1.5, 5});
  CHECK(ovo::average_ranks(v{7.0, 7.0, 7.0}) == v{2, 2, 2});
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(ovo::average_ranks(v{inf, -inf, 0.0}) == v{3, 1, 2});
}

TEST_CASE("rank correlations without ties: one swapped pair of four") {
  // Pairs of {1,2,3,4} / {1,3,2,4}: five concordant, one discordant (2-3): tau = 4/6. Rank
  // differences 0,1,1,0: rho = 1 - 6 * 2 / (4 * 15) = 0.8.
  const v a{1, 2, 3, 4}, b{1, 3, 2, 4};
  CHECK(ovo::kendall_tau(a, b) == doctest::Approx(4.0 / 6.0));
  CHECK(ovo::spearman_rho(a, b) == doctest::Approx(0.8));
  const v reversed{4, 3, 2, 1};
  CHECK(ovo::kendall_tau(a, reversed) == doctest::Approx(-1.0));
  CHECK(ovo::spearman_rho(a, reversed) == doctest::Approx(-1.0));
  // Only the order counts: any increasing transform of a side changes nothing.
  CHECK(ovo::kendall_tau(v{0.1, 20, 300, 4000}, b) == doctest::Approx(4.0 / 6.0));
  CHECK(ovo::spearman_rho(v{0.1, 20, 300, 4000}, b) == doctest::Approx(0.8));
}

TEST_CASE("rank correlations with ties: tau-b's tie correction and rho on average ranks") {
  // {1,2,2,3} / {1,2,3,3}: pairs 1-2, 1-3, 1-4, 2-4 concordant, 2-3 tied in a, 3-4 tied in b:
  // tau-b = 4 / sqrt((6 - 1) (6 - 1)) = 0.8. Average ranks {1,2.5,2.5,4} / {1,2,3.5,3.5}, both of
  // mean 2.5: covariance sum 3.75, variance sums 4.5 and 4.5: rho = 3.75 / 4.5.
  const v a{1, 2, 2, 3}, b{1, 2, 3, 3};
  CHECK(ovo::kendall_tau(a, b) == doctest::Approx(0.8));
  CHECK(ovo::spearman_rho(a, b) == doctest::Approx(3.75 / 4.5));
  // A pair tied on both sides counts in both tie counts: {1,1,2} / {5,5,6}: pair 1-2 tied on
  // both, 1-3 and 2-3 concordant: tau-b = 2 / sqrt((3 - 1) (3 - 1)) = 1.
  CHECK(ovo::kendall_tau(v{1, 1, 2}, v{5, 5, 6}) == doctest::Approx(1.0));
  CHECK(ovo::spearman_rho(v{1, 1, 2}, v{5, 5, 6}) == doctest::Approx(1.0));
}

TEST_CASE("rank correlations: a constant side gives NaN; bad input is refused by name") {
  CHECK(std::isnan(ovo::kendall_tau(v{1, 2, 3}, v{4, 4, 4})));
  CHECK(std::isnan(ovo::spearman_rho(v{4, 4, 4}, v{1, 2, 3})));
  CHECK_THROWS_WITH_AS(ovo::kendall_tau(v{1, 2, 3}, v{1, 2}),
                       "kendall_tau: 3 and 2 scores, expected one per arch on each side",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::spearman_rho(v{1}, v{1}), "spearman_rho: 1 archs, expected at least 2",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::spearman_rho(v{1, 2}, v{1, std::nan("")}),
                       "spearman_rho: score 1 is NaN", std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::average_ranks(v{std::nan(""), 1}), "average_ranks: value 0 is NaN",
                       std::invalid_argument);
}

TEST_CASE("ranking report: every predictor against every target, NaN as null, plotted by rank") {
  const std::vector<ovo::arch_scores> predictors{{"synflow", {1, 2, 2, 3}},
                                                 {"params", {7, 7, 7, 7}}};
  const std::vector<ovo::arch_scores> targets{{"standalone", {1, 2, 3, 3}},
                                              {"distilled", {4, 3, 2, 1}}};
  const auto table = ovo::ranking_agreements(predictors, targets);
  REQUIRE(table.size() == 4);
  CHECK(table[0].predictor == "synflow");
  CHECK(table[0].target == "standalone");
  CHECK(table[0].kendall_tau == doctest::Approx(0.8));  // the tie case above
  CHECK(table[0].spearman_rho == doctest::Approx(3.75 / 4.5));
  // {1,2,2,3} against {4,3,2,1}: 5 discordant pairs, one tied in the predictor: -5 / sqrt(5 * 6).
  CHECK(table[1].kendall_tau == doctest::Approx(-5.0 / std::sqrt(30.0)));
  CHECK(std::isnan(table[2].kendall_tau));
  const nlohmann::json j = table[2];
  CHECK(j["kendall_tau"].is_null());
  CHECK(j["predictor"] == "params");
  CHECK(nlohmann::json(table[0])["kendall_tau"].get<double>() == doctest::Approx(0.8));

  const std::vector<ovo::arch_scores> short_one{{"snip", {1, 2}}};
  CHECK_THROWS_WITH_AS(ovo::ranking_agreements(short_one, targets),
                       doctest::Contains("predictor 'snip' against 'standalone'"),
                       std::invalid_argument);

  const auto svg = ovo::ranking_svg("Fashion-MNIST", predictors, targets[0], "top-1 (%)");
  CHECK(svg.find("synflow (tau +0.80)") != std::string::npos);
  CHECK(svg.find("params (tau undefined)") != std::string::npos);
  CHECK(svg.find("rank by the predictor") != std::string::npos);
}
