// Every hand-written backward pass against central finite differences in double precision.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "finite_differences.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::test::check_against_finite_differences;
using ovo::test::dot;
using ovo::test::random_vector;

}  // namespace

TEST_CASE("linear on a strided prefix view: input, weight and bias gradients") {
  const int rows = 5, in = 4, out = 3, ld_super = 7, out_super = 6;
  auto x = random_vector(rows * in, 1);
  auto w = random_vector(out_super * ld_super, 2);
  auto b = random_vector(out_super, 3);
  auto dir = random_vector(rows * out, 4);
  std::vector<double> y(rows * out);
  auto loss = [&] {
    ovo::linear_forward<backend>(ovo::make_matrix_view<const double>(x.data(), rows, in),
                                 ovo::make_matrix_view<const double>(w.data(), out, in, ld_super),
                                 b.data(), ovo::make_matrix_view(y.data(), rows, out));
    return dot(y.data(), dir.data(), y.size());
  };
  std::vector<double> dx(x.size()), dw(w.size(), 0.25), db(b.size(), 0.5);
  ovo::linear_backward<backend>(ovo::make_matrix_view<const double>(dir.data(), rows, out),
                                ovo::make_matrix_view<const double>(x.data(), rows, in),
                                ovo::make_matrix_view<const double>(w.data(), out, in, ld_super),
                                ovo::make_matrix_view(dw.data(), out, in, ld_super), db.data(),
                                ovo::make_matrix_view(dx.data(), rows, in), false);
  check_against_finite_differences(x.data(), x.size(), dx.data(), loss, "dx");
  // Gradients accumulate into the active block only; everything else keeps its prior value.
  std::vector<double> dw_active(w.size()), db_active(b.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    const bool active = static_cast<int>(i) / ld_super < out && static_cast<int>(i) % ld_super < in;
    if (!active) CHECK(dw[i] == 0.25);
    dw_active[i] = dw[i] - 0.25;
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (static_cast<int>(i) >= out) CHECK(db[i] == 0.5);
    db_active[i] = db[i] - 0.5;
  }
  check_against_finite_differences(w.data(), w.size(), dw_active.data(), loss, "dw");
  check_against_finite_differences(b.data(), b.size(), db_active.data(), loss, "db");
}

TEST_CASE("layer norm over the first channels of strided rows") {
  ovo::parameter_store<backend> params;
  ovo::workspace<backend> ws;
  const int rows = 4, width = 5, width_super = 8, ld = 9;
  ovo::layer_norm<backend> norm(params, ws, "norm", width_super, rows);
  params.allocate();
  ws.allocate();
  auto values = random_vector(params.size(), 5);
  std::copy(values.begin(), values.end(), params.values());
  auto x = random_vector(rows * ld, 6);
  auto dir = random_vector(rows * width, 7);
  std::vector<double> y(rows * width);
  auto loss = [&] {
    norm.forward(params, ws, ovo::make_matrix_view<const double>(x.data(), rows, width, ld),
                 ovo::make_matrix_view(y.data(), rows, width));
    return dot(y.data(), dir.data(), y.size());
  };
  loss();
  std::vector<double> dx(x.size(), 0.0);
  norm.backward(params, ws, ovo::make_matrix_view<const double>(dir.data(), rows, width),
                ovo::make_matrix_view<const double>(x.data(), rows, width, ld),
                ovo::make_matrix_view(dx.data(), rows, width, ld), false);
  check_against_finite_differences(x.data(), x.size(), dx.data(), loss, "dx");
  check_against_finite_differences(params.values(), params.size(), params.grads(), loss, "dparams");
}

TEST_CASE("exact GELU") {
  auto x = random_vector(40000, 8, 3.0);  // more than one parallel chunk
  auto dir = random_vector(x.size(), 9);
  std::vector<double> y(x.size()), dx(x.size());
  for (std::size_t i = 0; i < x.size(); i += 997) {
    backend::gelu_forward(x.data() + i, y.data() + i, 1);
    CHECK(y[i] == doctest::Approx(0.5 * x[i] * (1 + std::erf(x[i] / std::sqrt(2.0)))));
  }
  auto loss = [&] {
    backend::gelu_forward(x.data(), y.data(), x.size());
    return dot(y.data(), dir.data(), y.size());
  };
  backend::gelu_backward(x.data(), dir.data(), dx.data(), x.size());
  check_against_finite_differences(x.data(), 300, dx.data(), loss, "dx");
}

