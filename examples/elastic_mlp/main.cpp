// A supernet the library does not ship: an elastic MLP on Fashion-MNIST whose genes are its depth
// and the width of each hidden layer, trained (uniform or OVO sampling), checkpointed, resumed,
// searched under a parameter limit and exported with the library's own trainer, search and files.
//   elastic_mlp [fashion-mnist dir] [out dir] [steps] [uniform|ovo]
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <ovo/data/gzip.hpp>
#include <ovo/data/holdout.hpp>
#include <ovo/data/idx.hpp>
#include <ovo/data/loader.hpp>
#include <ovo/ovo.hpp>

namespace mlp {

constexpr int inputs = 28 * 28, num_classes = 10, max_depth = 3;
constexpr std::array<int, 3> width_choices{32, 64, 128};

struct arch {
  std::vector<int> widths;  // one per hidden layer
  friend auto operator<=>(const arch&, const arch&) = default;
};
std::string to_string(const arch& a) {
  return fmt::format("widths={}", a.widths);
}
void to_json(nlohmann::json& j, const arch& a) {
  j = {{"widths", a.widths}};
}
void from_json(const nlohmann::json& j, arch& a) {
  try {
    a.widths = j.at("widths").get<std::vector<int>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(e.what());
  }
}

// The search space: depth 1..3, each hidden width one of width_choices.
struct space {
  using arch_type = arch;
  static int draw(ovo::rng_engine& rng) { return width_choices[ovo::uniform_index(rng, 3)]; }
  static arch sample(ovo::rng_engine& rng) {
    arch a{std::vector<int>(1 + ovo::uniform_index(rng, max_depth))};
    for (int& w : a.widths) w = draw(rng);
    return a;
  }
  static arch mutate(const arch& parent, ovo::mutation_rates rates, ovo::rng_engine& rng) {
    arch child = parent;
    if (ovo::uniform_unit(rng) < rates.structure) {
      const std::size_t depth = 1 + ovo::uniform_index(rng, max_depth);
      while (child.widths.size() < depth) child.widths.push_back(draw(rng));
      child.widths.resize(depth);
    }
    for (int& w : child.widths)
      if (ovo::uniform_unit(rng) < rates.gene) w = draw(rng);
    return child;
  }
  static bool crossable(const arch& a, const arch& b) { return a.widths.size() == b.widths.size(); }
  static arch crossover(const arch& a, const arch& b, ovo::rng_engine& rng) {
    arch child = a;
    for (std::size_t i = 0; i < child.widths.size(); ++i)
      if (ovo::uniform_index(rng, 2) == 1) child.widths[i] = b.widths[i];
    return child;
  }
  static std::string invalid_gene(const arch& a) {
    if (a.widths.empty() || a.widths.size() > max_depth)
      return fmt::format("depth {}, expected 1..{}", a.widths.size(), max_depth);
    for (std::size_t i = 0; i < a.widths.size(); ++i)
      if (std::find(width_choices.begin(), width_choices.end(), a.widths[i]) == width_choices.end())
        return fmt::format("widths[{}] = {}, expected one of {}", i, a.widths[i], width_choices);
    return {};
  }
  static bool contains(const arch& a) { return invalid_gene(a).empty(); }
  static void validate(const arch& a) {
    if (auto why = invalid_gene(a); !why.empty()) throw std::invalid_argument("mlp arch: " + why);
  }
  static arch smallest() { return {{width_choices.front()}}; }
  static arch largest() { return {std::vector<int>(max_depth, width_choices.back())}; }
  static std::int64_t params(const arch& a) { return macs(a) + biases(a); }
  static std::int64_t macs(const arch& a) {
    std::int64_t n = 0, in = inputs;
    for (int w : a.widths) n += in * w, in = w;
    return n + in * num_classes;
  }
  static std::int64_t biases(const arch& a) {
    std::int64_t n = num_classes;
    for (int w : a.widths) n += w;
    return n;
  }
};
static_assert(ovo::search_space<space>);

// The supernet: hidden layer i holds widths[i] x (widths[i - 1] or the pixels); a subnet is the
// first layers' prefix views, and one head reads the last active layer's first widths.
template <class Backend>
class supernet {
 public:
  using backend = Backend;
  using arch_type = arch;
  using T = typename Backend::scalar;

  supernet(std::vector<int> widths, int max_batch)
      : widths_(std::move(widths)), max_batch_(max_batch) {
    int in = inputs;
    for (std::size_t i = 0; i < widths_.size(); ++i) {
      layers_.emplace_back(params_, fmt::format("layers.{}", i), widths_[i], in);
      pre_.push_back(ws_.reserve(rows() * widths_[i]));
      act_.push_back(ws_.reserve(rows() * widths_[i]));
      in = widths_[i];
    }
    head_ = ovo::linear<Backend>(params_, "head", num_classes, in);
    const int widest = *std::max_element(widths_.begin(), widths_.end());
    for (auto* slot : {&logits_, &grad_a_, &grad_b_})
      *slot = ws_.reserve(rows() * std::max(widest, num_classes));
    params_.allocate();
    buffers_.allocate();
    ws_.allocate();
  }

