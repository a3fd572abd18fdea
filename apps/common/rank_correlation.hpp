// The `rank-correlation` subcommand: how well trained supernets' inherited accuracies and the
// training-free proxies order K archs of a space as the archs trained alone do.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ovo/ovo.hpp>
#include <ovo/report/ranking_report.hpp>

#include "pipeline.hpp"
#include "proxy_run.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

struct ranking_config {
  int archs = 16;                      // K: archs drawn within the cost constraint
  long standalone_steps = 300;         // each arch trained alone for this many steps
  std::vector<std::string> supernets;  // NAME=DIR: DIR/supernet.safetensors scored as NAME
  std::vector<std::string> proxies;    // empty: every proxy (tvt with --teacher-model)
};

inline void add_ranking_options(CLI::App& sub, ranking_config& r) {
  sub.add_option("--archs", r.archs, "K: archs drawn uniformly within the cost constraint")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  sub.add_option("--standalone-steps", r.standalone_steps,
                 "Steps each arch trains alone (and again distilled from --teacher-model)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub.add_option("--supernet", r.supernets,
                 "NAME=DIR: a trained supernet (DIR/supernet.safetensors) whose inherited "
                 "held-out top-1 is a predictor; repeat for several");
  sub.add_option("--proxies", r.proxies, "Proxies scored (default: all; tvt needs --teacher-model)")
      ->check(CLI::IsMember(
          {"tvt", "dss", "synflow", "naswot", "snip", "grad-norm", "l2-norm", "params", "macs"}));
}

// The study: K archs, every predictor's scores of them, their stand-alone test top-1 (plain and,
// with --teacher-model, distilled), Kendall's tau and Spearman's rho of each predictor against
// each, written to out/rank_correlation.json and one SVG per target. Returns the JSON.
template <class Space, class Source>
nlohmann::json rank_correlation(const run_config& c, const ranking_config& r) {
  using arch_type = space_arch<Space>;
  const auto train = load_checked_split<Space, Source>(c, true);
  const auto test = load_split<Source>(c, false);
  const auto split = split_for(c, train);
  const auto constraint = constraint_for(c);
  auto unscored = [](const arch_type&) { return 0.0; };
  const auto drawn =
      random_search<Space>(unscored, constraint, r.archs, derive_seed(c.seed, 0x52'414e'4b));
  std::vector<arch_type> archs;
  for (const auto& candidate : drawn.history) archs.push_back(candidate.architecture);
  fmt::print("{} archs of space '{}' under {}\n", archs.size(), c.space, constraint.describe());

  std::vector<arch_scores> predictors;
  {
    std::vector<proxy_kind> kinds;
    for (const auto& name : r.proxies) kinds.push_back(parse_proxy_kind(name));
    if (r.proxies.empty())
      for (auto kind : all_proxy_kinds)
        if (kind != proxy_kind::tvt || !c.teacher_model.empty()) kinds.push_back(kind);
    auto net = make_supernet<Space>(c);
    with_proxy_scorer<Space>(c, net, train, split, [&](auto& scorer) {
      for (auto kind : kinds) {
        const auto start = std::chrono::steady_clock::now();
        predictors.push_back({to_string(kind), scorer.scores(archs, kind)});
        fmt::print("proxy {}: {:.2f} s for {} archs\n", to_string(kind),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   archs.size());
        std::fflush(stdout);
      }
      return 0;
    });
  }
  for (const auto& spec : r.supernets) {
    const auto [name, dir] = split_named(spec, "--supernet", "NAME=DIR");
    auto scored = c;
    scored.out_dir = dir;
    auto net = make_supernet<Space>(scored);
    load_trained(scored, net);
    auto holdout = eval_loader(c, train, split.holdout, augmentation_for<Space>(c));
    auto fitness = make_holdout_fitness(net, holdout);
    const auto calibration = calibration_batches<Space>(c, net, train, split);
    if (calibration.batches() > 0) fitness.recalibrate_on(calibration);
    arch_scores scores{"supernet " + name, {}};
    for (const auto& a : archs) scores.values.push_back(fitness(a));
    fmt::print("{}: held-out top-1 of {} inherited subnets\n", scores.name, archs.size());
    predictors.push_back(std::move(scores));
  }

  std::vector<arch_scores> targets{{"standalone", {}}};
  if (!c.teacher_model.empty()) targets.push_back({"distilled", {}});
  for (std::size_t i = 0; i < archs.size(); ++i)
    for (auto& target : targets) {
      auto alone = c;
      alone.steps = r.standalone_steps;
      alone.time_budget_seconds = 0;
      alone.resume = false;
      alone.checkpoint_every = 0;
      alone.log_every = r.standalone_steps;
      alone.out_dir = c.out_dir / "standalone";
      if (target.name == "standalone") alone.teacher_model.clear();
      auto net = make_supernet<Space>(alone);
      train_supernet<Space>(alone, net, train, split, job_processes(alone), {.only = archs[i]});
      const auto calibration = calibration_batches<Space>(alone, net, train, split);
      if (calibration.batches() > 0) recalibrate_batch_norm(net, archs[i], calibration);
      target.values.push_back(test_top1<Source, Space>(alone, net, test, archs[i]));
      fmt::print("arch {}/{} ({} params): {} test top-1 {:.2f}%\n", i + 1, archs.size(),
                 Space::params(archs[i]), target.name, 100 * target.values.back());
      std::fflush(stdout);
    }

  const auto agreements = ranking_agreements(predictors, targets);
  nlohmann::json listed = nlohmann::json::array();
  for (std::size_t i = 0; i < archs.size(); ++i) {
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& p : predictors) scores[p.name] = p.values[i];
    nlohmann::json entry{{"arch", archs[i]},
                         {"params", Space::params(archs[i])},
                         {"macs", Space::macs(archs[i])},
                         {"scores", scores}};
    for (const auto& t : targets) entry[t.name + "_top1"] = t.values[i];
    listed.push_back(std::move(entry));
  }
  const nlohmann::json report{
      {"space", c.space},
      {"dataset", c.dataset},
      {"constraint", constraint.describe()},
      {"standalone_steps", r.standalone_steps},
      {"batch_size", c.batch_size},
      {"teacher_model", c.teacher_model.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(c.teacher_model.string())},
      {"seed", c.seed},
      {"archs", listed},
      {"agreements", agreements}};
  std::filesystem::create_directories(c.out_dir);
  io::write_file_atomically(c.out_dir / "rank_correlation.json", report.dump(2) + "\n");
  for (const auto& t : targets)
    io::write_file_atomically(
        c.out_dir / fmt::format("rank_correlation_{}.svg", t.name),
        ranking_svg(fmt::format("{}: predictors against {} test top-1 ({} archs)", c.space, t.name,
                                archs.size()),
                    predictors, t, fmt::format("{} test top-1", t.name)));
  fmt::print("\n| predictor |");
  for (const auto& t : targets) fmt::print(" tau ({0}) | rho ({0}) |", t.name);
  fmt::print("\n|---|");
  for (std::size_t i = 0; i < 2 * targets.size(); ++i) fmt::print("---|");
  fmt::print("\n");
  for (const auto& p : predictors) {
    fmt::print("| {} |", p.name);
    for (const auto& a : agreements)
      if (a.predictor == p.name) fmt::print(" {:+.3f} | {:+.3f} |", a.kendall_tau, a.spearman_rho);
    fmt::print("\n");
  }
  fmt::print("report: {}\n", (c.out_dir / "rank_correlation.json").string());
  return report;
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
