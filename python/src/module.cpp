// The Python module ovo._ovo: spaces, costs, searches with Python fitness callables, samplers and
// the CPU supernet, over the handles of space_handle.hpp and supernet_handle.hpp.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "json_object.hpp"
#include "space_table.hpp"
#include "supernet_handle.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace ovo::python {
namespace {

constexpr double unlimited = std::numeric_limits<double>::infinity();

struct py_space {
  std::string name, description;
  std::shared_ptr<const space_handle> handle;
};

const std::vector<named_space>& all_spaces() {
  static const std::vector<named_space> spaces = [] {
    auto out = vit_spaces();
    for (auto& s : emo_spaces()) out.push_back(std::move(s));
    return out;
  }();
  return spaces;
}

py_space space_named(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : all_spaces()) {
    if (s.name == name) return {s.name, s.description, s.make()};
    names.push_back(s.name);
  }
  throw py::value_error(
      fmt::format("space '{}': expected one of {}", name, fmt::join(names, ", ")));
}

// Python callables as the searches' fitness and progress: called with the GIL held, on the
// thread that runs the search (which releases the GIL in between).
json_fitness fitness_from(py::function f) {
  return [f = std::move(f)](const json& a) {
    py::gil_scoped_acquire gil;
    const py::object value = f(to_python(a));
    try {
      return value.cast<double>();
    } catch (const py::cast_error&) {
      throw py::type_error(fmt::format("fitness: returned {}, expected a number",
                                       py::repr(value).cast<std::string>()));
    }
  };
}
json_progress progress_from(const std::optional<py::function>& f) {
  if (!f) return {};
  return [f = *f](int generation, const json& best, std::size_t evaluated) {
    py::gil_scoped_acquire gil;
    f(generation, to_python(best), evaluated);
  };
}

cost_constraint constraint_of(double min_params, double max_params, double min_macs,
                              double max_macs) {
  cost_constraint c{.min_params = min_params,
                    .max_params = max_params,
                    .min_flops = min_macs,
                    .max_flops = max_macs};
  c.validate();
  return c;
}

json arch_of(py::handle a) {
  return from_python(a, "arch");
}

bool space_contains(const py_space& s, py::handle a) {
  return s.handle->invalid_gene(arch_of(a)).empty();
}

// The images of a supernet's forward pass: a C-contiguous float32 array (N, C, H, W) (a
// non-contiguous one is copied).
py::array_t<float, py::array::c_style> images_of(py::handle o, const supernet_handle& net) {
  if (!py::isinstance<py::array>(o))
    throw py::type_error(fmt::format("images: a {}, expected a NumPy array of float32",
                                     py::type::of(o).attr("__name__").cast<std::string>()));
  const auto a = py::reinterpret_borrow<py::array>(o);
  if (!a.dtype().is(py::dtype::of<float>()))
    throw py::type_error(
        fmt::format("images: dtype {}, expected float32", py::str(a.dtype()).cast<std::string>()));
  const auto g = net.input();
  std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
  if (a.ndim() != 4 || a.shape(1) != g.channels || a.shape(2) != g.height ||
      a.shape(3) != g.width || a.shape(0) < 1)
    throw py::value_error(fmt::format("images: shape ({}), expected (N, {}, {}, {}) with N >= 1",
                                      fmt::join(shape, ", "), g.channels, g.height, g.width));
  return py::array_t<float, py::array::c_style>::ensure(a);
}

// The labels of `count` images: integers in 0..classes-1, one per image.
std::vector<int> labels_of(py::handle o, std::size_t count, int classes) {
  if (!py::isinstance<py::array>(o) && !py::isinstance<py::sequence>(o))
    throw py::type_error("labels: expected a NumPy array or a sequence of integers");
  const auto a = py::array::ensure(o);
  if (!a || a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != count)
    throw py::value_error(fmt::format("labels: expected {} labels in one dimension", count));
  if (a.dtype().kind() != 'i' && a.dtype().kind() != 'u')
    throw py::type_error(
        fmt::format("labels: dtype {}, expected integers", py::str(a.dtype()).cast<std::string>()));
  const auto values =
      py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  std::vector<int> out;
  for (py::ssize_t i = 0; i < values.shape(0); ++i) {
    const std::int64_t v = values.at(i);
    if (v < 0 || v >= classes)
      throw py::value_error(fmt::format("labels[{}] = {}, expected 0..{}", i, v, classes - 1));
    out.push_back(static_cast<int>(v));
  }
  return out;
}

