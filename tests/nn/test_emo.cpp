// EMO's layers and the EMO supernet: windows, squeeze-excitation and windowed attention by hand
// and by finite differences in double precision on channel prefixes; the whole supernet's
// gradients on three archs, its export and its refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "finite_differences.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::make_matrix_view;
using ovo::test::check_against_finite_differences;
using ovo::test::dot;
using ovo::test::random_vector;
using ovo::test::tiny_emo_space;
using tiny_net = ovo::emo_supernet<backend>;

static_assert(ovo::supernet<tiny_net>);
static_assert(ovo::search_space<tiny_emo_space>);

tiny_net make_tiny_net(int max_batch = 2) {
  tiny_net net(tiny_emo_space::geometry, tiny_emo_space::largest(), max_batch);
  ovo::rng_engine rng(3);
  net.initialize(rng);
  // Away from the initial values, so that every term of the gradient matters.
  const auto values = random_vector(net.parameters().size(), 4, 0.3);
  for (std::size_t i = 0; i < values.size(); ++i) net.parameters().values()[i] += values[i];
  return net;
}

// Flat indices of the parameters (not buffers) a subnet's tensors cover.
std::vector<bool> active_parameters(const tiny_net& net, const ovo::emo_arch& a) {
  std::vector<ovo::subnet_tensor> parameters;
  for (auto& t : net.subnet_tensors(a))
    if (!t.buffer) parameters.push_back(t);
  std::vector<bool> active(net.parameters().size(), false);
  for (auto i : ovo::test::covered_indices(parameters)) active[i] = true;
  return active;
}

}  // namespace

TEST_CASE("window partition: EMO's interleaved windows, zero padding, reverse as its adjoint") {
  // A 3x5 map of one image in 2x2 windows: padded to 4x6, a grid of 2x3 windows; window (i, j)
  // holds the pixels (2 * h1 + i, 3 * w1 + j).
  const ovo::window_geometry g{1, 3, 5, 2};
  CHECK(g.grid_rows() == 2);
  CHECK(g.grid_cols() == 3);
  CHECK(g.tokens() == 4);
  std::vector<double> x(15 * 2);
  for (int p = 0; p < 15; ++p) x[p * 2] = p, x[p * 2 + 1] = 100 + p;
  std::vector<double> windows(g.token_rows() * 2, -1);
  backend::window_partition(make_matrix_view<const double>(x.data(), 15, 2), g,
                            make_matrix_view(windows.data(), g.token_rows(), 2));
  // Window (1, 2) (index 5): pixels (1, 2), (1, 5) = padding, (3, 2) = padding, (3, 5) = padding.
  CHECK(windows[(5 * 4 + 0) * 2] == 1 * 5 + 2);
  CHECK(windows[(5 * 4 + 0) * 2 + 1] == 100 + 1 * 5 + 2);
  for (int t = 1; t < 4; ++t) CHECK(windows[(5 * 4 + t) * 2] == 0);
  // Window (0, 1) (index 1): pixels (0, 1), (0, 4), (2, 1), (2, 4).
  CHECK(windows[(1 * 4 + 0) * 2] == 1);
  CHECK(windows[(1 * 4 + 1) * 2] == 4);
  CHECK(windows[(1 * 4 + 2) * 2] == 11);
  CHECK(windows[(1 * 4 + 3) * 2] == 14);
  // Adjoint: <partition(x), w> = <x, reverse(w)> on a batch of two with a channel prefix.
  const ovo::window_geometry g2{2, 5, 3, 2};
  const auto xs = random_vector(g2.pixel_rows() * 4, 1);
  const auto ws = random_vector(g2.token_rows() * 3, 2);
  std::vector<double> partitioned(g2.token_rows() * 3), reversed(g2.pixel_rows() * 4, 7.0);
  backend::window_partition(make_matrix_view<const double>(xs.data(), g2.pixel_rows(), 3, 4), g2,
                            make_matrix_view(partitioned.data(), g2.token_rows(), 3));
  backend::window_reverse(make_matrix_view<const double>(ws.data(), g2.token_rows(), 3), g2,
                          make_matrix_view(reversed.data(), g2.pixel_rows(), 3, 4));
  double left = dot(partitioned.data(), ws.data(), ws.size()), right = 0;
  for (int r = 0; r < g2.pixel_rows(); ++r)
    for (int c = 0; c < 3; ++c) right += xs[r * 4 + c] * reversed[r * 4 + c];
  CHECK(left == doctest::Approx(right).epsilon(1e-12));
  for (int r = 0; r < g2.pixel_rows(); ++r) CHECK(reversed[r * 4 + 3] == 7.0);
  // One window over the whole map (window 0) is the identity on the rows.
  const ovo::window_geometry whole{2, 3, 4, 0};
  CHECK(whole.windows() == 2);
  std::vector<double> same(whole.token_rows() * 3);
  backend::window_partition(make_matrix_view<const double>(xs.data(), 24, 3, 4), whole,
                            make_matrix_view(same.data(), 24, 3));
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 3; ++c) CHECK(same[r * 3 + c] == xs[r * 4 + c]);
}