  const T* forward(const ovo::image_batch<T>& images, const arch& a, ovo::forward_mode) {
    if (images.channels * images.height * images.width != inputs || images.batch < 1 ||
        images.batch > max_batch_)
      throw std::invalid_argument("mlp: expected 1..max_batch images of 28x28");
    check_fits(a);
    arch_ = a, batch_ = images.batch, input_ = images.data;
    for (std::size_t i = 0; i < a.widths.size(); ++i) {
      layers_[i].forward(params_, layer_input(i), pre(i));
      Backend::gelu_forward(pre(i).data, act(i).data,
                            static_cast<std::size_t>(batch_) * a.widths[i]);
    }
    head_.forward(params_, act(a.widths.size() - 1), view(logits_, num_classes));
    return ws_[logits_];
  }

  // Layer i's gradients accumulate; the activation gradients alternate between two buffers.
  void backward(const T* dlogits) {
    const std::size_t depth = arch_.widths.size();
    ovo::matrix_view<T> dy = view(grad_a_, arch_.widths.back());
    head_.backward(params_, ovo::make_matrix_view(dlogits, batch_, num_classes), act(depth - 1),
                   dy);
    for (std::size_t i = depth; i-- > 0;) {
      Backend::gelu_backward(pre(i).data, dy.data, dy.data,
                             static_cast<std::size_t>(dy.rows) * dy.cols);
      const auto other = dy.data == ws_[grad_a_] ? grad_b_ : grad_a_;
      const auto dx = i == 0 ? ovo::matrix_view<T>{} : view(other, arch_.widths[i - 1]);
      layers_[i].backward(params_, dy, layer_input(i), dx);
      dy = dx;
    }
  }

  ovo::parameter_store<Backend>& parameters() { return params_; }
  const ovo::parameter_store<Backend>& parameters() const { return params_; }
  ovo::parameter_store<Backend>& buffers() { return buffers_; }
  const ovo::parameter_store<Backend>& buffers() const { return buffers_; }
  void initialize(ovo::rng_engine& rng) { params_.initialize(rng); }
  int max_batch() const { return max_batch_; }
  int classes() const { return num_classes; }
  ovo::image_geometry input() const { return {1, 28, 28}; }
  std::vector<ovo::identity_field> identity() const {
    return {{"widths", "MLP widths", nlohmann::json(widths_).dump()}};
  }

  std::vector<ovo::subnet_tensor> subnet_tensors(const arch& a) const {
    check_fits(a);
    std::vector<ovo::subnet_tensor> out;
    int in = inputs;
    auto add = [&](const std::string& name, const ovo::linear<Backend>& l, int out_w, int in_w) {
      out.push_back({name + ".weight", {out_w, in_w}, l.weight, {{0, l.in_super, out_w, in_w}}});
      out.push_back({name + ".bias", {out_w}, l.bias, {{0, 0, 1, out_w}}});
    };
    for (std::size_t i = 0; i < a.widths.size(); ++i)
      add(fmt::format("layers.{}", i), layers_[i], a.widths[i], in), in = a.widths[i];
    add("head", head_, num_classes, in);
    return out;
  }
  ovo::text_fields subnet_description(const arch& a) const {
    return {{"arch", nlohmann::json(a).dump()}};
  }
  static std::pair<supernet, arch> standalone(const ovo::text_fields& fields,
                                              const ovo::tensor_shapes& stored, int max_batch) {
    const auto it = fields.find("arch");
    if (it == fields.end()) throw std::invalid_argument("metadata field 'arch' is missing");
    const arch a = ovo::parse_json_as<arch>(it->second, "mlp arch JSON");
    space::validate(a);
    int in = inputs;
    for (std::size_t i = 0; i < a.widths.size(); ++i) {
      const auto name = fmt::format("layers.{}.weight", i);
      if (!stored.contains(name) || stored.at(name) != std::vector<std::int64_t>{a.widths[i], in})
        throw std::invalid_argument(
            fmt::format("tensor '{}' missing or not [{}, {}]", name, a.widths[i], in));
      in = a.widths[i];
    }
    return {supernet(a.widths, max_batch), a};
  }

 private:
  std::size_t rows() const { return static_cast<std::size_t>(max_batch_); }
  // [batch, cols] of a workspace slot.
  ovo::matrix_view<T> view(ovo::workspace_slot slot, int cols) {
    return ovo::make_matrix_view(ws_[slot], batch_, cols);
  }
  ovo::matrix_view<T> pre(std::size_t i) { return view(pre_[i], arch_.widths[i]); }
  ovo::matrix_view<T> act(std::size_t i) { return view(act_[i], arch_.widths[i]); }
  ovo::matrix_view<const T> layer_input(std::size_t i) {
    return i == 0 ? ovo::make_matrix_view(input_, batch_, inputs) : act(i - 1);
  }
  void check_fits(const arch& a) const {
    if (a.widths.empty() || a.widths.size() > widths_.size())
      throw std::invalid_argument(fmt::format("mlp: {} does not fit {}", to_string(a), widths_));
    for (std::size_t i = 0; i < a.widths.size(); ++i)
      if (a.widths[i] < 1 || a.widths[i] > widths_[i])
        throw std::invalid_argument(fmt::format("mlp: {} does not fit {}", to_string(a), widths_));
  }

