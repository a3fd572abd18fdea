// Training-free runs (--fitness PROXY): search the untrained network by a proxy, then train the
// chosen arch alone, distilled from --teacher-model when given.
#pragma once

#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ovo/ovo.hpp>
#include <ovo/report/run_report.hpp>
#include <ovo/search/proxy_search.hpp>
#include <ovo/util/seeds.hpp>

#include "pipeline.hpp"
#include "run_config.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

// Calls f(scorer) with a proxy_scorer of `net` (initialised at the seed, never trained) on one
// batch of --proxy-batch training images (unaugmented, shuffled by seeds::proxy_batch), with
// --teacher-model's feature maps for TVT when given, and returns what f does.
template <class Space, class Source, supernet Net, class F>
auto with_proxy_scorer(const run_config& c, Net& net, const Source& train,
                       const data::holdout_split& split, F&& f) {
  const auto batch = unaugmented_batches<Space>(c, train, split.train, c.proxy_batch,
                                                seeds::proxy_batch(c.seed), 1);
  if (batch.batches() == 0)
    throw std::invalid_argument(
        fmt::format("--proxy-batch {}: more images than the training "
                    "split's {}",
                    c.proxy_batch, split.train.size()));
  proxy_scorer<Space, Net> scorer(net, batch.batch_images(0), batch.batch_labels(0),
                                  {.tvt_fusion = parse_fusion_rule(c.tvt_fusion)});
  auto teacher = frozen_teacher_for(c, net);
  if (teacher) scorer.set_teacher(teacher->network, teacher->architecture);
  return f(scorer);
}

// The proxy search of --fitness on `net` (initialised at the seed, never trained; see
// with_proxy_scorer): random search over --random-samples archs (--search random) or evolution,
// under the run's cost constraint. TVT compares with --teacher-model's feature maps.
template <class Space, class Source, supernet Net>
basic_search_result<arch_of<Net>> proxy_search_for(const run_config& c, Net& net,
                                                   const Source& train,
                                                   const data::holdout_split& split) {
  const auto kind = parse_proxy_kind(c.fitness);
  if (c.search == "specialise")
    throw std::invalid_argument(
        fmt::format("--fitness {}: expected --search random or evolution (specialise needs a "
                    "supernet trained with --focusformer)",
                    c.fitness));
  if (kind == proxy_kind::tvt && c.teacher_model.empty())
    throw std::invalid_argument(
        "--fitness tvt: expected --teacher-model FILE, the trained ResNet whose feature maps "
        "TVT compares the candidates' with");
  const auto constraint = constraint_for(c);
  fmt::print("searching ({}, fitness {}) on {} training images of the untrained network under {}\n",
             c.search, c.fitness, c.proxy_batch, constraint.describe());
  const auto progress = search_printer<arch_of<Net>>(c, "{:.6g}", 1);
  return with_proxy_scorer<Space>(c, net, train, split, [&](proxy_scorer<Space, Net>& scorer) {
    return proxy_search(scorer, kind, constraint,
                        {.method = parse_proxy_search_method(c.search),
                         .samples = c.random_samples,
                         .evolution = evolution_options_for(c),
                         .seed = c.seed,
                         .tvt_reference = c.tvt_reference},
                        progress);
  });
}

// The whole training-free run: proxy search, the chosen arch trained alone (--time-budget or
// --steps; distilled from --teacher-model when given), tested, exported and reported.
template <class Space, class Source>
nlohmann::json run_proxy(const run_config& c) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto train = load_checked_split<Space, Source>(c, true);
  const auto test = load_split<Source>(c, false);
  const auto split = split_for(c, train);
  auto net = make_supernet<Space>(c);
  const auto result = proxy_search_for<Space>(c, net, train, split);
  const double search_seconds = elapsed();
  const auto& chosen = result.best.architecture;
  fmt::print("chosen by {}: {} ({:.3f}M params, score {:.6g}) in {}\n", c.fitness,
             to_string(chosen), static_cast<double>(result.best.params) / 1e6, result.best.fitness,
             format_duration(search_seconds));
  const auto trained =
      train_supernet<Space>(c, net, train, split, job_processes(c), {.only = chosen});
  const double train_seconds = elapsed() - search_seconds;
  const auto calibration = calibration_batches<Space>(c, net, train, split);
  if (calibration.batches() > 0) recalibrate_batch_norm(net, chosen, calibration);
  auto holdout = eval_loader(c, train, split.holdout, augmentation_for<Space>(c));
  const double holdout_top1 = streamed_top1(net, chosen, holdout);
  const double top1 = test_top1<Source, Space>(c, net, test, chosen);
  export_chosen(c, net, chosen);
  auto summary =
      run_summary(c, result, trained, top1,
                  {.train = train_seconds, .search = search_seconds, .total = elapsed()});
  summary["holdout_top1"] = holdout_top1;
  summary["proxy_score"] = result.best.fitness;
  summary["fitness"] = c.fitness;
  summary["calibration_batches"] = calibration.batches();
  summary["proxy_batch"] = c.proxy_batch;
  const auto report_dir = c.out_dir / "report";
  write_run_report(report_dir, summary, trained.history, result,
                   {.name = fmt::format("{} score", c.fitness), .unit = "", .factor = 1});
  fmt::print(
      "chosen subnet trained alone: {:.3f}M params, {:.1f}M multiply-adds, held-out top-1 "
      "{:.2f}%, test top-1 {:.2f}%\n",
      static_cast<double>(result.best.params) / 1e6, result.best.flops / 1e6, 100 * holdout_top1,
      100 * top1);
  fmt::print("total {} (search {}, training {})\n", format_duration(elapsed()),
             format_duration(search_seconds), format_duration(train_seconds));
  fmt::print("report: {}\n", (report_dir / "report.json").string());
  return summary;
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
