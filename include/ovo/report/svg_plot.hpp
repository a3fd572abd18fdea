// A small self-contained SVG plot of line and marker series, with axes, ticks and a legend.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace ovo {

struct plot_series {
  std::string label;  // the legend entry; empty: none
  std::vector<double> x, y;
  bool line = true;    // true: a polyline through the points in order; false: markers only
  std::string colour;  // any SVG colour; empty: the palette colour of the series' position
};

// Evenly spaced tick values, 1, 2 or 5 times a power of ten apart, the first at or below the
// data's minimum and the last at or above its maximum.
struct axis_ticks {
  double step = 1;
  std::vector<double> values;
};

// About `target_count` nice ticks enclosing [lo, hi]. A single value, or a range too narrow to
// tell from it, gets a range around it.
inline axis_ticks nice_ticks(double lo, double hi, int target_count = 6) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(hi - lo) || lo > hi ||
      target_count < 2)
    throw std::invalid_argument(fmt::format(
        "nice_ticks: range [{}, {}] with {} ticks, expected finite lo <= hi whose difference is "
        "finite, and at least 2 ticks",
        lo, hi, target_count));
  if (hi - lo <= 1e-9 * std::max(std::abs(lo), std::abs(hi))) {
    const double middle = lo + (hi - lo) / 2;
    const double pad = middle == 0 ? 1.0 : std::abs(middle) * 0.1;
    lo = std::min(lo, middle - pad);
    hi = std::max(hi, middle + pad);
  }
  const double raw = (hi - lo) / (target_count - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  axis_ticks ticks;
  ticks.step = magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10);
  // Tick k sits at k * step; the first and last indices are corrected for rounding both ways.
  double first = std::floor(lo / ticks.step), last = std::ceil(hi / ticks.step);
  if (first * ticks.step > lo) first -= 1;
  if ((first + 1) * ticks.step <= lo) first += 1;
  if (last * ticks.step < hi) last += 1;
  if ((last - 1) * ticks.step >= hi) last -= 1;
  const auto count = static_cast<long long>(last - first) + 1;
  for (long long i = 0; i < count; ++i) {
    const double k = first + static_cast<double>(i);
    ticks.values.push_back(k == 0 ? 0.0 : k * ticks.step);
  }
  return ticks;
}

// Tick labels in one format for a whole axis: as many decimals as the step needs, and large values
// in k, M or G.
inline std::vector<std::string> tick_labels(const axis_ticks& ticks) {
  double largest = 0;
  for (double v : ticks.values) largest = std::max(largest, std::abs(v));
  double scale = 1;
  const char* suffix = "";
  if (largest >= 1e9) {
    scale = 1e9, suffix = "G";
  } else if (largest >= 1e6) {
    scale = 1e6, suffix = "M";
  } else if (largest >= 1e4) {
    scale = 1e3, suffix = "k";
  }
  const int decimals =
      std::max(0, static_cast<int>(std::ceil(-std::log10(ticks.step / scale) - 1e-9)));
  std::vector<std::string> labels;
  for (double v : ticks.values)
    labels.push_back(fmt::format("{:.{}f}{}", v / scale, decimals, suffix));
  return labels;
}

