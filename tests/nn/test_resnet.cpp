// The CIFAR ResNet: cifar100_resnet56's parameter count and names, gradients by central finite
// differences in training and eval mode, running statistics that only forward passes move, and
// checkpoints and exported files that give back the same logits.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "finite_differences.hpp"

namespace {

using ovo::test::dot;
using ovo::test::random_vector;
template <class Backend>
using resnet = ovo::resnet<Backend>;

static_assert(ovo::supernet<resnet<ovo::cpu<float>>>);
static_assert(ovo::supernet<resnet<ovo::cpu<double>>>);
static_assert(ovo::frozen_teacher<resnet<ovo::cpu<float>>, float>);

// ResNet-8 on batches of 2 non-square images (stages of 8x6, 4x3 and 2x2 pixels).
const ovo::resnet_shape tiny{.depth = 8, .classes = 5, .channels = 2, .height = 8, .width = 6};

template <class Backend>
std::vector<typename Backend::scalar> logits_of(resnet<Backend>& net,
                                                const ovo::image_batch<typename Backend::scalar>& x,
                                                ovo::forward_mode mode) {
  const auto* l = net.forward(x, net.arch(), mode);
  return {l, l + x.batch * net.classes()};
}

template <class Backend>
std::vector<typename Backend::scalar> values_of(const ovo::parameter_store<Backend>& store) {
  return {store.values(), store.values() + store.size()};
}

}  // namespace