TEST_CASE("squeeze-excitation and windowed attention: gradients on a channel prefix") {
  const int batch = 2, side = 3, rows = batch * side * side;
  for (const bool attention : {false, true}) {
    CAPTURE(attention);
    ovo::parameter_store<backend> params;
    ovo::workspace<backend> ws;
    const int channels_super = 8, channels = 4;
    const ovo::window_geometry g{batch, side, side, 2};
    ovo::squeeze_excitation<backend> se;
    ovo::window_attention<backend> attn;
    if (attention)
      attn = ovo::window_attention<backend>(params, ws, "qk", channels_super, 2, g, true);
    else
      se = ovo::squeeze_excitation<backend>(params, ws, "se", channels_super, 0.5,
                                            ovo::emo_activation::gelu, batch);
    const auto scratch_size = attn.probs_size(g, channels_super) +
                              static_cast<std::size_t>(g.token_rows()) * channels_super * 4;
    std::vector<double> scratch(scratch_size);
    const auto tokens = static_cast<std::size_t>(g.token_rows()) * channels;
    const typename ovo::window_attention<backend>::scratch s{
        scratch.data(), scratch.data() + tokens, scratch.data() + 3 * tokens,
        scratch.data() + 4 * tokens};
    params.allocate();
    ws.allocate();
    const auto values = random_vector(params.size(), 10);
    std::copy(values.begin(), values.end(), params.values());
    auto x = random_vector(rows * (channels + 1), 11);
    const auto dir = random_vector(rows * channels, 12);
    std::vector<double> y(rows * channels);
    const auto x_view = make_matrix_view<const double>(x.data(), rows, channels, channels + 1);
    auto loss = [&] {
      const auto y_view = make_matrix_view(y.data(), rows, channels);
      if (attention)
        attn.forward(params, ws, x_view, g, y_view);
      else
        se.forward(params, ws, x_view, batch, y_view);
      return dot(y.data(), dir.data(), y.size());
    };
    loss();
    const auto sentinel = random_vector(params.size(), 13);
    std::copy(sentinel.begin(), sentinel.end(), params.grads());
    std::vector<double> dx(rows * (channels + 1), 5.0);
    const auto dx_view = make_matrix_view(dx.data(), rows, channels, channels + 1);
    const auto dy = make_matrix_view<const double>(dir.data(), rows, channels);
    if (attention)
      attn.backward(params, ws, dy, g, s, dx_view);
    else
      se.backward(params, ws, dy, x_view, batch, dx_view);
    for (int r = 0; r < rows; ++r) CHECK(dx[r * (channels + 1) + channels] == 5.0);
    for (int r = 0; r < rows; ++r) dx[r * (channels + 1) + channels] = 0;
    check_against_finite_differences(x.data(), x.size(), dx.data(), loss, "dx");
    // The prefix: q in rows [0, 4) and k in rows [8, 12) of qk [16, 8]; SE's reduce [2, 4] of
    // [4, 8] and expand [4, 2] of [8, 4].
    std::vector<bool> active(params.size(), false);
    const auto mark = [&](std::size_t offset, int first_row, int rows_, int cols, int ld) {
      for (int r = first_row; r < first_row + rows_; ++r)
        for (int c = 0; c < cols; ++c) active[offset + static_cast<std::size_t>(r) * ld + c] = true;
    };
    if (attention) {
      for (int part = 0; part < 2; ++part) {
        mark(attn.qk.weight.offset, part * channels_super, channels, channels, channels_super);
        mark(attn.qk.bias.offset + part * channels_super, 0, 1, channels, channels);
      }
    } else {
      mark(se.reduce.weight.offset, 0, 2, channels, channels_super);
      mark(se.reduce.bias.offset, 0, 1, 2, 2);
      mark(se.expand.weight.offset, 0, channels, 2, 4);
      mark(se.expand.bias.offset, 0, 1, channels, channels);
    }
    std::vector<double> added(params.size());
    std::size_t touched_outside = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
      added[i] = params.grads()[i] - sentinel[i];
      if (!active[i]) touched_outside += added[i] != 0;
    }
    CHECK(touched_outside == 0);
    check_against_finite_differences(params.values(), params.size(), added.data(), loss, "dparams");
  }
}

