// Training steps: OVO's and the sandwich rule's gradients against finite differences, frozen
// teachers (a subnet of another ViT, a ResNet) left untouched, samplers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::test::random_vector;
using ovo::test::tiny_space;
using net_type = ovo::vit_supernet<backend, ovo::qkv_blocked>;

// The mean cross-entropy of logits against targets (host memory is the CPU back end's).
double cross_entropy_of(const double* logits, const double* targets, int rows, int classes) {
  double loss = 0;
  ovo::cross_entropy<backend>(logits, targets, rows, classes, &loss, nullptr);
  return loss;
}
// The distillation loss T^2 KL(teacher || student); probs: scratch for the teacher's probabilities.
double distillation_loss_of(const double* student, const double* teacher, int rows, int classes,
                            double temperature, double* probs) {
  double kl = 0;
  ovo::distillation_kl<backend>(student, teacher, rows, classes, temperature, probs, &kl, nullptr);
  return ovo::distillation_scale(temperature) * kl;
}

// The loss the distillation step minimises, with the teacher's logits held fixed (detached):
// CE_t + sum over students of (1 - a) CE_s + a T^2 KL(teacher || student).
double distillation_objective(net_type& net, const ovo::image_batch<double>& x,
                              const std::vector<double>& targets, const ovo::arch& teacher,
                              const std::vector<ovo::arch>& students,
                              const std::vector<double>& fixed_teacher_logits, double alpha,
                              double temperature) {
  const int classes = net.shape().classes;
  std::vector<double> probs(targets.size());
  double total = cross_entropy_of(net.forward(x, teacher, ovo::forward_mode::eval()),
                                  targets.data(), x.batch, classes);
  for (const auto& s : students) {
    const double* logits = net.forward(x, s, ovo::forward_mode::eval());
    total += (1 - alpha) * cross_entropy_of(logits, targets.data(), x.batch, classes);
    total += alpha * distillation_loss_of(logits, fixed_teacher_logits.data(), x.batch, classes,
                                          temperature, probs.data());
  }
  return total;
}

// Checks every stride-th gradient against central differences of objective() in the values.
template <class Objective>
void check_central_differences(ovo::parameter_store<backend>& p, const std::vector<double>& grads,
                               Objective&& objective, std::size_t stride) {
  const double h = 1e-5;
  for (std::size_t i = 0; i < p.size(); i += stride) {
    const double saved = p.values()[i];
    p.values()[i] = saved + h;
    const double up = objective();
    p.values()[i] = saved - h;
    const double down = objective();
    p.values()[i] = saved;
    CAPTURE(i);
    CHECK(grads[i] == doctest::Approx((up - down) / (2 * h)).epsilon(2e-5).scale(1e-4));
  }
}

// A supernet and another network of the tiny space initialised from `seed`, a batch of three
// random images and fixed soft targets: what the frozen-teacher tests share.
struct two_networks {
  static constexpr int batch = 3;
  net_type net{tiny_space::shape(), batch}, other{tiny_space::shape(), batch};
  ovo::rng_engine rng;
  std::vector<double> images;
  ovo::image_batch<double> x;
  std::vector<float> soft{0.7f, 0.1f, 0.1f, 0.05f, 0.05f, 0.2f, 0.2f, 0.2f,
                          0.2f, 0.2f, 0.0f, 0.0f,  0.0f,  0.0f, 1.0f};
  std::vector<double> targets{soft.begin(), soft.end()};

  explicit two_networks(std::uint64_t seed)
      : rng(seed),
        images(random_vector(batch * 2 * 8 * 8, seed + 1)),
        x{images.data(), batch, 2, 8, 8} {
    net.initialize(rng);
    other.initialize(rng);
  }
};

}  // namespace