TEST_CASE_TEMPLATE("attention with elastic heads, both qkv layouts", layout, ovo::qkv_blocked,
                   ovo::qkv_interleaved) {
  ovo::parameter_store<backend> params;
  ovo::workspace<backend> ws;
  const int batch = 2, tokens = 3, embed_super = 6, heads_super = 3, head_dim = 2;
  ovo::attention<backend, layout> attn(params, ws, "attn", embed_super, heads_super, head_dim,
                                       batch, tokens);
  params.allocate();
  ws.allocate();
  for (const int heads : {1, 2, 3}) {
    const int e = 5, rows = batch * tokens, a = heads * head_dim;
    CAPTURE(heads);
    auto values = random_vector(params.size(), 10 + heads);
    std::copy(values.begin(), values.end(), params.values());
    params.zero_grad();
    auto x = random_vector(rows * e, 11);
    auto dir = random_vector(rows * e, 12);
    std::vector<double> y(rows * e), dx(rows * e);
    std::vector<double> dq(rows * a), dk(rows * a), dv(rows * a), dout(rows * a),
        dscores(batch * heads * tokens * tokens);
    auto loss = [&] {
      attn.forward(params, ws, ovo::make_matrix_view<const double>(x.data(), rows, e), batch, heads,
                   ovo::make_matrix_view(y.data(), rows, e));
      return dot(y.data(), dir.data(), y.size());
    };
    loss();
    attn.backward(params, ws, ovo::make_matrix_view<const double>(dir.data(), rows, e),
                  ovo::make_matrix_view<const double>(x.data(), rows, e), batch, heads,
                  ovo::make_matrix_view(dx.data(), rows, e),
                  {dq.data(), dk.data(), dv.data(), dout.data(), dscores.data()});
    check_against_finite_differences(x.data(), x.size(), dx.data(), loss, "dx");
    check_against_finite_differences(params.values(), params.size(), params.grads(), loss,
                                     "dparams");
  }
}

TEST_CASE("MLP with elastic hidden width") {
  ovo::parameter_store<backend> params;
  ovo::workspace<backend> ws;
  const int rows = 4, e = 3, hidden = 5;
  ovo::mlp<backend> mlp(params, ws, "mlp", 4, 8, rows);
  params.allocate();
  ws.allocate();
  auto values = random_vector(params.size(), 13);
  std::copy(values.begin(), values.end(), params.values());
  auto x = random_vector(rows * e, 14);
  auto dir = random_vector(rows * e, 15);
  std::vector<double> y(rows * e), dx(rows * e), d_hidden(rows * hidden);
  auto loss = [&] {
    mlp.forward(params, ws, ovo::make_matrix_view<const double>(x.data(), rows, e), hidden,
                ovo::make_matrix_view(y.data(), rows, e));
    return dot(y.data(), dir.data(), y.size());
  };
  loss();
  mlp.backward(params, ws, ovo::make_matrix_view<const double>(dir.data(), rows, e),
               ovo::make_matrix_view<const double>(x.data(), rows, e), hidden,
               ovo::make_matrix_view(dx.data(), rows, e), d_hidden.data());
  check_against_finite_differences(x.data(), x.size(), dx.data(), loss, "dx");
  check_against_finite_differences(params.values(), params.size(), params.grads(), loss, "dparams");
}

