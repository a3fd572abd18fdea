// One supernet step with distillation: a teacher (a subnet of the same supernet trained on the
// targets, or a frozen network) and student subnets on CE plus KL to the teacher's detached logits,
// one AdamW update for all.
#pragma once

#include <concepts>
#include <functional>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/loss/distillation.hpp"
#include "ovo/loss/loss_values.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/train/step_support.hpp"

namespace ovo {

struct distillation_options {
  // A student's loss: (1 - alpha) * CE(targets) + alpha * T^2 * KL(teacher || student).
  double alpha = 0.5;
  double temperature = 1.0;
};

// Mean losses of one step, before the update.
struct distillation_losses {
  double teacher = 0;  // CE of the teacher on the targets
  double student = 0;  // mean over students of (1 - alpha) * CE + alpha * T^2 * KL
  double kl = 0;       // mean over students of T^2 * KL(teacher || student)
};

// A frozen teacher: logits [images.batch, classes] in back-end memory, evaluated without
// gradients, valid until its next call (a ConvNet teacher, or a fixed subnet of another supernet).
template <class F, class T>
concept frozen_teacher = requires(F& teacher, const image_batch<T>& images) {
  { teacher.logits(images) } -> std::same_as<const T*>;
};

// Any frozen teacher behind one type: the logits of a network that outlives this object.
template <class T>
struct frozen_logits {
  std::function<const T*(const image_batch<T>&)> of;

  const T* logits(const image_batch<T>& images) { return of(images); }
  explicit operator bool() const { return static_cast<bool>(of); }
};

// One fixed subnet of a supernet as a frozen teacher. The supernet must not be the one the step
// trains: its forward would overwrite the student's activations.
template <supernet Net>
struct frozen_subnet {
  Net& network;
  typename Net::arch_type architecture;

  const scalar_of<Net>* logits(const image_batch<scalar_of<Net>>& images) {
    return network.forward(images, architecture, forward_mode::eval());
  }
};

// OVO's step (methods.md section 3) with one student; the sandwich rule's in-place distillation
// with the largest subnet as teacher, the smallest and random subnets as students and alpha = 1;
// TVT's with a frozen ConvNet teacher. A teacher subnet's gradient is accumulated before the
// students run, so one workspace serves all.
template <supernet Net>
class distillation_step {
 public:
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  using arch_type = typename Net::arch_type;

  explicit distillation_step(const Net& net, distillation_options options = {},
                             step_options step = {})
      : options_(options),
        step_(step),
        targets_(net.max_batch(), net.classes()),
        dlogits_(rows(net)),
        teacher_logits_(rows(net)),
        teacher_probs_(rows(net)) {
    if (!(options.alpha >= 0 && options.alpha <= 1))
      throw std::invalid_argument("distillation_options: alpha must lie in [0, 1]");
    if (!(options.temperature > 0))
      throw std::invalid_argument("distillation_options: temperature must be positive");
  }

  // A teacher subnet of `net` trained on hard labels (smoothed by the step options).
  distillation_losses operator()(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                                 std::span<const int> labels, const arch_type& teacher,
                                 std::span<const arch_type> students, double lr, rng_engine& rng) {
    detail::require_batch(labels.size(), images.batch, "labels");
    const T* staged = targets_.from_labels(labels, step_.label_smoothing);
    const long step = optimizer.steps() + 1;
    const auto losses = train(net, images, staged,
                              subnet_teacher(net, images, staged, teacher, rng, no_frozen_logits),
                              students, step, rng);
    detail::clip_and_update(net.parameters(), optimizer, clip_, step_.max_grad_norm, lr);
    return losses;
  }
  // A teacher subnet of `net`, on soft targets [batch, classes] (mixup/cutmix, already
  // smoothed), host memory.
  distillation_losses operator()(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                                 std::span<const float> targets, const arch_type& teacher,
                                 std::span<const arch_type> students, double lr, rng_engine& rng) {
    return update(net, optimizer, images, targets, teacher, students, lr, rng);
  }
  // A frozen teacher (another network), on soft targets.
  template <frozen_teacher<T> Teacher>
  distillation_losses operator()(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                                 std::span<const float> targets, Teacher& teacher,
                                 std::span<const arch_type> students, double lr, rng_engine& rng) {
    return update(net, optimizer, images, targets, teacher, students, lr, rng);
  }

  // The losses and the gradients alone, left zeroed-then-accumulated in the parameters, without an
  // update: for a caller that reduces them across processes and updates itself. `step` (the
  // optimiser step to come) names a non-finite loss in the error.
  distillation_losses gradients(Net& net, const image_batch<T>& images,
                                std::span<const float> targets, const arch_type& teacher,
                                std::span<const arch_type> students, long step, rng_engine& rng) {
    const T* staged = soft_targets(net, images, targets);
    return train(net, images, staged,
                 subnet_teacher(net, images, staged, teacher, rng, no_frozen_logits), students,
                 step, rng);
  }
  // The same with a teacher subnet that learns from a frozen network as the students learn from
  // it: its loss is (1 - alpha) CE + alpha T^2 KL(frozen || teacher subnet) (the chain frozen
  // network -> teacher subnet -> students); losses.teacher stays the subnet's CE.
  template <frozen_teacher<T> Frozen>
  distillation_losses gradients(Net& net, const image_batch<T>& images,
                                std::span<const float> targets, Frozen& frozen,
                                const arch_type& teacher, std::span<const arch_type> students,
                                long step, rng_engine& rng) {
    const T* staged = soft_targets(net, images, targets);
    const auto above = [&frozen, &images] { return frozen.logits(images); };
    return train(net, images, staged, subnet_teacher(net, images, staged, teacher, rng, above),
                 students, step, rng);
  }
  template <frozen_teacher<T> Teacher>
  distillation_losses gradients(Net& net, const image_batch<T>& images,
                                std::span<const float> targets, Teacher& teacher,
                                std::span<const arch_type> students, long step, rng_engine& rng) {
    const T* staged = soft_targets(net, images, targets);
    const auto frozen = [&] {
      const T* logits = teacher.logits(images);
      cross_entropy<Backend>(logits, staged, images.batch, net.classes(), losses_.slot(teacher_ce),
                             static_cast<T*>(nullptr));
      return teacher_pass{logits, nullptr, false};
    };
    return train(net, images, staged, frozen, students, step, rng);
  }

