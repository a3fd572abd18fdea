// AdamW and SGD against values computed by hand, the cosine schedule and global-norm clipping.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <ovo/ovo.hpp>

using backend = ovo::cpu<double>;

TEST_CASE("one and two AdamW steps match torch.optim.AdamW's formulas, by hand") {
  ovo::parameter_store<backend> params;
  params.add("w", {2}, true, ovo::parameter_init::zeros);
  params.add("b", {1}, false, ovo::parameter_init::zeros);
  params.allocate();
  params.values()[0] = 1.0;
  params.values()[1] = -2.0;
  params.values()[2] = 0.5;
  ovo::adamw<backend> opt(params,
                          {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01});
  params.grads()[0] = 0.5;
  params.grads()[1] = -1.0;
  params.grads()[2] = 2.0;
  opt.step(0.1);
  // Step 1: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2: p = p (1 - lr wd) - lr g / (|g| +
  // eps).
  CHECK(params.values()[0] == doctest::Approx(1.0 * (1 - 0.001) - 0.1 * 0.5 / (0.5 + 1e-8)));
  CHECK(params.values()[1] == doctest::Approx(-2.0 * (1 - 0.001) + 0.1 * 1.0 / (1.0 + 1e-8)));
  CHECK(params.values()[2] == doctest::Approx(0.5 - 0.1));  // no decay on "b"
  // Step 2 with a zero gradient: the moments still move the parameter and decay still applies.
  const double p0 = params.values()[0];
  params.zero_grad();
  opt.step(0.05);
  const double m = 0.9 * 0.05, v = 0.999 * 0.001 * 0.25;
  const double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.999 * 0.999);
  CHECK(params.values()[0] ==
        doctest::Approx(p0 * (1 - 0.05 * 0.01) - 0.05 * m_hat / (std::sqrt(v_hat) + 1e-8)));
  CHECK(opt.steps() == 2);
}

TEST_CASE("AdamW flushes moments that decay below the smallest normal number to zero") {
  ovo::parameter_store<ovo::cpu<float>> params;
  params.add("w", {2}, true, ovo::parameter_init::zeros);
  params.allocate();
  ovo::adamw<ovo::cpu<float>> opt(params, {.weight_decay = 0});
  params.grads()[0] = 1e-3f;  // one gradient, then zeros: its first moment decays by 0.9 a step
  params.grads()[1] = 0;
  opt.step(1e-3);
  params.zero_grad();
  const float smallest = std::numeric_limits<float>::min();
  bool was_normal = true;
  for (int i = 0; i < 900; ++i) {
    const float before = opt.exp_avg()[0];
    opt.step(1e-3);
    const float m = opt.exp_avg()[0];
    // A normal moment, or zero where 0.9 times the last one would be subnormal.
    CHECK((m >= smallest || (m == 0 && 0.9f * before < smallest)));
    CHECK((opt.exp_avg_sq()[0] >= smallest || opt.exp_avg_sq()[0] == 0));
    was_normal = was_normal && m > 0;
  }
  CHECK(!was_normal);  // it did reach zero within the 900 steps
  CHECK(opt.exp_avg()[1] == 0);
}

TEST_CASE("flush_subnormals_to_zero: subnormal results become zero on every OpenMP thread") {
#if defined(__SSE__)
  const unsigned saved = _mm_getcsr();
  REQUIRE(ovo::flush_subnormals_to_zero());
  // Through volatiles, or the compiler folds (x * c != 0) into (x != 0).
  volatile float tiny = 1e-30f;
  const auto product_is_zero = [&] {
    volatile float product = tiny * 1e-10f;  // 1e-40 is subnormal
    return product == 0.0f;
  };
  int flushed = 0, threads = 0;
#pragma omp parallel reduction(+ : flushed, threads)
  {
    threads += 1;
    flushed += product_is_zero();
    _mm_setcsr(saved);  // the other tests run in the usual mode
  }
  CHECK(flushed == threads);
  CHECK(!product_is_zero());  // restored on this thread
#else
  CHECK(!ovo::flush_subnormals_to_zero());
#endif
}

TEST_CASE("cosine schedule with linear warm-up") {
  const ovo::cosine_schedule s{.base_lr = 1e-3,
                               .min_lr = 1e-5,
                               .warmup_steps = 10,
                               .total_steps = 110,
                               .warmup_start_lr = 0.0};
  CHECK(s(0) == doctest::Approx(0.0));
  CHECK(s(5) == doctest::Approx(5e-4));
  CHECK(s(10) == doctest::Approx(1e-3));
  CHECK(s(60) == doctest::Approx(1e-5 + 0.5 * (1e-3 - 1e-5)));
  CHECK(s(110) == doctest::Approx(1e-5));
  CHECK(s(500) == doctest::Approx(1e-5));
  for (long t = 11; t < 110; ++t) CHECK(s(t) < s(t - 1));
}