TEST_CASE("EMO supernet: every gradient of three archs against finite differences") {
  auto net = make_tiny_net();
  net.drop_path_rate = 0.3;
  const auto images = random_vector(2 * 2 * 40 * 40, 20);
  const ovo::image_batch<double> batch{images.data(), 2, 2, 40, 40};
  ovo::rng_engine arch_rng(21);
  ovo::emo_arch sampled = tiny_emo_space::sample(arch_rng);
  sampled.stages[2].attention = {false, true, true};
  sampled.stages[2].depth = 3;
  sampled.stages[2].expansion = {1.5, 2.0, 1.5};
  sampled.stages[3].attention = {false, false};
  struct arch_case {
    const char* what;
    ovo::emo_arch arch;
    bool training;
  };
  const arch_case cases[] = {
      {"smallest, attention off, eval mode", tiny_emo_space::smallest(), false},
      {"largest, attention on (stage 3 windows padded), training", tiny_emo_space::largest(), true},
      {"sampled, training", sampled, true}};
  for (const auto& c : cases) {
    CAPTURE(c.what);
    REQUIRE(tiny_emo_space::contains(c.arch));
    const auto dir = random_vector(2 * 3, 22);
    auto loss = [&] {
      ovo::rng_engine drop(23);  // the same drop-path draws on every call
      const double* logits = net.forward(
          batch, c.arch, c.training ? ovo::forward_mode::train(drop) : ovo::forward_mode::eval());
      return dot(logits, dir.data(), dir.size());
    };
    loss();
    auto& params = net.parameters();
    const auto sentinel = random_vector(params.size(), 24);
    std::copy(sentinel.begin(), sentinel.end(), params.grads());
    net.backward(dir.data());
    const auto active = active_parameters(net, c.arch);
    std::vector<double> added(params.size());
    std::size_t touched_outside = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
      added[i] = params.grads()[i] - sentinel[i];
      if (!active[i]) touched_outside += added[i] != 0;
    }
    CHECK(touched_outside == 0);
    // A sample of the active parameters (every one would take minutes).
    std::vector<std::size_t> sample;
    for (std::size_t i = 0; i < params.size(); ++i)
      if (active[i] && i % 29 == 0) sample.push_back(i);
    std::vector<double> subset(sample.size());
    for (std::size_t n = 0; n < sample.size(); ++n) subset[n] = added[sample[n]];
    for (std::size_t n = 0; n < sample.size(); ++n) {
      double* value = params.values() + sample[n];
      check_against_finite_differences(value, 1, subset.data() + n, loss, "dparams");
    }
  }
}