 private:
  template <class Teacher>
  distillation_losses update(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                             std::span<const float> targets, Teacher& teacher,
                             std::span<const arch_type> students, double lr, rng_engine& rng) {
    const auto losses =
        gradients(net, images, targets, teacher, students, optimizer.steps() + 1, rng);
    detail::clip_and_update(net.parameters(), optimizer, clip_, step_.max_grad_norm, lr);
    return losses;
  }

  static std::size_t rows(const Net& net) {
    return static_cast<std::size_t>(net.max_batch()) * net.classes();
  }

  const T* soft_targets(const Net& net, const image_batch<T>& images,
                        std::span<const float> targets) {
    detail::require_batch(targets.size() / static_cast<std::size_t>(net.classes()), images.batch,
                          "target rows");
    return targets_.from_soft(targets);
  }

  static const T* no_frozen_logits() { return nullptr; }

  // What the students learn from: the teacher's logits (valid while they run) and, for a teacher
  // subnet trained in the step, its arch and whether it learnt from a frozen network too.
  struct teacher_pass {
    const T* logits;
    const arch_type* trained;
    bool above_frozen;
  };

  // Slots of losses_: the teacher's CE and KL to a frozen network, then each student's CE and KL.
  static constexpr std::size_t teacher_ce = 0, teacher_kl = 1;
  static constexpr std::size_t student_ce(std::size_t i) { return 2 + 2 * i; }
  static constexpr std::size_t student_kl(std::size_t i) { return 3 + 2 * i; }

  // The teacher subnet trained on the targets and, when above() gives a frozen network's logits,
  // on the KL to them: its gradient accumulated, its logits kept.
  template <class FrozenLogits>
  auto subnet_teacher(Net& net, const image_batch<T>& images, const T* targets,
                      const arch_type& teacher, rng_engine& rng, FrozenLogits above) {
    return [&, targets, above]() -> teacher_pass {
      const int b = images.batch, classes = net.classes();
      const T* logits = net.forward(images, teacher, forward_mode::train(rng));
      Backend::copy(logits, static_cast<std::size_t>(b) * classes, teacher_logits_.data());
      const T* frozen = above();  // another network: the subnet's activations stay
      const double alpha = frozen ? options_.alpha : 0.0;
      cross_entropy<Backend>(logits, targets, b, classes, losses_.slot(teacher_ce), dlogits_.data(),
                             T(1.0 - alpha));
      if (frozen)
        distillation_kl<Backend>(logits, frozen, b, classes, options_.temperature,
                                 teacher_probs_.data(), losses_.slot(teacher_kl), dlogits_.data(),
                                 T(alpha), true);
      net.backward(dlogits_.data());
      return {teacher_logits_.data(), &teacher, frozen != nullptr};
    };
  }

  // Zeroes the gradients, runs the teacher, then each student on CE + KL, accumulating their
  // gradients; the losses stay in back-end memory until one read after the last backward pass,
  // which checks them, teacher first.
  template <class Teacher>
  distillation_losses train(Net& net, const image_batch<T>& images, const T* targets,
                            Teacher&& run_teacher, std::span<const arch_type> students, long step,
                            rng_engine& rng) {
    const int b = images.batch, classes = net.classes();
    const double alpha = options_.alpha;
    losses_.reserve(student_ce(students.size()));
    net.parameters().zero_grad();
    const teacher_pass teacher = run_teacher();
    for (std::size_t i = 0; i < students.size(); ++i) {
      const T* logits = net.forward(images, students[i], forward_mode::train(rng));
      cross_entropy<Backend>(logits, targets, b, classes, losses_.slot(student_ce(i)),
                             dlogits_.data(), T(1.0 - alpha));
      distillation_kl<Backend>(logits, teacher.logits, b, classes, options_.temperature,
                               teacher_probs_.data(), losses_.slot(student_kl(i)), dlogits_.data(),
                               T(alpha), true);
      net.backward(dlogits_.data());
    }
    const auto values = losses_.read(student_ce(students.size()));
    const double scale = distillation_scale(options_.temperature);
    distillation_losses losses;
    losses.teacher = values[teacher_ce];
    if (teacher.trained) {
      const double a = teacher.above_frozen ? alpha : 0.0;
      double loss = (1.0 - a) * losses.teacher;
      if (teacher.above_frozen) loss += a * scale * values[teacher_kl];
      detail::require_finite_loss(loss, "teacher", step, *teacher.trained);
    }
    for (std::size_t i = 0; i < students.size(); ++i) {
      const double kl = scale * values[student_kl(i)];
      const double loss = (1.0 - alpha) * values[student_ce(i)] + alpha * kl;
      detail::require_finite_loss(loss, "student", step, students[i]);
      losses.student += loss / static_cast<double>(students.size());
      losses.kl += kl / static_cast<double>(students.size());
    }
    return losses;
  }

  distillation_options options_;
  step_options step_;
  grad_norm_clipper<Backend> clip_;
  detail::staged_targets<Backend> targets_;
  typename Backend::template buffer<T> dlogits_, teacher_logits_, teacher_probs_;
  loss_values<Backend> losses_;
};

}  // namespace ovo