TEST_CASE("global-norm clipping scales all gradients together") {
  ovo::parameter_store<backend> params;
  params.add("a", {2}, true, ovo::parameter_init::zeros);
  params.add("b", {1}, true, ovo::parameter_init::zeros);
  params.allocate();
  params.grads()[0] = 3.0;
  params.grads()[1] = 0.0;
  params.grads()[2] = 4.0;
  CHECK(ovo::clip_grad_norm(params, 10.0) == doctest::Approx(5.0));
  CHECK(params.grads()[0] == 3.0);  // under the limit: untouched
  CHECK(ovo::clip_grad_norm(params, 1.0) == doctest::Approx(5.0));
  CHECK(params.grads()[0] == doctest::Approx(3.0 / (5.0 + 1e-6)));
  CHECK(params.grads()[2] == doctest::Approx(4.0 / (5.0 + 1e-6)));
}

namespace {

// torch.optim.SGD's update of one value, in double, for the steps' gradients (dampening 0).
std::vector<double> torch_sgd(double p, const std::vector<double>& grads,
                              const std::vector<double>& lrs, double momentum, double weight_decay,
                              bool nesterov) {
  std::vector<double> out;
  double buffer = 0;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    double d = grads[t] + weight_decay * p;
    if (momentum != 0) {
      buffer = t == 0 ? d : momentum * buffer + d;
      d = nesterov ? d + momentum * buffer : buffer;
    }
    p -= lrs[t] * d;
    out.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE("SGD with momentum, Nesterov or not, matches torch.optim.SGD's rule over three steps") {
  const std::vector<double> grads_w{0.5, -0.25, 0.0}, grads_b{2.0, 1.0, -3.0}, lrs{0.1, 0.05, 0.02};
  for (const auto& [momentum, nesterov] :
       {std::pair{0.9, true}, std::pair{0.9, false}, std::pair{0.0, false}}) {
    CAPTURE(momentum);
    CAPTURE(nesterov);
    ovo::parameter_store<backend> params;
    params.add("w", {1}, true, ovo::parameter_init::zeros);
    params.add("b", {1}, false, ovo::parameter_init::zeros);
    params.allocate();
    params.values()[0] = 1.5;
    params.values()[1] = -0.5;
    ovo::sgd<backend> opt(params,
                          {.momentum = momentum, .weight_decay = 5e-4, .nesterov = nesterov});
    const auto w = torch_sgd(1.5, grads_w, lrs, momentum, 5e-4, nesterov);
    const auto b = torch_sgd(-0.5, grads_b, lrs, momentum, 0.0, nesterov);  // no decay on "b"
    for (std::size_t t = 0; t < lrs.size(); ++t) {
      CAPTURE(t);
      params.grads()[0] = grads_w[t];
      params.grads()[1] = grads_b[t];
      opt.step(lrs[t]);
      CHECK(params.values()[0] == doctest::Approx(w[t]).epsilon(1e-14));
      CHECK(params.values()[1] == doctest::Approx(b[t]).epsilon(1e-14));
    }
    CHECK(opt.steps() == 3);
  }
  // By hand, Nesterov's first two steps of "w": the buffer starts as the decayed gradient.
  const double d1 = 0.5 + 5e-4 * 1.5, p1 = 1.5 - 0.1 * (d1 + 0.9 * d1);
  const double d2 = -0.25 + 5e-4 * p1, buffer2 = 0.9 * d1 + d2,
               p2 = p1 - 0.05 * (d2 + 0.9 * buffer2);
  const auto w = torch_sgd(1.5, grads_w, lrs, 0.9, 5e-4, true);
  CHECK(w[0] == doctest::Approx(p1).epsilon(1e-15));
  CHECK(w[1] == doctest::Approx(p2).epsilon(1e-15));
}

TEST_CASE("SGD options out of range are refused, naming the option") {
  ovo::parameter_store<backend> params;
  params.add("w", {1}, true, ovo::parameter_init::zeros);
  params.allocate();
  CHECK_THROWS_WITH_AS(ovo::sgd<backend>(params, {.momentum = 1.0}),
                       doctest::Contains("momentum is 1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::sgd<backend>(params, {.weight_decay = -1.0}),
                       doctest::Contains("weight_decay is -1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::sgd<backend>(params, {.momentum = 0.0, .nesterov = true}),
                       doctest::Contains("nesterov"), std::invalid_argument);
}