TEST_CASE("distillation step: the accumulated gradient is that of teacher CE + student CE/KL") {
  const int batch = 3, classes = tiny_space::num_classes;
  net_type net(tiny_space::shape(), batch);
  ovo::rng_engine rng(21);
  net.initialize(rng);
  auto images = random_vector(batch * 2 * 8 * 8, 22);
  const ovo::image_batch<double> x{images.data(), batch, 2, 8, 8};
  std::vector<float> soft(batch * classes);
  for (auto& v : soft) v = static_cast<float>(ovo::uniform_unit(rng) + 0.1);
  for (int r = 0; r < batch; ++r) {  // rows of a distribution
    float sum = 0;
    for (int c = 0; c < classes; ++c) sum += soft[r * classes + c];
    for (int c = 0; c < classes; ++c) soft[r * classes + c] /= sum;
  }
  const std::vector<double> targets(soft.begin(), soft.end());

  for (auto [alpha, temperature, n_students] :
       {std::tuple{0.5, 1.0, 1}, std::tuple{1.0, 2.0, 2}, std::tuple{0.3, 3.0, 1}}) {
    CAPTURE(alpha);
    CAPTURE(temperature);
    const auto teacher = tiny_space::sample(rng);
    std::vector<ovo::arch> students;
    for (int i = 0; i < n_students; ++i) students.push_back(tiny_space::sample(rng));
    auto& p = net.parameters();
    const std::vector<double> weights(p.values(), p.values() + p.size());
    const double* t = net.forward(x, teacher, ovo::forward_mode::eval());
    const std::vector<double> teacher_logits(t, t + batch * classes);

    ovo::adamw<backend> optimizer(p, {});
    ovo::distillation_step<net_type> step(net, {.alpha = alpha, .temperature = temperature});
    const auto losses = step(net, optimizer, x, soft, teacher, students, 1e-3, rng);
    // The step updated the weights; its gradients stay in the store. Put the weights back.
    CHECK(!std::equal(weights.begin(), weights.end(), p.values()));
    std::copy(weights.begin(), weights.end(), p.values());
    const std::vector<double> grads(p.grads(), p.grads() + p.size());

    const double objective = distillation_objective(net, x, targets, teacher, students,
                                                    teacher_logits, alpha, temperature);
    CHECK(losses.teacher + n_students * losses.student == doctest::Approx(objective));
    const double h = 1e-5;
    for (std::size_t i = 0; i < p.size(); i += 3) {
      const double saved = p.values()[i];
      p.values()[i] = saved + h;
      const double up = distillation_objective(net, x, targets, teacher, students, teacher_logits,
                                               alpha, temperature);
      p.values()[i] = saved - h;
      const double down = distillation_objective(net, x, targets, teacher, students, teacher_logits,
                                                 alpha, temperature);
      p.values()[i] = saved;
      const double numeric = (up - down) / (2 * h);
      CAPTURE(i);
      CHECK(grads[i] == doctest::Approx(numeric).epsilon(2e-5).scale(1e-4));
    }
  }
}

