// Whole supernet training runs on a back end under test against the CPU back end, ViT and EMO:
// the same weights to rounding, and a checkpoint written by either back end resumed by the
// other. Run on Thrust's OpenMP system (test_train) and on CUDA (test_cuda).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <type_traits>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "synthetic_loader.hpp"

namespace ovo::test {

struct vit_case {
  using space = tiny_space;
  template <class B>
  using net = ovo::vit_supernet<B>;
  template <class B>
  static net<B> make() {
    return net<B>(space::shape(), 4);
  }
  static synthetic_loader loader() { return {}; }
};

struct emo_case {
  using space = tiny_emo_space;
  template <class B>
  using net = ovo::emo_supernet<B>;
  template <class B>
  static net<B> make() {
    return net<B>(space::geometry, space::largest(), 4);
  }
  static synthetic_loader loader() {
    return {.channels = space::geometry.channels,
            .image_size = space::geometry.image_size,
            .classes = space::geometry.classes};
  }
};

// The weights after a run of `options` on back end B stopped at `stop` (resuming from
// options.checkpoint_path when it holds a checkpoint), as host values.
template <class Case, class B>
std::vector<typename B::scalar> weights_after(const ovo::trainer_options& options, long stop) {
  auto net = Case::template make<B>();
  ovo::rng_engine init(1);
  net.initialize(init);
  auto loader = Case::loader();
  ovo::supernet_trainer<typename Case::space, typename Case::template net<B>, synthetic_loader>
      trainer(net, loader, options);
  trainer.resume();
  trainer.train({}, stop);
  const auto& p = net.parameters();
  std::vector<typename B::scalar> out(p.size());
  B::copy_to_host(p.values(), out);
  return out;
}

// max |a - b| / max |b|.
template <class T>
double relative_difference(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    norm = std::max(norm, std::abs(double(b[i])));
  }
  return diff / norm;
}

// Six OVO steps (teacher, student, distillation, AdamW) of Case's supernet on B and on the CPU,
// in B's scalar; then three steps on each back end resumed by the other from its checkpoint. In
// double: AdamW turns gradients that are rounding noise (a bias before a batch norm) into whole
// steps where the noise exceeds its epsilon, as float's does and double's does not.
template <class Case, class B>
void check_training_agrees() {
  using cpu_b = cpu<typename B::scalar>;
  const double tolerance = sizeof(typename B::scalar) == 4 ? 1e-4 : 1e-9;
  const temp_dir dir("backend_training");
  trainer_options options;
  options.total_steps = 6;
  options.lr = 1e-3;
  options.warmup_steps = 2;
  options.log_every = 3;
  options.seed = 9;
  options.sampler.strategy = sampling_strategy::ovo;  // teacher and students, distillation
  options.checkpoint_every = 1;
  const auto initial = weights_after<Case, cpu_b>(options, 0);

  options.checkpoint_path = dir / "cpu.safetensors";
  const auto on_cpu = weights_after<Case, cpu_b>(options, 6);
  options.checkpoint_path = dir / "tested.safetensors";
  const auto on_tested = weights_after<Case, B>(options, 6);
  CHECK(relative_difference(on_cpu, initial) > 1e-3);  // the runs moved the weights
  const double difference = relative_difference(on_tested, on_cpu);
  MESSAGE("weights after six steps: relative difference from the CPU back end ", difference);
  CHECK(difference < tolerance);

  // Three steps on one back end, checkpointed, the rest on the other.
  options.checkpoint_path = dir / "tested_then_cpu.safetensors";
  weights_after<Case, B>(options, 3);
  CHECK(relative_difference(weights_after<Case, cpu_b>(options, 6), on_cpu) < tolerance);
  options.checkpoint_path = dir / "cpu_then_tested.safetensors";
  weights_after<Case, cpu_b>(options, 3);
  CHECK(relative_difference(weights_after<Case, B>(options, 6), on_cpu) < tolerance);
}

// The gradients of one OVO step (the teacher's and the student's forward and backward passes and
// the distillation between them) on B and on the CPU, in fp32: within 1e-4 of their largest. The
// updates that follow are compared in double (check_training_agrees).
template <class Case, class B>
void check_step_gradients_agree() {
  static_assert(std::is_same_v<typename B::scalar, float>);
  auto loader = Case::loader();
  loader.start(0);
  const auto batch = *loader.next();
  const auto gradients = [&]<class Backend>(const Backend*) {
    using net_type = typename Case::template net<Backend>;
    auto net = Case::template make<Backend>();
    rng_engine init(1);
    net.initialize(init);
    typename Backend::template buffer<float> images(batch.images.size());
    Backend::copy_from_host(std::span<const float>(batch.images), images.data());
    const image_batch<float> input{images.data(), batch.size, batch.channels, batch.height,
                                   batch.width};
    rng_engine rng(seeds::step(9, 0));
    const auto archs =
        draw_step_archs<typename Case::space>({.strategy = sampling_strategy::ovo}, rng);
    distillation_step<net_type> step(net, distillation_options{});
    step.gradients(net, input, batch.targets, *archs.teacher, archs.students, 1, rng);
    std::vector<float> out(net.parameters().size());
    Backend::copy_to_host(net.parameters().grads(), std::span<float>(out));
    return out;
  };
  const auto on_cpu = gradients(static_cast<const cpu<float>*>(nullptr));
  const auto on_tested = gradients(static_cast<const B*>(nullptr));
  const double difference = relative_difference(on_tested, on_cpu);
  MESSAGE("fp32 gradients of an OVO step: relative difference from the CPU back end ", difference);
  CHECK(difference < 1e-4);
}

// Back end B counting its waits: reads (copy_to_host) and waited uploads (copy_from_host).
template <class B>
struct counting_waits : B {
  using T = typename B::scalar;
  static inline long reads = 0, waited_uploads = 0;
  static void copy_to_host(const T* src, std::span<T> host) {
    ++reads;
    B::copy_to_host(src, host);
  }
  static void copy_from_host(std::span<const T> host, T* dst) {
    ++waited_uploads;
    B::copy_from_host(host, dst);
  }
};

// Every training step of each sampling rule (one subnet; OVO's teacher and student; the sandwich
// rule's four subnets), with clipping and drop-path, waits for the host once: its read of its
// losses. Its uploads of the batch and the targets do not wait; drop-path's scales are drawn on
// the back end.
template <class Case, class B>
void check_one_wait_per_step() {
  using counted = counting_waits<B>;
  static_assert(backend<counted>);
  for (const auto strategy :
       {sampling_strategy::uniform, sampling_strategy::ovo, sampling_strategy::sandwich}) {
    CAPTURE(to_string(strategy));
    auto net = Case::template make<counted>();
    rng_engine init(1);
    net.initialize(init);
    net.drop_path_rate = 0.2;
    auto loader = Case::loader();
    trainer_options options;
    options.total_steps = 5;
    options.max_grad_norm = 1.0;
    options.log_every = 2;
    options.sampler.strategy = strategy;
    supernet_trainer<typename Case::space, typename Case::template net<counted>, synthetic_loader>
        trainer(net, loader, options);
    counted::reads = counted::waited_uploads = 0;
    trainer.train();
    CHECK(trainer.history().size() == 3);
    CHECK(counted::reads == options.total_steps);
    CHECK(counted::waited_uploads == 0);
  }
}

}  // namespace ovo::test