  std::vector<int> widths_;
  int max_batch_;
  ovo::parameter_store<Backend> params_, buffers_;
  ovo::workspace<Backend> ws_;
  std::vector<ovo::linear<Backend>> layers_;
  ovo::linear<Backend> head_;
  std::vector<ovo::workspace_slot> pre_, act_;
  ovo::workspace_slot logits_, grad_a_, grad_b_;
  arch arch_;
  int batch_ = 0;
  const T* input_ = nullptr;
};

}  // namespace mlp

int main(int argc, char** argv) {
  using net_type = mlp::supernet<ovo::cpu<float>>;
  static_assert(ovo::supernet<net_type>);
  namespace data = ovo::data;
  const std::filesystem::path data_dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  const std::filesystem::path out = argc > 2 ? argv[2] : "out/elastic_mlp";
  const long steps = argc > 3 ? std::stol(argv[3]) : 600;
  const std::string sampling = argc > 4 ? argv[4] : "ovo";
  std::filesystem::create_directories(out);

  const auto train = data::load_mnist_split(data_dir, "train");
  const auto test = data::load_mnist_split(data_dir, "test");
  const auto split = data::split_holdout(train.labels, 10, 20, /*seed=*/0);
  auto augment = data::augment_options::fashion_mnist();
  augment.crop_padding = 0, augment.flip_prob = 0;
  data::batch_loader loader(train, split.train, augment, {.batch_size = 32, .seed = 0});
  auto eval = [&](const data::image_set& set, std::vector<std::size_t> indices) {
    return data::batch_loader(
        set, std::move(indices), augment,
        {.batch_size = 64, .shuffle = false, .drop_last = false, .train = false});
  };

  ovo::trainer_options options;
  options.total_steps = steps;
  options.lr = 2e-3;
  options.warmup_steps = 20;
  options.log_every = steps / 4;
  options.sampler.strategy = ovo::parse_sampling_strategy(sampling);
  options.checkpoint_path = out / "supernet.safetensors";
  using trainer = ovo::supernet_trainer<mlp::space, net_type, decltype(loader)>;
  const std::vector<int> super_widths(mlp::max_depth, mlp::width_choices.back());
  ovo::rng_engine init(0);
  {  // The first half, then this process's objects are gone: the checkpoint holds the run.
    net_type first(super_widths, 64);
    first.initialize(init);
    trainer(first, loader, options).train({}, steps / 2);
  }
  net_type net(super_widths, 64);
  trainer resumed(net, loader, options);
  if (!resumed.resume()) return 1;
  fmt::print("resumed at step {}\n", resumed.step());
  resumed.train([](const ovo::training_record& r, long total) {
    fmt::print("step {}/{} loss {:.4f} (teacher {:.4f})\n", r.step, total, r.loss, r.teacher_loss);
  });

  auto holdout_loader = eval(train, split.holdout);
  const auto held_out = ovo::evaluation_set<ovo::cpu<float>>::from_loader(holdout_loader);
  const double limit = 60'000;
  const auto result = ovo::evolutionary_search<mlp::space>(
      [&](const mlp::arch& a) { return held_out.top1(net, a); }, {.max_params = limit},
      {.population = 10, .generations = 3, .mutations = 4, .crossovers = 4});
  const mlp::arch& best = result.best.architecture;
  ovo::io::export_subnet(out / "subnet.safetensors", net, best);
  auto subnet = ovo::io::load_subnet<net_type>(out / "subnet.safetensors", 64);
  std::vector<std::size_t> all(test.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto test_loader = eval(test, all);
  const double top1 = ovo::streamed_top1(net, best, test_loader);
  // The exported subnet, read back, gives the supernet's logits for its arch.
  const auto first = [&] {
    auto l = eval(test, {0, 1, 2, 3});
    l.start(0);
    return *l.next();
  }();
  const ovo::image_batch<float> images{first.images.data(), first.size, 1, 28, 28};
  const float* expected = net.forward(images, best, ovo::forward_mode::eval());
  const std::vector<float> from_supernet(expected, expected + first.size * mlp::num_classes);
  const float* got = subnet.forward(images);
  float max_diff = 0;
  for (std::size_t i = 0; i < from_supernet.size(); ++i)
    max_diff = std::max(max_diff, std::abs(got[i] - from_supernet[i]));
  fmt::print("chosen {}: {} params (limit {}), test top-1 {:.2f}%, exported logits within {:.1e}\n",
             to_string(best), result.best.params, limit, 100 * top1, max_diff);
  return result.best.params <= limit && subnet.architecture == best && max_diff < 1e-4f ? 0 : 1;
}