TEST_CASE("EMO supernet: refuses archs it cannot run and images of another geometry") {
  auto net = make_tiny_net();
  const auto images = random_vector(2 * 2 * 40 * 40, 30);
  auto wide = tiny_emo_space::largest();
  wide.stages[1].width = 16;
  CHECK_THROWS_WITH_AS(net.forward({images.data(), 2, 2, 40, 40}, wide, ovo::forward_mode::eval()),
                       "emo_supernet: arch does not fit: stages[1].width = 16, expected at most 8",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      net.forward({images.data(), 2, 1, 40, 40}, tiny_emo_space::smallest(),
                  ovo::forward_mode::eval()),
      "emo_supernet: images of 1x40x40 (channels x height x width), expected 2x40x40",
      std::invalid_argument);
  CHECK_THROWS_AS(net.forward({images.data(), 3, 2, 40, 40}, tiny_emo_space::smallest(),
                              ovo::forward_mode::eval()),
                  std::invalid_argument);
}

TEST_CASE("EMO supernet: a subnet's exported tensors hold exactly the space's parameter count") {
  // The four reference models at 224 px as one-arch supernets (float, batch 1: only the tensor
  // list is read), and three archs of the tiny space.
  const auto exported_params = [](const auto& net, const ovo::emo_arch& a) {
    std::int64_t total = 0;
    for (const auto& t : net.subnet_tensors(a))
      if (!t.buffer) {
        std::int64_t size = 1;
        for (auto d : t.shape) size *= d;
        total += size;
      }
    return total;
  };
  const auto check_model = [&]<class Space>(Space, std::int64_t expected) {
    const ovo::emo_supernet<ovo::cpu<float>> net(Space::geometry, Space::largest(), 1);
    CHECK(exported_params(net, Space::largest()) == expected);
    CHECK(static_cast<std::int64_t>(net.parameters().size()) == expected);
  };
  check_model(ovo::emo_1m{}, 1'361'168);
  check_model(ovo::emo_2m{}, 2'377'472);
  check_model(ovo::emo_5m{}, 5'108'848);
  check_model(ovo::emo_6m{}, 6'168'496);
  const auto net = make_tiny_net();
  ovo::rng_engine rng(40);
  for (const auto& a :
       {tiny_emo_space::smallest(), tiny_emo_space::largest(), tiny_emo_space::sample(rng)})
    CHECK(exported_params(net, a) == tiny_emo_space::params(a));
}

namespace {

// A host batch as the data loader yields it.
struct host_batch {
  std::vector<float> images;
  std::vector<int> labels;
  int size, channels, height, width;
};

// `count` batches of two random 2x40x40 images for calibration.
ovo::evaluation_set<backend> calibration_batches(int count, std::uint64_t seed) {
  ovo::evaluation_set<backend> set;
  for (int i = 0; i < count; ++i) {
    const auto values = random_vector(2 * 2 * 40 * 40, seed + i);
    set.add(host_batch{{values.begin(), values.end()}, {0, 1}, 2, 2, 40, 40});
  }
  return set;
}

}  // namespace