TEST_CASE("resnet-56 at 100 classes has cifar100_resnet56's 861,620 parameters and names") {
  const resnet<ovo::cpu<float>> net({.depth = 56, .classes = 100}, 1);
  // conv1 + bn1; layer1: 9 blocks of two 16x16 3x3 convs and two batch norms; layer2 and layer3:
  // a first block with stride 2 and a projection (1x1 conv + batch norm), 8 more; fc.
  const std::int64_t stem = 16 * 3 * 9 + 2 * 16;
  const auto block = [](std::int64_t in, std::int64_t out) {
    const std::int64_t projection = in != out ? in * out + 2 * out : 0;
    return in * out * 9 + out * out * 9 + 4 * out + projection;
  };
  const std::int64_t layers =
      9 * block(16, 16) + block(16, 32) + 8 * block(32, 32) + block(32, 64) + 8 * block(64, 64);
  CHECK(stem + layers + 64 * 100 + 100 == 861'620);
  CHECK(net.parameters().size() == 861'620);
  // Two running statistics per batch-norm channel: 16 + 9 * 2 * 16 + (3 + 8 * 2) * 32 + (3 + 8
  // * 2) * 64.
  CHECK(net.buffers().size() == 2 * (16 + 9 * 2 * 16 + 19 * 32 + 19 * 64));
  CHECK(net.parameters().find("conv1.weight").shape == std::vector<std::int64_t>{16, 3, 3, 3});
  CHECK(net.parameters().find("layer2.0.downsample.0.weight").shape ==
        std::vector<std::int64_t>{32, 16, 1, 1});
  CHECK(net.parameters().find("layer3.8.conv2.weight").shape ==
        std::vector<std::int64_t>{64, 64, 3, 3});
  CHECK(net.parameters().find("fc.weight").shape == std::vector<std::int64_t>{100, 64});
  CHECK(net.buffers().find("layer3.0.downsample.1.running_var").shape ==
        std::vector<std::int64_t>{64});
  CHECK_THROWS_AS(net.parameters().find("layer1.0.downsample.0.weight"), std::out_of_range);
  // ResNet-20 at 10 classes: cifar10_resnet20's 272,474.
  CHECK(resnet<ovo::cpu<float>>({.depth = 20, .classes = 10}, 1).parameters().size() == 272'474);
}

TEST_CASE("resnet initialisation: Kaiming-normal (fan_out) convolutions, unit batch norms") {
  resnet<ovo::cpu<double>> net({.depth = 8, .classes = 10, .channels = 3}, 1);
  ovo::rng_engine rng(1);
  net.initialize(rng);
  const auto& p = net.parameters();
  const auto& w = p.find("layer3.0.conv2.weight");  // fan_out 64 * 9
  double squares = 0;
  for (std::size_t i = 0; i < w.size; ++i)
    squares += p.values()[w.offset + i] * p.values()[w.offset + i];
  CHECK(std::sqrt(squares / static_cast<double>(w.size)) ==
        doctest::Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.05));
  const auto& gamma = p.find("layer1.0.bn2.weight");
  CHECK(std::all_of(p.values() + gamma.offset, p.values() + gamma.offset + gamma.size,
                    [](double v) { return v == 1.0; }));
  const auto& var = net.buffers().find("bn1.running_var");
  CHECK(net.buffers().values()[var.offset] == 1.0);
}

TEST_CASE("resnet-8 gradients against finite differences, training and eval mode") {
  using backend = ovo::cpu<double>;
  const int batch = 2;
  resnet<backend> net(tiny, batch);
  ovo::rng_engine rng(2);
  net.initialize(rng);
  auto& p = net.parameters();
  auto& buffers = net.buffers();
  // Running statistics as a trained network has them.
  const auto stats = random_vector(buffers.size(), 3, 0.3);
  for (const auto& e : buffers.entries())
    for (std::size_t i = e.offset; i < e.offset + e.size; ++i)
      buffers.values()[i] = e.name.ends_with("running_var") ? 0.5 + stats[i] * stats[i] : stats[i];
  const auto images = random_vector(batch * tiny.input().values(), 4);
  const ovo::image_batch<double> x{images.data(), batch, tiny.channels, tiny.height, tiny.width};
  const auto dir = random_vector(batch * tiny.classes, 5);
  // About 100 parameters drawn from every tensor, each tensor at least once.
  std::vector<std::size_t> checked;
  ovo::rng_engine pick(6);
  for (const auto& e : p.entries())
    for (std::size_t k = 0; k < std::max<std::size_t>(1, e.size * 70 / p.size()); ++k)
      checked.push_back(e.offset + ovo::uniform_index(pick, e.size));
  CHECK(checked.size() >= 80);
  CHECK(checked.size() <= 150);

  for (const bool training : {true, false}) {
    CAPTURE(training);
    auto mode = [&] {
      return training ? ovo::forward_mode::train(rng) : ovo::forward_mode::eval();
    };
    auto loss = [&] { return dot(net.forward(x, net.arch(), mode()), dir.data(), dir.size()); };
    loss();
    const auto sentinel = random_vector(p.size(), 7);
    std::copy(sentinel.begin(), sentinel.end(), p.grads());
    net.backward(dir.data());
    std::vector<double> analytic;
    for (const std::size_t i : checked) analytic.push_back(p.grads()[i] - sentinel[i]);
    constexpr double h = 1e-6;
    for (std::size_t k = 0; k < checked.size(); ++k) {
      double& v = p.values()[checked[k]];
      const double saved = v;
      v = saved + h;
      const double up = loss();
      v = saved - h;
      const double down = loss();
      v = saved;
      INFO("parameter " << checked[k]);
      CHECK(analytic[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6).scale(1.0));
    }
  }
}

TEST_CASE("resnet running statistics: moved by training forwards only, never by the optimiser") {
  using backend = ovo::cpu<double>;
  const int batch = 2;
  resnet<backend> net(tiny, batch);
  ovo::rng_engine rng(8);
  net.initialize(rng);
  const auto images = random_vector(batch * tiny.input().values(), 9);
  const ovo::image_batch<double> x{images.data(), batch, tiny.channels, tiny.height, tiny.width};
  ovo::sgd<backend> optimizer(net.parameters(), {});
  const auto initial = values_of(net.buffers());
  net.forward(x, net.arch(), ovo::forward_mode::eval());
  CHECK(values_of(net.buffers()) == initial);
  const auto dlogits = random_vector(batch * tiny.classes, 10);
  for (int step = 0; step < 3; ++step) {
    net.parameters().zero_grad();
    net.forward(x, net.arch(), ovo::forward_mode::train(rng));
    const auto after_forward = values_of(net.buffers());
    CHECK(after_forward != initial);
    const auto weights = values_of(net.parameters());
    net.backward(dlogits.data());
    optimizer.step(0.1);
    CHECK(values_of(net.parameters()) != weights);
    CHECK(values_of(net.buffers()) == after_forward);
  }
  // The optimiser's state covers the parameters alone.
  CHECK(net.buffers().entries().size() > 0);
  for (const auto& e : net.buffers().entries())
    CHECK_THROWS_AS(net.parameters().find(e.name), std::out_of_range);
}

TEST_CASE("resnet: a checkpoint restores weights and running statistics bit for bit") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("resnet_checkpoint");
  const int batch = 3;
  resnet<backend> net(tiny, batch), restored(tiny, batch);
  ovo::rng_engine rng(11);
  net.initialize(rng);
  restored.initialize(rng);
  std::vector<float> images(batch * tiny.input().values());
  for (auto& v : images) v = static_cast<float>(ovo::standard_normal(rng));
  const ovo::image_batch<float> x{images.data(), batch, tiny.channels, tiny.height, tiny.width};
  net.forward(x, net.arch(), ovo::forward_mode::train(rng));  // running statistics away from 0, 1
  const ovo::adamw<backend> optimizer(net.parameters(), {});
  ovo::io::save_checkpoint(dir / "resnet.safetensors", net, optimizer);
  ovo::io::load_checkpoint(dir / "resnet.safetensors", restored);
  CHECK(values_of(restored.parameters()) == values_of(net.parameters()));
  CHECK(values_of(restored.buffers()) == values_of(net.buffers()));
  CHECK(logits_of(restored, x, ovo::forward_mode::eval()) ==
        logits_of(net, x, ovo::forward_mode::eval()));
  // Another depth is refused, naming the shape.
  auto deeper = tiny;
  deeper.depth = 14;
  resnet<backend> other(deeper, batch);
  CHECK_THROWS_WITH_AS(ovo::io::load_checkpoint(dir / "resnet.safetensors", other),
                       doctest::Contains("resnet shape"), std::runtime_error);
}

TEST_CASE("resnet: the exported file loads with load_subnet and gives the same logits") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("resnet_export");
  const int batch = 2;
  resnet<backend> net(tiny, batch);
  ovo::rng_engine rng(12);
  net.initialize(rng);
  std::vector<float> images(batch * tiny.input().values());
  for (auto& v : images) v = static_cast<float>(ovo::standard_normal(rng));
  const ovo::image_batch<float> x{images.data(), batch, tiny.channels, tiny.height, tiny.width};
  for (long pass = 0; pass < 2; ++pass)
    net.forward(x, net.arch(), ovo::forward_mode::calibration(pass));
  const auto path = dir / "teacher.safetensors";
  ovo::io::export_subnet(path, net, net.arch());
  const auto file = ovo::io::safetensors::load(path);
  CHECK(file.metadata.at("network") == "resnet");
  CHECK(file.at("layer1.0.bn1.running_mean").shape == std::vector<std::int64_t>{16});
  CHECK(file.names().size() == net.parameters().entries().size() + net.buffers().entries().size());
  auto loaded = ovo::io::load_subnet<resnet<backend>>(path, batch);
  CHECK(loaded.architecture == net.arch());
  CHECK(loaded.network.shape().width == tiny.width);
  const auto expected = logits_of(net, x, ovo::forward_mode::eval());
  const auto* l = loaded.forward(x);
  CHECK(std::vector<float>(l, l + batch * tiny.classes) == expected);
  std::size_t correct = 0;
  const std::vector<int> labels{0, 1};
  CHECK_NOTHROW(correct = ovo::count_correct(loaded.network, loaded.architecture, x, labels));
  CHECK(correct <= 2);

  // A file whose shape does not match its tensors is refused before anything is allocated.
  auto deeper = file;
  auto shape = nlohmann::json::parse(deeper.metadata.at("shape"));
  shape["depth"] = 14;
  deeper.metadata["shape"] = shape.dump();
  deeper.metadata["arch"] = R"({"depth":14})";
  deeper.save(dir / "deeper.safetensors");
  CHECK_THROWS_WITH_AS(ovo::io::load_subnet<resnet<backend>>(dir / "deeper.safetensors", batch),
                       doctest::Contains("tensor 'layer3.1.conv2.weight' is missing"),
                       std::runtime_error);
  auto other_classes = file;
  shape = nlohmann::json::parse(file.metadata.at("shape"));
  shape["classes"] = 7;
  other_classes.metadata["shape"] = shape.dump();
  other_classes.save(dir / "classes.safetensors");
  CHECK_THROWS_WITH_AS(
      ovo::io::load_subnet<resnet<backend>>(dir / "classes.safetensors", batch),
      doctest::Contains("tensor 'fc.weight' has shape [5, 64], but the shape's classes make it "
                        "[7, 64]"),
      std::runtime_error);
}

