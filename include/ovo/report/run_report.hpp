// A run's report folder: report.json and SVG plots of the training curves, the search's progress
// and the Pareto front of every evaluated subnet.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ovo/io/atomic_file.hpp"
#include "ovo/report/svg_plot.hpp"
#include "ovo/search/candidate.hpp"
#include "ovo/train/supernet_trainer.hpp"

namespace ovo {

namespace detail {
inline plot_series empty_series(std::string label, bool line = true, std::string colour = {}) {
  plot_series s;
  s.label = std::move(label);
  s.line = line;
  s.colour = std::move(colour);
  return s;
}
}  // namespace detail

// Loss against step: the students' loss, and the teacher's CE and the KL when there is a teacher.
inline std::string training_curve_svg(std::span<const training_record> history) {
  auto loss = detail::empty_series("student loss"), teacher = detail::empty_series("teacher CE"),
       kl = detail::empty_series("KL");
  bool has_teacher = false;
  for (const auto& r : history) {
    const auto step = static_cast<double>(r.step);
    loss.x.push_back(step);
    loss.y.push_back(r.loss);
    teacher.x.push_back(step);
    teacher.y.push_back(r.teacher_loss);
    kl.x.push_back(step);
    kl.y.push_back(r.kl);
    has_teacher = has_teacher || r.teacher_loss != 0;
  }
  if (!has_teacher) loss.label = "loss";
  std::vector<plot_series> series{loss};
  if (has_teacher) {
    series.push_back(teacher);
    series.push_back(kl);
  }
  return svg_plot("Supernet training", "optimizer step", "loss (mean over the interval)", series);
}

// How the plots show a search's fitness: its name and the factor it is plotted at (held-out
// top-1 in percent by default; a proxy's score as it is).
struct fitness_axis {
  std::string name = "held-out top-1";
  std::string unit = "%";
  double factor = 100;
  std::string label() const { return unit.empty() ? name : fmt::format("{} ({})", name, unit); }
};

// The fitness against parameters: every evaluated subnet, the front, and the chosen one.
template <class Arch>
std::string pareto_front_svg(const basic_search_result<Arch>& result,
                             const fitness_axis& axis = {}) {
  auto all = detail::empty_series("evaluated", false, "#9aa5b1");
  auto front = detail::empty_series("Pareto front"), chosen = detail::empty_series("chosen", false);
  for (const auto& c : result.history) {
    all.x.push_back(static_cast<double>(c.params) / 1e6);
    all.y.push_back(axis.factor * c.fitness);
  }
  for (const auto& c : result.pareto) {
    front.x.push_back(static_cast<double>(c.params) / 1e6);
    front.y.push_back(axis.factor * c.fitness);
  }
  chosen.x.push_back(static_cast<double>(result.best.params) / 1e6);
  chosen.y.push_back(axis.factor * result.best.fitness);
  const std::vector<plot_series> series{all, front, chosen};
  return svg_plot(fmt::format("Search: {} against parameters", axis.name), "parameters (M)",
                  axis.label(), series);
}

template <class Arch>
std::string search_progress_svg(const basic_search_result<Arch>& result,
                                const fitness_axis& axis = {}) {
  auto best = detail::empty_series("best so far");
  for (std::size_t g = 0; g < result.best_fitness_per_generation.size(); ++g) {
    best.x.push_back(static_cast<double>(g));
    best.y.push_back(axis.factor * result.best_fitness_per_generation[g]);
  }
  const std::vector<plot_series> series{best};
  return svg_plot("Search progress", "generation", "best " + axis.label(), series);
}

// Writes report.json (`summary` with "training" and "search" added) and the three plots into
// `dir`, each file atomically; the search plots show its fitness as `axis` says.
template <class Arch>
void write_run_report(const std::filesystem::path& dir, nlohmann::json summary,
                      std::span<const training_record> history,
                      const basic_search_result<Arch>& result, const fitness_axis& axis = {}) {
  std::filesystem::create_directories(dir);
  summary["training"] = history;
  summary["search"] = result;
  auto write = [&](const std::string& name, const std::string& text) {
    io::write_file_atomically(dir / name, std::string_view(text));
  };
  write("report.json", summary.dump(2) + "\n");
  write("training_curve.svg", training_curve_svg(history));
  write("search_progress.svg", search_progress_svg(result, axis));
  write("pareto_front.svg", pareto_front_svg(result, axis));
}

}  // namespace ovo
