// The report's SVG plots: nice ticks, well-formed documents, escaped text, points inside the frame;
// several methods' fronts in one plot.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <ovo/io/atomic_file.hpp>
#include <ovo/report/front_comparison.hpp>
#include <ovo/report/svg_plot.hpp>

#include "../support.hpp"

namespace {

struct element {
  std::string name;
  std::string attributes;  // the raw text after the name
};

// A minimal XML check: balanced tags, a single root, quoted attributes, and no raw '<' or a '&'
// that starts no entity in text or attribute values. Returns the elements in document order.
std::vector<element> parse_xml(const std::string& doc) {
  std::vector<element> elements;
  std::vector<std::string> open;
  int roots = 0;
  auto check_text = [](std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      REQUIRE(text[i] != '<');
      if (text[i] != '&') continue;
      const auto rest = text.substr(i + 1);
      const bool entity = rest.starts_with("amp;") || rest.starts_with("lt;") ||
                          rest.starts_with("gt;") || rest.starts_with("quot;") ||
                          rest.starts_with("apos;");
      REQUIRE_MESSAGE(entity, "raw '&' in: ", std::string(text));
    }
  };
  std::size_t pos = 0;
  while (pos < doc.size()) {
    const std::size_t lt = doc.find('<', pos);
    const std::string_view text(doc.data() + pos,
                                (lt == std::string::npos ? doc.size() : lt) - pos);
    if (open.empty()) {
      REQUIRE(text.find_first_not_of(" \n") == std::string_view::npos);
    } else {
      check_text(text);
    }
    if (lt == std::string::npos) break;
    // The tag ends at the first '>' outside quotes.
    std::size_t end = lt + 1;
    bool quoted = false;
    while (end < doc.size() && (quoted || doc[end] != '>')) quoted ^= doc[end++] == '"';
    REQUIRE(end < doc.size());
    std::string tag = doc.substr(lt + 1, end - lt - 1);
    pos = end + 1;
    if (tag.starts_with("/")) {
      REQUIRE_FALSE(open.empty());
      CHECK(tag.substr(1) == open.back());
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.ends_with("/");
    if (self_closing) tag.pop_back();
    const std::size_t name_end = tag.find_first_of(" \n");
    element e{tag.substr(0, name_end), name_end == std::string::npos ? "" : tag.substr(name_end)};
    // Attributes: name="value" pairs with escaped values.
    std::size_t a = 0;
    while ((a = e.attributes.find('=', a)) != std::string::npos) {
      REQUIRE(e.attributes[a + 1] == '"');
      const std::size_t close = e.attributes.find('"', a + 2);
      REQUIRE(close != std::string::npos);
      check_text(std::string_view(e.attributes).substr(a + 2, close - a - 2));
      a = close + 1;
    }
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(e.name);
    elements.push_back(std::move(e));
  }
  CHECK(open.empty());
  CHECK(roots == 1);
  return elements;
}

std::string attribute(const element& e, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const std::size_t at = e.attributes.find(key);
  REQUIRE_MESSAGE(at != std::string::npos, "no attribute ", name, " in <", e.name, ">");
  const std::size_t start = at + key.size();
  return e.attributes.substr(start, e.attributes.find('"', start) - start);
}

double number(const element& e, const std::string& name) {
  return std::strtod(attribute(e, name).c_str(), nullptr);
}

std::vector<std::pair<double, double>> polyline_points(const element& e) {
  std::vector<std::pair<double, double>> out;
  const std::string points = attribute(e, "points");
  const char* p = points.c_str();
  while (*p != '\0') {
    char* end = nullptr;
    const double x = std::strtod(p, &end);
    REQUIRE(*end == ',');
    const double y = std::strtod(end + 1, &end);
    out.emplace_back(x, y);
    p = end;
    while (*p == ' ') ++p;
  }
  return out;
}

}  // namespace