TEST_CASE("resnet refuses images of another geometry, a batch too large and another depth") {
  using backend = ovo::cpu<float>;
  resnet<backend> net(tiny, 2);
  std::vector<float> images(3 * tiny.input().values());
  const ovo::image_batch<float> square{images.data(), 2, 2, 8, 8};
  CHECK_THROWS_WITH_AS(net.forward(square, net.arch(), ovo::forward_mode::eval()),
                       "resnet: images of 2x8x8 (channels x height x width), expected 2x8x6",
                       std::invalid_argument);
  const ovo::image_batch<float> three{images.data(), 3, 2, 8, 6};
  CHECK_THROWS_WITH_AS(net.forward(three, net.arch(), ovo::forward_mode::eval()),
                       "resnet: batch of 3 images, expected 1..2", std::invalid_argument);
  const ovo::image_batch<float> two{images.data(), 2, 2, 8, 6};
  CHECK_THROWS_WITH_AS(net.forward(two, {.depth = 14}, ovo::forward_mode::eval()),
                       "resnet: arch resnet-14, expected this network's resnet-8",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(resnet<backend>({.depth = 9}, 1),
                       doctest::Contains("depth 9, expected 6n + 2"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(resnet<backend>({.classes = 0}, 1),
                       doctest::Contains("classes 0, expected 1.."), std::invalid_argument);
  CHECK_THROWS_AS(net.backward(nullptr), std::logic_error);
}