// `text` with the five XML special characters escaped, for element content and attribute values.
inline std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The colours of series that name none, by position (repeating after ten).
inline constexpr std::array<std::string_view, 10> plot_palette{
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// An SVG document plotting `series` on linear axes whose ticks enclose all points, with a title,
// axis labels and, when a series has a label, a legend to the right of the plot.
inline std::string svg_plot(const std::string& title, const std::string& x_label,
                            const std::string& y_label, std::span<const plot_series> series,
                            int width = 640, int height = 400) {
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  bool any_point = false;
  std::size_t longest_label = 0;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument(
          fmt::format("svg_plot: series '{}' has {} x and {} y values, expected as many of each",
                      s.label, s.x.size(), s.y.size()));
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
        throw std::invalid_argument(
            fmt::format("svg_plot: series '{}' point {} is ({}, {}), expected finite values",
                        s.label, i, s.x[i], s.y[i]));
      if (!any_point) x_min = x_max = s.x[i], y_min = y_max = s.y[i];
      any_point = true;
      x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]), y_max = std::max(y_max, s.y[i]);
    }
    longest_label = std::max(longest_label, s.label.size());
  }

  const double legend_width =
      longest_label == 0 ? 0.0 : std::min(240.0, 36.0 + 7.0 * static_cast<double>(longest_label));
  const double left = 72, right = width - 16 - legend_width, top = title.empty() ? 16 : 40,
               bottom = height - 48;
  if (width < 200 || height < 150 || right - left < 80)
    throw std::invalid_argument(fmt::format(
        "svg_plot: a {}x{} canvas leaves no room for the plot and its legend; expected at least "
        "200x150 and a plot 80 px wide",
        width, height));

  const axis_ticks x_ticks = nice_ticks(x_min, x_max), y_ticks = nice_ticks(y_min, y_max);
  const double x0 = x_ticks.values.front(), x1 = x_ticks.values.back();
  const double y0 = y_ticks.values.front(), y1 = y_ticks.values.back();
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y0) / (y1 - y0) * (bottom - top); };
  auto colour = [&](std::size_t i) {
    return xml_escape(series[i].colour.empty() ? plot_palette[i % plot_palette.size()]
                                               : series[i].colour);
  };

  std::string out;
  auto put = std::back_inserter(out);
  fmt::format_to(put,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                 "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                 "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
                 width, height);
  if (!title.empty())
    fmt::format_to(
        put, "<text x=\"{:.1f}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        (left + right) / 2, xml_escape(title));

  // Grid lines and tick labels.
  const auto x_text = tick_labels(x_ticks), y_text = tick_labels(y_ticks);
  out += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double v : x_ticks.values)
    fmt::format_to(put, "<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n",
                   px(v), top, bottom);
  for (double v : y_ticks.values)
    fmt::format_to(put, "<line x1=\"{1:.2f}\" y1=\"{0:.2f}\" x2=\"{2:.2f}\" y2=\"{0:.2f}\"/>\n",
                   py(v), left, right);
  out += "</g>\n";
  fmt::format_to(put,
                 "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"none\" "
                 "stroke=\"#333333\"/>\n",
                 left, top, right - left, bottom - top);
  out += "<g text-anchor=\"middle\">\n";
  for (std::size_t i = 0; i < x_ticks.values.size(); ++i)
    fmt::format_to(put, "<text x=\"{:.2f}\" y=\"{:.2f}\">{}</text>\n", px(x_ticks.values[i]),
                   bottom + 16, x_text[i]);
  out += "</g>\n<g text-anchor=\"end\">\n";
  for (std::size_t i = 0; i < y_ticks.values.size(); ++i)
    fmt::format_to(put, "<text x=\"{:.2f}\" y=\"{:.2f}\">{}</text>\n", left - 6,
                   py(y_ticks.values[i]) + 4, y_text[i]);
  out += "</g>\n";
  fmt::format_to(put, "<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n",
                 (left + right) / 2, static_cast<double>(height) - 10, xml_escape(x_label));
  const double y_label_y = (top + bottom) / 2;
  fmt::format_to(put,
                 "<text x=\"16\" y=\"{0:.2f}\" text-anchor=\"middle\" "
                 "transform=\"rotate(-90 16 {0:.2f})\">{1}</text>\n",
                 y_label_y, xml_escape(y_label));

  // The data.
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    if (s.line) {
      fmt::format_to(put, "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"",
                     colour(i));
      for (std::size_t k = 0; k < s.x.size(); ++k)
        fmt::format_to(put, "{}{:.2f},{:.2f}", k == 0 ? "" : " ", px(s.x[k]), py(s.y[k]));
      out += "\"/>\n";
    } else {
      fmt::format_to(put, "<g fill=\"{}\">\n", colour(i));
      for (std::size_t k = 0; k < s.x.size(); ++k)
        fmt::format_to(put, "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\"/>\n", px(s.x[k]),
                       py(s.y[k]));
      out += "</g>\n";
    }
  }

  // The legend: one row per labelled series.
  if (legend_width > 0) {
    const double x = right + 12;
    double y = top + 8;
    out += "<g>\n";
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series[i].label.empty()) continue;
      if (series[i].line)
        fmt::format_to(put,
                       "<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" "
                       "stroke=\"{}\" stroke-width=\"2\"/>\n",
                       x, y, x + 18, y, colour(i));
      else
        fmt::format_to(put, "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\"/>\n", x + 9, y,
                       colour(i));
      fmt::format_to(put, "<text x=\"{:.2f}\" y=\"{:.2f}\">{}</text>\n", x + 24, y + 4,
                     xml_escape(series[i].label));
      y += 18;
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ovo