TEST_CASE("report: nice ticks enclose the range with 1, 2 or 5 times a power of ten apart") {
  ovo::rng_engine rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    const double scale = std::pow(10.0, static_cast<double>(ovo::uniform_index(rng, 16)) - 8);
    double lo = (ovo::uniform_unit(rng) - 0.5) * scale, hi = lo + ovo::uniform_unit(rng) * scale;
    if (trial % 10 == 0) hi = lo;  // a single value
    const auto t = ovo::nice_ticks(lo, hi);
    REQUIRE(t.values.size() >= 2);
    CHECK(t.values.size() <= 12);
    CHECK(t.values.front() <= lo);
    CHECK(t.values.back() >= hi);
    // No tick more than needed at either end.
    if (lo < hi) {
      CHECK(t.values[1] > lo);
      CHECK(t.values[t.values.size() - 2] < hi);
    }
    const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-12));
    CHECK((std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
           std::abs(mantissa - 5) < 1e-9));
    for (std::size_t k = 1; k < t.values.size(); ++k)
      CHECK(t.values[k] - t.values[k - 1] == doctest::Approx(t.step));
  }
  const auto unit = ovo::nice_ticks(0, 1);
  CHECK(unit.values == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  CHECK(ovo::tick_labels(unit) ==
        std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  CHECK(ovo::tick_labels(ovo::nice_ticks(5.1e6, 5.9e6)) ==
        std::vector<std::string>{"5.0M", "5.2M", "5.4M", "5.6M", "5.8M", "6.0M"});
  CHECK(ovo::tick_labels(ovo::nice_ticks(0.001, 0.0042)) ==
        std::vector<std::string>{"0.001", "0.002", "0.003", "0.004", "0.005"});
  CHECK(ovo::tick_labels(ovo::nice_ticks(0, 0.0024)) ==
        std::vector<std::string>{"0.0000", "0.0005", "0.0010", "0.0015", "0.0020", "0.0025"});
  CHECK(ovo::tick_labels(ovo::nice_ticks(-20, 80)) ==
        std::vector<std::string>{"-20", "0", "20", "40", "60", "80"});
  CHECK_THROWS_WITH(ovo::nice_ticks(2, 1), doctest::Contains("expected finite lo <= hi"));
  CHECK_THROWS_WITH(ovo::nice_ticks(-1e308, 1e308), doctest::Contains("difference is finite"));
  // A range too narrow for its magnitude is widened around its middle.
  const auto narrow = ovo::nice_ticks(1e9, 1e9 + 1e-6);
  CHECK(narrow.values.front() <= 1e9);
  CHECK(narrow.values.back() >= 1e9 + 1e-6);
  CHECK(narrow.values.size() <= 12);
}

TEST_CASE("report: an SVG plot is well-formed, one polyline per line series, points in frame") {
  std::vector<ovo::plot_series> series(3);
  series[0] = {"evolution", {0, 1, 2, 3, 4}, {0.61, 0.70, 0.74, 0.77, 0.78}, true, ""};
  series[1] = {
      "random", {0, 1, 2, 3, 4, 5, 6}, {0.55, 0.6, 0.62, 0.64, 0.64, 0.65, 0.66}, true, "#000"};
  series[2] = {"all candidates", {0.3, 4.2, 2.2}, {0.5, 0.58, 0.71}, false, ""};
  const std::string svg = ovo::svg_plot("Best top-1", "generation", "top-1", series);
  const auto elements = parse_xml(svg);
  REQUIRE(elements.front().name == "svg");
  CHECK(attribute(elements.front(), "width") == "640");
  CHECK(attribute(elements.front(), "xmlns") == "http://www.w3.org/2000/svg");

  std::vector<std::vector<std::pair<double, double>>> lines;
  std::vector<std::pair<double, double>> markers;
  const element* frame = nullptr;
  for (const auto& e : elements) {
    if (e.name == "polyline") lines.push_back(polyline_points(e));
    if (e.name == "rect" && attribute(e, "fill") == "none") frame = &e;
    if (e.name == "circle") markers.emplace_back(number(e, "cx"), number(e, "cy"));
  }
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].size() == 5);
  CHECK(lines[1].size() == 7);
  CHECK(markers.size() == 3 + 1);  // three points and the legend's marker
  CHECK(svg.find("stroke=\"#000\"") != std::string::npos);
  REQUIRE(frame != nullptr);
  const double x = number(*frame, "x"), y = number(*frame, "y");
  const double w = number(*frame, "width"), h = number(*frame, "height");
  markers.pop_back();
  for (const auto& line : lines) markers.insert(markers.end(), line.begin(), line.end());
  for (auto [px, py] : markers) {
    CHECK(px >= x - 1e-9);
    CHECK(px <= x + w + 1e-9);
    CHECK(py >= y - 1e-9);
    CHECK(py <= y + h + 1e-9);
  }
  // Higher values are drawn higher: y decreases along the rising evolution curve.
  for (std::size_t k = 1; k < lines[0].size(); ++k)
    CHECK(lines[0][k].second < lines[0][k - 1].second);
  for (const char* text :
       {">evolution<", ">random<", ">all candidates<", ">generation<", ">top-1<", ">Best top-1<"})
    CHECK(svg.find(text) != std::string::npos);
}

TEST_CASE("report: plot text is XML-escaped") {
  const std::vector<ovo::plot_series> series{{"a < b & \"c\"", {1, 2}, {3, 4}, true, ""}};
  const std::string svg = ovo::svg_plot("<script>&", "x's", "y > 0", series);
  parse_xml(svg);
  CHECK(svg.find("&lt;script&gt;&amp;") != std::string::npos);
  CHECK(svg.find("a &lt; b &amp; &quot;c&quot;") != std::string::npos);
  CHECK(svg.find("x&apos;s") != std::string::npos);
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(ovo::xml_escape("<&>\"'ok") == "&lt;&amp;&gt;&quot;&apos;ok");
}