std::span<const float> span_of(const py::array_t<float, py::array::c_style>& a) {
  return {a.data(), static_cast<std::size_t>(a.size())};
}

void define_space(py::module_& m) {
  py::class_<py_space>(m, "Space", R"doc(
A search space: its archs (dicts), their exact costs, sampling, mutation and crossover, the
searches and samplers over it, and its supernet.

``Space(name)`` is a named space of the ``ovo`` command (``ovo.spaces()`` lists them);
``Space.vit(...)`` is a ViT space of your own choices.)doc")
      .def(py::init(&space_named), "name"_a)
      .def_static(
          "vit",
          [](std::vector<int> embed, std::vector<int> depth, std::vector<int> heads,
             std::vector<double> mlp_ratio, int image_size, int patch_size, int channels,
             int classes, int head_dim, int super_embed, int super_depth, int super_heads,
             double super_mlp_ratio) {
            vit_space_choices c{.embed = std::move(embed),
                                .depth = std::move(depth),
                                .heads = std::move(heads),
                                .mlp_ratio = std::move(mlp_ratio),
                                .image_size = image_size,
                                .patch_size = patch_size,
                                .channels = channels,
                                .classes = classes,
                                .head_dim = head_dim,
                                .super_embed = super_embed,
                                .super_depth = super_depth,
                                .super_heads = super_heads,
                                .super_mlp_ratio = super_mlp_ratio};
            return py_space{"vit",
                            fmt::format("ViT: embed {}, depth {}, heads {}, mlp_ratio {}", c.embed,
                                        c.depth, c.heads, c.mlp_ratio),
                            make_runtime_vit_space(c)};
          },
          "embed"_a, "depth"_a, "heads"_a, "mlp_ratio"_a, py::kw_only(), "image_size"_a = 224,
          "patch_size"_a = 16, "channels"_a = 3, "classes"_a = 1000, "head_dim"_a = 64,
          "super_embed"_a = 0, "super_depth"_a = 0, "super_heads"_a = 0, "super_mlp_ratio"_a = 0.0,
          R"doc(A ViT space of these choices (each list positive and strictly increasing) on
this image geometry. The supernet's own dims (super_*) default to the largest choices (0).)doc")
      .def_readonly("name", &py_space::name)
      .def_readonly("description", &py_space::description)
      .def_property_readonly(
          "family", [](const py_space& s) { return s.handle->family(); }, "'vit' or 'emo'")
      .def_property_readonly(
          "size", [](const py_space& s) { return s.handle->size(); },
          "The number of archs (0: more than 64 bits hold, or not counted).")
      .def(
          "sample",
          [](const py_space& s, std::uint64_t seed, std::optional<int> count) -> py::object {
            if (count && *count < 0) throw py::value_error("count: expected at least 0");
            const auto archs = s.handle->sample(seed, count.value_or(1));
            return count ? to_python(archs) : to_python(archs.at(0));
          },
          "seed"_a = 0, "count"_a = py::none(),
          "One arch drawn uniformly gene by gene from an engine seeded `seed` (with `count`: a "
          "list of that many, from one engine).")
      .def(
          "mutate",
          [](const py_space& s, py::handle a, std::uint64_t seed, double structure_rate,
             double gene_rate) {
            return to_python(s.handle->mutate(arch_of(a), seed, {structure_rate, gene_rate}));
          },
          "arch"_a, "seed"_a = 0, "structure_rate"_a = 0.4, "gene_rate"_a = 0.2,
          "A mutation of `arch`, as evolution draws it.")
      .def(
          "crossable",
          [](const py_space& s, py::handle a, py::handle b) {
            return s.handle->crossable(arch_of(a), arch_of(b));
          },
          "first"_a, "second"_a)
      .def(
          "crossover",
          [](const py_space& s, py::handle a, py::handle b, std::uint64_t seed) {
            return to_python(s.handle->crossover(arch_of(a), arch_of(b), seed));
          },
          "first"_a, "second"_a, "seed"_a = 0)
      .def(
          "validate",
          [](const py_space& s, py::handle a) { return to_python(s.handle->validate(arch_of(a))); },
          "arch"_a,
          "The arch as the space writes it; raises ValueError naming the first gene outside the "
          "space.")
      .def("contains", &space_contains, "arch"_a)
      .def("__contains__", &space_contains)
      .def("smallest", [](const py_space& s) { return to_python(s.handle->smallest()); })
      .def("largest", [](const py_space& s) { return to_python(s.handle->largest()); })
      .def(
          "params", [](const py_space& s, py::handle a) { return s.handle->params(arch_of(a)); },
          "arch"_a, "Parameters of the arch as a standalone model.")
      .def(
          "macs", [](const py_space& s, py::handle a) { return s.handle->macs(arch_of(a)); },
          "arch"_a, "Multiply-adds of one image's forward pass.")
      .def(
          "genes", [](const py_space& s) { return to_python(s.handle->genes()); },
          "The genes (name, number of choices) that code an arch.")
      .def(
          "encode", [](const py_space& s, py::handle a) { return s.handle->encode(arch_of(a)); },
          "arch"_a, "The arch as one choice index per gene (-1: unused).")
      .def(
          "decode",
          [](const py_space& s, const std::vector<int>& v) {
            return to_python(s.handle->decode(v));
          },
          "values"_a)
      .def(
          "to_json",
          [](const py_space& s, py::handle a) { return s.handle->validate(arch_of(a)).dump(); },
          "arch"_a)
      .def(
          "from_json",
          [](const py_space& s, const std::string& text) {
            json j;
            try {
              j = json::parse(text);
            } catch (const json::exception& e) {
              throw py::value_error(fmt::format("arch JSON: not valid JSON: {}", e.what()));
            }
            return to_python(s.handle->validate(j));
          },
          "text"_a)
      .def(
          "evolutionary_search",
          [](const py_space& s, py::function fitness, double min_params, double max_params,
             double min_macs, double max_macs, int population, int generations, int parents,
             int mutations, int crossovers, double structure_rate, double gene_rate,
             std::uint64_t seed, int max_attempts, double time_budget,
             std::optional<py::function> progress) {
            const auto constraint = constraint_of(min_params, max_params, min_macs, max_macs);
            evolution_options options{population,   generations,    parents,   mutations,
                                      crossovers,   structure_rate, gene_rate, seed,
                                      max_attempts, time_budget};
            options.validate();
            const auto f = fitness_from(std::move(fitness));
            const auto report = progress_from(progress);
            json result;
            {
              py::gil_scoped_release released;
              result = s.handle->evolutionary_search(f, constraint, options, report);
            }
            return to_python(result);
          },
          "fitness"_a, py::kw_only(), "min_params"_a = 0.0, "max_params"_a = unlimited,
          "min_macs"_a = 0.0, "max_macs"_a = unlimited, "population"_a = 50, "generations"_a = 20,
          "parents"_a = 10, "mutations"_a = 25, "crossovers"_a = 25, "structure_rate"_a = 0.4,
          "gene_rate"_a = 0.2, "seed"_a = 0, "max_attempts"_a = 1000, "time_budget"_a = 0.0,
          "progress"_a = py::none(),
          R"doc(AutoFormer's evolution over archs within the cost bounds, maximising
``fitness(arch)``. Returns ``{"best", "history", "best_fitness_per_generation", "pareto"}``; each
candidate is ``{"arch", "fitness", "params", "flops" (multiply-adds), "generation", "origin"}``.
``progress(generation, best, evaluated)`` is called after each generation.)doc")
      .def(
          "random_search",
          [](const py_space& s, py::function fitness, int samples, double min_params,
             double max_params, double min_macs, double max_macs, std::uint64_t seed,
             int max_attempts, std::optional<py::function> progress) {
            const auto constraint = constraint_of(min_params, max_params, min_macs, max_macs);
            const auto f = fitness_from(std::move(fitness));
            const auto report = progress_from(progress);
            json result;
            {
              py::gil_scoped_release released;
              result = s.handle->random_search(f, constraint, samples, seed, max_attempts, report);
            }
            return to_python(result);
          },
          "fitness"_a, "samples"_a = 1000, py::kw_only(), "min_params"_a = 0.0,
          "max_params"_a = unlimited, "min_macs"_a = 0.0, "max_macs"_a = unlimited, "seed"_a = 0,
          "max_attempts"_a = 1000, "progress"_a = py::none(),
          "The best of `samples` archs drawn uniformly within the cost bounds (same result as "
          "evolutionary_search).")
      .def(
          "draw_step",
          [](const py_space& s, long step, std::uint64_t seed, const std::string& strategy,
             const std::string& teacher, int sandwich_random, double max_params) {
            const sampler_options options{parse_sampling_strategy(strategy),
                                          parse_teacher_rule(teacher), sandwich_random, max_params};
            return to_python(s.handle->draw_step(options, seed, step));
          },
          "step"_a, py::kw_only(), "seed"_a = 0, "strategy"_a = "ovo", "teacher"_a = "largest",
          "sandwich_random"_a = 2, "max_params"_a = unlimited,
          R"doc(The archs that training step `step` of a run seeded `seed` trains, as the
trainer draws them: ``{"teacher": arch or None, "students": [arch, ...]}``. strategy: uniform,
sandwich or ovo; teacher (ovo): largest or larger-random.)doc")
      .def(
          "focusformer_sampler",
          [](const py_space& s, std::uint64_t seed, const std::string& cost, int bins,
             int candidates, long update_every, int update_samples, double learning_rate,
             double baseline_momentum, int max_draws, int bin_sample, double max_params) {
            const focusformer_options options{parse_cost_measure(cost),
                                              bins,
                                              candidates,
                                              update_every,
                                              update_samples,
                                              learning_rate,
                                              baseline_momentum,
                                              max_draws,
                                              bin_sample};
            return std::shared_ptr<focusformer_handle>(
                s.handle->focusformer(options, seed, max_params));
          },
          py::kw_only(), "seed"_a = 0, "cost"_a = "params", "bins"_a = 4, "candidates"_a = 3,
          "update_every"_a = 100, "update_samples"_a = 4, "learning_rate"_a = 0.5,
          "baseline_momentum"_a = 0.9, "max_draws"_a = 200, "bin_sample"_a = 4096,
          "max_params"_a = unlimited,
          "FocusFormer's learned sampler over this space: budget bins of the cost, a "
          "distribution over every gene per bin.")
      .def(
          "supernet",
          [](const py_space& s, int max_batch, std::uint64_t seed, double weight_decay,
             double label_smoothing, double max_grad_norm, double drop_path) {
            if (max_batch < 1) throw py::value_error("max_batch: expected at least 1");
            return std::shared_ptr<supernet_handle>(s.handle->supernet(
                max_batch, seed,
                training_settings{weight_decay, label_smoothing, max_grad_norm, drop_path}));
          },
          py::kw_only(), "max_batch"_a = 64, "seed"_a = 0, "weight_decay"_a = 0.05,
          "label_smoothing"_a = 0.1, "max_grad_norm"_a = 0.0, "drop_path"_a = 0.1,
          "The space's weight-sharing supernet on the CPU, initialised as the ovo command does "
          "for `seed` (so it loads the command's checkpoints).")
      .def("__repr__", [](const py_space& s) { return fmt::format("ovo.Space('{}')", s.name); });
}

void define_focusformer(py::module_& m) {
  py::class_<focusformer_handle, std::shared_ptr<focusformer_handle>>(
      m, "FocusFormerSampler", "FocusFormer's learned sampler (Space.focusformer_sampler).")
      .def(
          "draw_step",
          [](const focusformer_handle& f, long step, std::uint64_t seed) {
            return to_python(f.draw_step(seed, step));
          },
          "step"_a, "seed"_a = 0,
          "The bin and the candidate archs of training step `step` of a run seeded `seed`: "
          "``{\"bin\", \"candidates\"}``.")
      .def(
          "draw",
          [](const focusformer_handle& f, int bin, std::uint64_t seed) {
            return to_python(f.draw(bin, seed));
          },
          "bin"_a, "seed"_a = 0)
      .def(
          "update",
          [](focusformer_handle& f, int bin, py::handle archs, const std::vector<double>& rewards) {
            f.update(bin, from_python(archs, "archs"), rewards);
          },
          "bin"_a, "archs"_a, "rewards"_a,
          "A policy-gradient step of bin `bin`'s distributions: the archs and their rewards "
          "(higher is better).")
      .def_property_readonly("edges", &focusformer_handle::edges,
                             "The bins' bounds in the sampler's cost measure.")
      .def("bin_of", &focusformer_handle::bin_of, "cost"_a)
      .def(
          "fits",
          [](const focusformer_handle& f, int bin, py::handle a) {
            return f.fits(bin, arch_of(a));
          },
          "bin"_a, "arch"_a)
      .def("probabilities", &focusformer_handle::probabilities, "bin"_a, "gene"_a)
      .def(
          "mode", [](const focusformer_handle& f, int bin) { return to_python(f.mode(bin)); },
          "bin"_a, "The most likely arch of the bin.")
      .def("baseline", &focusformer_handle::baseline, "bin"_a)
      .def("updates", &focusformer_handle::updates, "bin"_a)
      .def(
          "state", [](const focusformer_handle& f) { return to_python(f.state()); },
          "The sampler's state as a dict (what checkpoints hold).")
      .def(
          "load_state",
          [](focusformer_handle& f, py::handle state) {
            f.load_state(from_python(state, "state"));
          },
          "state"_a)
      .def(
          "specialise",
          [](const focusformer_handle& h, py::function fitness, int draws, double min_params,
             double max_params, double min_macs, double max_macs, std::uint64_t seed,
             std::optional<py::function> progress) {
            const auto constraint = constraint_of(min_params, max_params, min_macs, max_macs);
            const auto f = fitness_from(std::move(fitness));
            const auto report = progress_from(progress);
            json result;
            {
              py::gil_scoped_release released;
              result = h.specialise(f, constraint, draws, seed, report);
            }
            return to_python(result);
          },
          "fitness"_a, "draws"_a = 100, py::kw_only(), "min_params"_a = 0.0,
          "max_params"_a = unlimited, "min_macs"_a = 0.0, "max_macs"_a = unlimited, "seed"_a = 0,
          "progress"_a = py::none(),
          "FocusFormer's specialisation: the best of `draws` archs drawn from the bin of the "
          "budget, each within the cost bounds.");
}

void define_supernet(py::module_& m) {
  py::class_<supernet_handle, std::shared_ptr<supernet_handle>>(
      m, "Supernet", "A space's weight-sharing supernet on the CPU (Space.supernet).")
      .def_property_readonly("input_shape",
                             [](const supernet_handle& n) {
                               const auto g = n.input();
                               return py::make_tuple(g.channels, g.height, g.width);
                             })
      .def_property_readonly("classes", &supernet_handle::classes)
      .def_property_readonly("max_batch", &supernet_handle::max_batch)
      .def_property_readonly("parameter_count", &supernet_handle::parameter_count,
                             "Values in the supernet's parameter buffer.")
      .def_property_readonly("optimizer_steps", &supernet_handle::optimizer_steps)
      .def(
          "forward",
          [](supernet_handle& n, py::handle a, py::handle images) {
            const auto arch = arch_of(a);
            const auto x = images_of(images, n);
            py::array_t<float> logits(
                {static_cast<py::ssize_t>(x.shape(0)), static_cast<py::ssize_t>(n.classes())});
            const std::span<float> out(logits.mutable_data(),
                                       static_cast<std::size_t>(logits.size()));
            {
              py::gil_scoped_release released;
              n.forward(arch, span_of(x), out);
            }
            return logits;
          },
          "arch"_a, "images"_a,
          "The logits (N, classes) of the subnet `arch` on images (N, C, H, W) float32, "
          "normalised as the dataset's loader does; in evaluation mode.")
      .def(
          "top1",
          [](supernet_handle& n, py::handle a, py::handle images, py::handle labels) {
            const auto arch = arch_of(a);
            const auto x = images_of(images, n);
            const auto y = labels_of(labels, static_cast<std::size_t>(x.shape(0)), n.classes());
            std::size_t correct = 0;
            {
              py::gil_scoped_release released;
              correct = n.count_correct(arch, span_of(x), y);
            }
            return static_cast<double>(correct) / static_cast<double>(y.size());
          },
          "arch"_a, "images"_a, "labels"_a, "Top-1 accuracy of the subnet on the images.")
      .def(
          "train_step",
          [](supernet_handle& n, py::handle a, py::handle images, py::handle labels, double lr,
             long step) {
            const auto arch = arch_of(a);
            const auto x = images_of(images, n);
            const auto y = labels_of(labels, static_cast<std::size_t>(x.shape(0)), n.classes());
            py::gil_scoped_release released;
            return n.train_step(arch, span_of(x), y, lr, step);
          },
          "arch"_a, "images"_a, "labels"_a, py::kw_only(), "lr"_a, "step"_a = 0,
          "One AdamW step of the subnet on a batch (at most max_batch images); returns the mean "
          "cross-entropy. Drop-path draws are a function of (seed, step).")
      .def(
          "calibrate_batch_norm",
          [](supernet_handle& n, py::handle a, py::handle images) {
            const auto arch = arch_of(a);
            const auto x = images_of(images, n);
            py::gil_scoped_release released;
            n.calibrate_batch_norm(arch, span_of(x));
          },
          "arch"_a, "images"_a,
          "Sets the running batch-norm statistics the subnet reads to its own on these images "
          "(a few training batches): needed by an EMO subnet before top1, forward or "
          "export_subnet; nothing to do for a ViT.")
      .def(
          "proxy_scores",
          [](supernet_handle& n, py::handle archs, py::handle images, py::handle labels,
             const std::string& proxy) {
            const auto list = from_python(archs, "archs");
            const auto x = images_of(images, n);
            const auto y = labels_of(labels, static_cast<std::size_t>(x.shape(0)), n.classes());
            py::gil_scoped_release released;
            return n.proxy_scores(proxy, list, span_of(x), y);
          },
          "archs"_a, "images"_a, "labels"_a, "proxy"_a = "dss",
          "Training-free scores (higher is better) of the archs on one batch at the current "
          "weights: dss, synflow, naswot, snip, grad-norm, l2-norm, params or macs.")
      .def(
          "proxy_search",
          [](supernet_handle& n, py::handle images, py::handle labels, const std::string& proxy,
             const std::string& method, int samples, double min_params, double max_params,
             double min_macs, double max_macs, std::uint64_t seed, int population, int generations,
             int parents, int mutations, int crossovers, std::optional<py::function> progress) {
            const auto constraint = constraint_of(min_params, max_params, min_macs, max_macs);
            proxy_search_options options{
                .method = parse_proxy_search_method(method), .samples = samples, .seed = seed};
            options.evolution = {.population = population,
                                 .generations = generations,
                                 .parents = parents,
                                 .mutations = mutations,
                                 .crossovers = crossovers,
                                 .seed = seed};
            options.evolution.validate();
            const auto x = images_of(images, n);
            const auto y = labels_of(labels, static_cast<std::size_t>(x.shape(0)), n.classes());
            const auto report = progress_from(progress);
            json result;
            {
              py::gil_scoped_release released;
              result = n.proxy_search(proxy, span_of(x), y, constraint, options, report);
            }
            return to_python(result);
          },
          "images"_a, "labels"_a, "proxy"_a = "dss", py::kw_only(), "method"_a = "random",
          "samples"_a = 1000, "min_params"_a = 0.0, "max_params"_a = unlimited, "min_macs"_a = 0.0,
          "max_macs"_a = unlimited, "seed"_a = 0, "population"_a = 50, "generations"_a = 20,
          "parents"_a = 10, "mutations"_a = 25, "crossovers"_a = 25, "progress"_a = py::none(),
          "The ovo command's training-free search: random search over `samples` archs (or "
          "evolution) with the proxy's score on one batch as the fitness, within the cost "
          "bounds; the result as evolutionary_search's.")
      .def("save", &supernet_handle::save_checkpoint, "path"_a,
           "Writes a checkpoint (weights, buffers, optimiser state) as the ovo command does.")
      .def("load", &supernet_handle::load_checkpoint, "path"_a,
           "Loads a checkpoint of this space's supernet (the ovo command's "
           "out/supernet.safetensors).")
      .def(
          "export_subnet",
          [](const supernet_handle& n, const std::filesystem::path& path, py::handle a) {
            n.export_subnet(path, arch_of(a));
          },
          "path"_a, "arch"_a, "Writes the subnet's own weights as a safetensors file.");
}

}  // namespace
}  // namespace ovo::python

PYBIND11_MODULE(_ovo, m) {
  using namespace ovo::python;
  m.doc() = "ovo: one-shot neural architecture search of vision models (C++ core).";
  m.def(
      "spaces",
      [] {
        py::dict out;
        for (const auto& s : all_spaces()) out[py::str(s.name)] = s.description;
        return out;
      },
      "The named spaces, name -> description.");
  define_space(m);
  define_focusformer(m);
  define_supernet(m);
}