TEST_CASE("distillation step with a frozen teacher of another network: students' CE + KL only") {
  const int batch = two_networks::batch, classes = tiny_space::num_classes;
  two_networks setup(31);
  auto& [net, teacher_net, rng, images, x, soft, targets] = setup;
  REQUIRE(soft.size() == static_cast<std::size_t>(batch * classes));
  ovo::frozen_subnet<net_type> teacher{teacher_net, tiny_space::largest()};
  const double* t = teacher.logits(x);
  const std::vector<double> teacher_logits(t, t + batch * classes);
  // Sentinels in the teacher's gradients: a frozen teacher's stay untouched.
  auto& tp = teacher_net.parameters();
  std::fill(tp.grads(), tp.grads() + tp.size(), 7.0);
  const std::vector<double> teacher_weights(tp.values(), tp.values() + tp.size());

  const double alpha = 0.4, temperature = 2.0;
  const std::vector<ovo::arch> students{tiny_space::sample(rng), tiny_space::smallest()};
  auto& p = net.parameters();
  const std::vector<double> weights(p.values(), p.values() + p.size());
  ovo::adamw<backend> optimizer(p, {});
  ovo::distillation_step<net_type> step(net, {.alpha = alpha, .temperature = temperature});
  const auto losses = step(net, optimizer, x, std::span<const float>(soft), teacher,
                           std::span<const ovo::arch>(students), 1e-3, rng);
  CHECK(std::all_of(tp.grads(), tp.grads() + tp.size(), [](double g) { return g == 7.0; }));
  CHECK(std::equal(teacher_weights.begin(), teacher_weights.end(), tp.values()));
  CHECK(losses.teacher ==
        doctest::Approx(cross_entropy_of(teacher_logits.data(), targets.data(), batch, classes)));
  std::copy(weights.begin(), weights.end(), p.values());
  const std::vector<double> grads(p.grads(), p.grads() + p.size());

  std::vector<double> probs(targets.size());
  auto objective = [&] {
    double total = 0;
    for (const auto& s : students) {
      const double* logits = net.forward(x, s, ovo::forward_mode::eval());
      total += (1 - alpha) * cross_entropy_of(logits, targets.data(), batch, classes);
      total += alpha * distillation_loss_of(logits, teacher_logits.data(), batch, classes,
                                            temperature, probs.data());
    }
    return total;
  };
  CHECK(2 * losses.student == doctest::Approx(objective()));
  check_central_differences(p, grads, objective, 5);
}

TEST_CASE("distillation step with a frozen network above a teacher subnet: the chain's gradient") {
  const int batch = two_networks::batch, classes = tiny_space::num_classes;
  two_networks setup(51);
  auto& [net, frozen_net, rng, images, x, soft, targets] = setup;
  ovo::frozen_subnet<net_type> frozen{frozen_net, tiny_space::largest()};
  const double* f = frozen.logits(x);
  const std::vector<double> frozen_logits(f, f + batch * classes);
  auto& fp = frozen_net.parameters();
  std::fill(fp.grads(), fp.grads() + fp.size(), 7.0);

  const double alpha = 0.4, temperature = 2.0;
  const ovo::arch teacher = tiny_space::largest();
  const std::vector<ovo::arch> students{tiny_space::sample(rng)};
  const double* t = net.forward(x, teacher, ovo::forward_mode::eval());
  const std::vector<double> teacher_logits(t, t + batch * classes);
  ovo::distillation_step<net_type> step(net, {.alpha = alpha, .temperature = temperature});
  const auto losses = step.gradients(net, x, std::span<const float>(soft), frozen, teacher,
                                     std::span<const ovo::arch>(students), 1, rng);
  auto& p = net.parameters();
  const std::vector<double> grads(p.grads(), p.grads() + p.size());
  CHECK(std::all_of(fp.grads(), fp.grads() + fp.size(), [](double g) { return g == 7.0; }));
  CHECK(losses.teacher ==
        doctest::Approx(cross_entropy_of(teacher_logits.data(), targets.data(), batch, classes)));

  // (1 - a) CE_t + a T^2 KL(frozen || teacher), then the students on the detached teacher.
  std::vector<double> probs(targets.size());
  auto objective = [&] {
    const double* logits = net.forward(x, teacher, ovo::forward_mode::eval());
    double total = (1 - alpha) * cross_entropy_of(logits, targets.data(), batch, classes);
    total += alpha * distillation_loss_of(logits, frozen_logits.data(), batch, classes, temperature,
                                          probs.data());
    logits = net.forward(x, students.front(), ovo::forward_mode::eval());
    total += (1 - alpha) * cross_entropy_of(logits, targets.data(), batch, classes);
    total += alpha * distillation_loss_of(logits, teacher_logits.data(), batch, classes,
                                          temperature, probs.data());
    return total;
  };
  check_central_differences(p, grads, objective, 3);

  // With alpha 0 the frozen network changes nothing: the teacher subnet learns from the targets.
  ovo::distillation_step<net_type> plain(net, {.alpha = 0.0, .temperature = temperature});
  ovo::rng_engine first(5), second(5);
  plain.gradients(net, x, std::span<const float>(soft), teacher,
                  std::span<const ovo::arch>(students), 1, first);
  const std::vector<double> without(p.grads(), p.grads() + p.size());
  plain.gradients(net, x, std::span<const float>(soft), frozen, teacher,
                  std::span<const ovo::arch>(students), 1, second);
  CHECK(std::equal(without.begin(), without.end(), p.grads()));
}