TEST_CASE("report: plots of no points, one point or flat data are still well-formed") {
  parse_xml(ovo::svg_plot("empty", "x", "y", {}));
  const std::vector<ovo::plot_series> one{{"", {2}, {2}, false, ""}, {"", {}, {}, true, ""}};
  const auto svg = ovo::svg_plot("", "x", "y", one, 300, 200);
  const auto elements = parse_xml(svg);
  int polylines = 0;
  for (const auto& e : elements) polylines += e.name == "polyline";
  CHECK(polylines == 1);
  CHECK(svg.find("width=\"300\"") != std::string::npos);
}

TEST_CASE("report: plots reject mismatched, non-finite or cramped input") {
  const std::vector<ovo::plot_series> mismatched{{"s", {1, 2}, {1}, true, ""}};
  CHECK_THROWS_WITH(ovo::svg_plot("", "", "", mismatched),
                    doctest::Contains("series 's' has 2 x and 1 y values"));
  const std::vector<ovo::plot_series> infinite{{"s", {1, 2}, {1, INFINITY}, true, ""}};
  CHECK_THROWS_WITH(ovo::svg_plot("", "", "", infinite),
                    doctest::Contains("point 1 is (2, inf), expected finite values"));
  CHECK_THROWS_WITH(ovo::svg_plot("", "", "", {}, 100, 100), doctest::Contains("100x100 canvas"));
}

TEST_CASE("report: a plot written atomically reads back whole") {
  ovo::test::temp_dir dir("svg_plot");
  const std::vector<ovo::plot_series> series{{"s", {0, 1}, {0, 1}, true, ""}};
  const std::string svg = ovo::svg_plot("t", "x", "y", series);
  ovo::io::write_file_atomically(dir / "plot.svg", svg);
  const auto bytes = ovo::io::read_file_bytes(dir / "plot.svg");
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()) == svg);
}

TEST_CASE(
    "report: a method's front is over all its searches, drawn in one colour with its choices") {
  using candidate = ovo::basic_candidate<int>;
  auto at = [](int arch, std::uint64_t params, double fitness) {
    return candidate{arch, fitness, params, 0.0, 0, "random"};
  };
  auto search = [](std::vector<candidate> history) {
    ovo::basic_search_result<int> r;
    r.history = std::move(history);
    r.best = *std::max_element(r.history.begin(), r.history.end(),
                               [](const auto& a, const auto& b) { return a.fitness < b.fitness; });
    r.pareto = ovo::pareto_front(r.history);
    return r;
  };
  // Two budgets' searches of method "a": the second's 150k at 0.7 dominates the first's 200k and
  // 300k, so the combined front is 100k and 150k only. Method "b" ran one search.
  const std::vector<ovo::method_searches<int>> methods{
      {"a",
       {search({at(1, 100, 0.5), at(2, 200, 0.6), at(3, 300, 0.55)}),
        search({at(4, 150, 0.7), at(5, 400, 0.65)})}},
      {"b", {search({at(6, 120, 0.4), at(7, 500, 0.8)})}}};
  const auto front = ovo::combined_front(methods[0]);
  REQUIRE(front.size() == 2);
  CHECK(front[0].architecture == 1);
  CHECK(front[1].architecture == 4);

  const auto j = ovo::fronts_json<int>(methods);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["name"] == "a");
  CHECK(j[0]["front"].size() == 2);
  CHECK(j[0]["chosen"][0]["arch"] == 2);  // the best of the first search, though off the front
  CHECK(j[0]["chosen"][1]["arch"] == 4);
  CHECK(j[1]["front"].size() == 2);

  const auto svg = ovo::fronts_svg<int>("fronts", methods);
  std::vector<std::string> line_colours, marker_colours;
  int markers = 0;
  for (const auto& e : parse_xml(svg)) {
    if (e.name == "polyline") line_colours.push_back(attribute(e, "stroke"));
    if (e.name == "g" && e.attributes.find(" fill=") != std::string::npos)
      marker_colours.push_back(attribute(e, "fill"));
    markers += e.name == "circle";
  }
  REQUIRE(line_colours.size() == 2);
  CHECK(line_colours[0] != line_colours[1]);
  // Each method's choices are drawn in its line's colour; the legend lists the methods only.
  CHECK(std::count(marker_colours.begin(), marker_colours.end(), line_colours[0]) == 1);
  CHECK(std::count(marker_colours.begin(), marker_colours.end(), line_colours[1]) == 1);
  CHECK(markers == 3);
  CHECK(svg.find(">a<") != std::string::npos);
  CHECK(svg.find(">b<") != std::string::npos);
}