TEST_CASE("cross-entropy with label smoothing and with soft targets") {
  const int rows = 3, classes = 4;
  auto logits = random_vector(rows * classes, 16, 2.0);
  std::vector<double> targets(rows * classes), grad(rows * classes);
  const std::vector<int> labels = {2, 0, 3};
  ovo::smoothed_one_hot<double>(labels, classes, 0.1, targets);
  CHECK(targets[2] == doctest::Approx(0.9 + 0.025));
  CHECK(targets[0] == doctest::Approx(0.025));
  auto loss = [&] {
    double value = 0;
    ovo::cross_entropy<backend>(logits.data(), targets.data(), rows, classes, &value, nullptr);
    return value;
  };
  ovo::cross_entropy<backend>(logits.data(), targets.data(), rows, classes, nullptr, grad.data());
  check_against_finite_differences(logits.data(), logits.size(), grad.data(), loss, "dlogits");
  // By hand for one row, no smoothing: -log softmax(z)_label.
  std::vector<double> z = {1.0, 2.0, 3.0}, one_hot = {0, 1, 0};
  const double expected = -(2.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  double by_hand = 0;
  ovo::cross_entropy<backend>(z.data(), one_hot.data(), 1, 3, &by_hand, nullptr);
  CHECK(by_hand == doctest::Approx(expected));
  CHECK_THROWS_WITH(ovo::smoothed_one_hot<double>(std::vector<int>{0, 7, 1}, classes, 0.1, targets),
                    doctest::Contains("label 7 of sample 1 outside 0..3"));
}

TEST_CASE("KL distillation with temperature: value and student gradient") {
  const int rows = 3, classes = 5;
  const double temperature = 2.5;
  auto student = random_vector(rows * classes, 17, 2.0);
  auto teacher = random_vector(rows * classes, 18, 2.0);
  std::vector<double> probs(rows * classes), grad(rows * classes, 0.0);
  // T^2 KL: the distillation loss whose gradient the op writes.
  auto loss = [&](const std::vector<double>& from) {
    double kl = 0;
    ovo::distillation_kl<backend>(student.data(), from.data(), rows, classes, temperature,
                                  probs.data(), &kl, nullptr);
    return ovo::distillation_scale(temperature) * kl;
  };
  // By hand: T^2 * mean_r sum_c pt log(pt / ps).
  double expected = 0;
  for (int r = 0; r < rows; ++r) {
    double zt = 0, zs = 0;
    for (int c = 0; c < classes; ++c) {
      zt += std::exp(teacher[r * classes + c] / temperature);
      zs += std::exp(student[r * classes + c] / temperature);
    }
    for (int c = 0; c < classes; ++c) {
      const double pt = std::exp(teacher[r * classes + c] / temperature) / zt;
      const double ps = std::exp(student[r * classes + c] / temperature) / zs;
      expected += pt * std::log(pt / ps);
    }
  }
  expected *= temperature * temperature / rows;
  CHECK(loss(teacher) == doctest::Approx(expected).epsilon(1e-12));
  ovo::distillation_kl<backend>(student.data(), teacher.data(), rows, classes, temperature,
                                probs.data(), nullptr, grad.data());
  check_against_finite_differences(
      student.data(), student.size(), grad.data(), [&] { return loss(teacher); }, "dstudent");
  // Identical logits: zero divergence.
  CHECK(loss(student) == doctest::Approx(0.0).scale(1.0));
}

TEST_CASE_TEMPLATE("whole supernet on random archs: every gradient, and nothing outside the slice",
                   layout, ovo::qkv_blocked, ovo::qkv_interleaved) {
  using space = ovo::test::tiny_space;
  const int batch = 2;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    ovo::rng_engine rng(seed);
    const ovo::arch a = space::sample(rng);
    CAPTURE(ovo::to_string(a));
    for (const bool drop_path : {false, true}) {
      CAPTURE(drop_path);
      ovo::vit_supernet<backend, layout> net(space::shape(), batch);
      net.drop_path_rate = drop_path ? 0.3 : 0.0;
      auto values = random_vector(net.parameters().size(), seed + 100, 0.5);
      std::copy(values.begin(), values.end(), net.parameters().values());
      auto images = random_vector(batch * space::channels * space::image_size * space::image_size,
                                  seed + 200);
      const ovo::image_batch<double> input{images.data(), batch, space::channels, space::image_size,
                                           space::image_size};
      auto dir = random_vector(batch * space::num_classes, seed + 300);
      const ovo::rng_engine drop_seed(seed + 400);
      auto loss = [&] {
        ovo::rng_engine drop_rng = drop_seed;  // the same drop-path draws every call
        const double* logits = net.forward(input, a, ovo::forward_mode::train(drop_rng));
        return dot(logits, dir.data(), dir.size());
      };
      auto& p = net.parameters();
      const auto sentinel = random_vector(p.size(), seed + 500);
      std::copy(sentinel.begin(), sentinel.end(), p.grads());
      loss();
      net.backward(dir.data());

      const auto active = ovo::test::covered_indices(net.subnet_tensors(a));
      CHECK(active.size() == static_cast<std::size_t>(ovo::count_params(a, space::shape())));
      std::vector<double> analytic(p.size());
      std::size_t untouched = 0;
      for (std::size_t i = 0; i < p.size(); ++i) {
        analytic[i] = p.grads()[i] - sentinel[i];
        if (!active.count(i)) untouched += p.grads()[i] == sentinel[i];
      }
      CHECK(untouched == p.size() - active.size());
      // Central differences for a few random elements of every tensor the subnet reads.
      for (const auto& t : net.subnet_tensors(a)) {
        const auto indices = ovo::test::covered_indices({t});
        const std::vector<std::size_t> list(indices.begin(), indices.end());
        for (int draw = 0; draw < 4; ++draw) {
          const auto i = list[ovo::uniform_index(rng, list.size())];
          check_against_finite_differences(p.values() + i, 1, &analytic[i], loss, t.name.c_str());
        }
      }
    }
  }
}