TEST_CASE("distillation step with a frozen ResNet teacher: the teacher and its logits unchanged") {
  const int batch = 3, classes = tiny_space::num_classes;
  net_type net(tiny_space::shape(), batch);
  ovo::resnet<backend> teacher(
      {.depth = 8, .classes = classes, .channels = 2, .height = 8, .width = 8}, batch);
  ovo::rng_engine rng(41);
  net.initialize(rng);
  teacher.initialize(rng);
  auto images = random_vector(batch * 2 * 8 * 8, 42);
  const ovo::image_batch<double> x{images.data(), batch, 2, 8, 8};
  // Running statistics of a trained teacher, then sentinels in its gradients.
  for (long pass = 0; pass < 2; ++pass)
    teacher.forward(x, teacher.arch(), ovo::forward_mode::calibration(pass));
  auto& tp = teacher.parameters();
  std::fill(tp.grads(), tp.grads() + tp.size(), 7.0);
  const std::vector<double> teacher_weights(tp.values(), tp.values() + tp.size());
  const std::vector<double> teacher_buffers(teacher.buffers().values(),
                                            teacher.buffers().values() + teacher.buffers().size());
  const double* t = teacher.logits(x);
  const std::vector<double> teacher_logits(t, t + batch * classes);

  const std::vector<float> soft{0.7f, 0.1f, 0.1f, 0.05f, 0.05f, 0.2f, 0.2f, 0.2f,
                                0.2f, 0.2f, 0.0f, 0.0f,  0.0f,  0.0f, 1.0f};
  const std::vector<ovo::arch> students{tiny_space::sample(rng), tiny_space::smallest()};
  auto& p = net.parameters();
  const std::vector<double> weights(p.values(), p.values() + p.size());
  ovo::adamw<backend> optimizer(p, {});
  ovo::distillation_step<net_type> step(net, {.alpha = 0.5, .temperature = 2.0});
  for (int i = 0; i < 2; ++i)
    step(net, optimizer, x, std::span<const float>(soft), teacher,
         std::span<const ovo::arch>(students), 1e-3, rng);
  CHECK(!std::equal(weights.begin(), weights.end(), p.values()));
  CHECK(std::all_of(tp.grads(), tp.grads() + tp.size(), [](double g) { return g == 7.0; }));
  CHECK(std::equal(teacher_weights.begin(), teacher_weights.end(), tp.values()));
  CHECK(std::equal(teacher_buffers.begin(), teacher_buffers.end(), teacher.buffers().values()));
  t = teacher.logits(x);
  CHECK(std::vector<double>(t, t + batch * classes) == teacher_logits);
}

TEST_CASE("distillation step: a NaN student loss stops it before the weights change") {
  const int batch = 2;
  net_type net(tiny_space::shape(), batch);
  ovo::rng_engine rng(5);
  net.initialize(rng);
  auto images = random_vector(batch * 2 * 8 * 8, 6);
  ovo::adamw<backend> optimizer(net.parameters(), {});
  ovo::distillation_step<net_type> step(net);
  const std::vector<int> labels{0, 1};
  // The teacher's CE is finite, a student's head reads a NaN weight the teacher does not:
  // the teacher is the smallest subnet, the student the largest.
  auto& p = net.parameters();
  const auto head = p.find("head.weight");
  p.values()[head.offset + tiny_space::shape().embed - 1] = std::nan("");
  const std::vector<double> before(p.values(), p.values() + p.size());
  const std::vector<ovo::arch> students{tiny_space::largest()};
  CHECK_THROWS_WITH_AS(step(net, optimizer, {images.data(), batch, 2, 8, 8}, labels,
                            tiny_space::smallest(), students, 1e-3, rng),
                       doctest::Contains("training diverged: student loss is nan at optimizer "
                                         "step 1"),
                       std::runtime_error);
  CHECK(std::equal(before.begin(), before.end(), p.values(),
                   [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }));
  CHECK(optimizer.steps() == 0);
  using step_type = ovo::distillation_step<net_type>;
  CHECK_THROWS_AS(step_type(net, {.alpha = 1.5}), std::invalid_argument);
}