TEST_CASE(
    "batch-norm recalibration: a subnet's evaluation no longer depends on what trained last") {
  const auto calibration = calibration_batches(3, 50);
  const auto images = random_vector(2 * 2 * 40 * 40, 60);
  const ovo::image_batch<double> batch{images.data(), 2, 2, 40, 40};
  ovo::rng_engine arch_rng(61);
  const auto evaluated = tiny_emo_space::sample(arch_rng);
  // Two copies of one network whose running statistics were last moved by different subnets.
  auto logits_after = [&](const ovo::emo_arch& trained_last, bool recalibrate) {
    auto net = make_tiny_net();
    ovo::rng_engine rng(62);
    for (int step = 0; step < 3; ++step)
      net.forward(batch, trained_last, ovo::forward_mode::train(rng));
    if (recalibrate) ovo::recalibrate_batch_norm(net, evaluated, calibration);
    const double* logits = net.forward(batch, evaluated, ovo::forward_mode::eval());
    return std::vector<double>(logits, logits + 6);
  };
  const auto small = tiny_emo_space::smallest(), large = tiny_emo_space::largest();
  CHECK(logits_after(small, false) != logits_after(large, false));
  CHECK(logits_after(small, true) == logits_after(large, true));
  // A network without buffers is left as it is.
  ovo::vit_supernet<backend> vit(ovo::test::tiny_space::shape(), 2);
  ovo::rng_engine rng(63);
  vit.initialize(rng);
  ovo::evaluation_set<backend> vit_batches;
  CHECK_NOTHROW(ovo::recalibrate_batch_norm(vit, ovo::test::tiny_space::smallest(), vit_batches));
}

TEST_CASE(
    "EMO supernet: checkpoint round trip with buffers, export equal to the calibrated subnet") {
  ovo::test::temp_dir dir("emo_export");
  auto net = make_tiny_net();
  const auto calibration = calibration_batches(2, 70);
  const auto images = random_vector(2 * 2 * 40 * 40, 71);
  const ovo::image_batch<double> batch{images.data(), 2, 2, 40, 40};
  ovo::rng_engine rng(72);
  ovo::emo_arch a = tiny_emo_space::sample(rng);
  a.stages[2].attention.assign(a.stages[2].attention.size(), true);
  a.stages[2].attention[0] = false;
  ovo::adamw<backend> optimizer(net.parameters(), {});
  ovo::supervised_step step(net);
  const std::vector<int> labels{0, 2};
  for (int i = 0; i < 2; ++i) step(net, optimizer, batch, labels, a, 1e-3, rng);
  ovo::recalibrate_batch_norm(net, a, calibration);

  // The checkpoint holds the running statistics and restores them bit for bit.
  ovo::io::save_checkpoint(dir / "net.safetensors", net, optimizer);
  auto restored = make_tiny_net();
  ovo::adamw<backend> restored_optimizer(restored.parameters(), {});
  ovo::io::load_checkpoint(dir / "net.safetensors", restored, &restored_optimizer);
  CHECK(std::equal(net.parameters().values(), net.parameters().values() + net.parameters().size(),
                   restored.parameters().values()));
  CHECK(std::equal(net.buffers().values(), net.buffers().values() + net.buffers().size(),
                   restored.buffers().values()));

  // The exported subnet, with its own calibrated statistics, gives the supernet's logits.
  ovo::io::export_subnet(dir / "subnet.safetensors", net, a);
  auto subnet = ovo::io::load_subnet<tiny_net>(dir / "subnet.safetensors", 2);
  CHECK(subnet.architecture == a);
  CHECK(static_cast<std::int64_t>(subnet.network.parameters().size()) == tiny_emo_space::params(a));
  const double* expected = net.forward(batch, a, ovo::forward_mode::eval());
  const std::vector<double> supernet_logits(expected, expected + 6);
  const double* got = subnet.network.forward(batch, a, ovo::forward_mode::eval());
  for (int i = 0; i < 6; ++i) CHECK(got[i] == doctest::Approx(supernet_logits[i]).epsilon(1e-12));

  // A checkpoint of another geometry is refused, naming it.
  ovo::emo_geometry other = tiny_emo_space::geometry;
  other.classes = 4;
  tiny_net wrong(other, tiny_emo_space::largest(), 2);
  CHECK_THROWS_WITH(ovo::io::load_checkpoint(dir / "net.safetensors", wrong),
                    doctest::Contains("EMO geometry"));
}