TEST_CASE("samplers: uniform, sandwich and OVO teacher/student pairs") {
  ovo::rng_engine rng(3);
  const auto shape = tiny_space::shape();
  for (int trial = 0; trial < 50; ++trial) {
    const auto u =
        ovo::draw_step_archs<tiny_space>({.strategy = ovo::sampling_strategy::uniform}, rng);
    CHECK(!u.teacher);
    REQUIRE(u.students.size() == 1);
    CHECK(tiny_space::contains(u.students[0]));

    const auto s = ovo::draw_step_archs<tiny_space>(
        {.strategy = ovo::sampling_strategy::sandwich, .sandwich_random = 3}, rng);
    CHECK(s.teacher == tiny_space::largest());
    REQUIRE(s.students.size() == 4);
    CHECK(s.students[0] == tiny_space::smallest());

    const auto o = ovo::draw_step_archs<tiny_space>({.strategy = ovo::sampling_strategy::ovo}, rng);
    CHECK(o.teacher == tiny_space::largest());
    REQUIRE(o.students.size() == 1);

    const auto r = ovo::draw_step_archs<tiny_space>(
        {.strategy = ovo::sampling_strategy::ovo, .teacher = ovo::teacher_rule::larger_random},
        rng);
    REQUIRE(r.teacher);
    CHECK(tiny_space::contains(*r.teacher));
    CHECK(ovo::count_params(*r.teacher, shape) >= ovo::count_params(r.students[0], shape));
  }
  // Training focused on a budget: every random subnet within it, the largest teacher unchanged.
  const auto cap = static_cast<double>(ovo::count_params(tiny_space::smallest(), shape)) * 1.5;
  for (int trial = 0; trial < 50; ++trial) {
    for (auto strategy : {ovo::sampling_strategy::uniform, ovo::sampling_strategy::ovo}) {
      const auto d = ovo::draw_step_archs<tiny_space>(
          {.strategy = strategy, .teacher = ovo::teacher_rule::larger_random, .max_params = cap},
          rng);
      CHECK(ovo::count_params(d.students[0], shape) <= cap);
      if (d.teacher) {
        CHECK(ovo::count_params(*d.teacher, shape) <= cap);
        CHECK(ovo::count_params(*d.teacher, shape) >= ovo::count_params(d.students[0], shape));
      }
    }
    const auto s = ovo::draw_step_archs<tiny_space>(
        {.strategy = ovo::sampling_strategy::sandwich, .max_params = cap}, rng);
    CHECK(s.teacher == tiny_space::largest());
    for (std::size_t i = 1; i < s.students.size(); ++i)
      CHECK(ovo::count_params(s.students[i], shape) <= cap);
  }
  CHECK_THROWS_WITH_AS(ovo::draw_step_archs<tiny_space>({.max_params = 10}, rng),
                       doctest::Contains("max_params = 10: no subnet of the space"),
                       std::invalid_argument);
  // Same seed, same draws.
  ovo::rng_engine a(9), b(9);
  for (int i = 0; i < 10; ++i)
    CHECK(ovo::draw_step_archs<tiny_space>({}, a).students ==
          ovo::draw_step_archs<tiny_space>({}, b).students);
  CHECK(ovo::parse_sampling_strategy("sandwich") == ovo::sampling_strategy::sandwich);
  CHECK_THROWS_WITH_AS(ovo::parse_sampling_strategy("greedy"),
                       "sampling strategy 'greedy': expected uniform, sandwich or ovo",
                       std::invalid_argument);
}
