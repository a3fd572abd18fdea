// One supernet step with online distillation: a teacher subnet on the targets, student subnets of
// the same supernet on CE plus KL to the teacher's detached logits, one AdamW update for all.
#pragma once

#include <span>
#include <stdexcept>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/loss/distillation.hpp"
#include "ovo/nn/vit_supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/train/step_support.hpp"

namespace ovo {

struct distillation_options {
  // A student's loss: (1 - alpha) * CE(targets) + alpha * T^2 * KL(teacher || student).
  double alpha = 0.5;
  double temperature = 1.0;
  double label_smoothing = 0.1;  // used when the step is given hard labels
  double max_grad_norm = 0.0;    // 0: no clipping
};

// Mean losses of one step, before the update.
struct distillation_losses {
  double teacher = 0;  // CE of the teacher on the targets
  double student = 0;  // mean over students of (1 - alpha) * CE + alpha * T^2 * KL
  double kl = 0;       // mean over students of T^2 * KL(teacher || student)
};

// OVO's step (methods.md section 3) with one student; the sandwich rule's in-place distillation
// with the largest subnet as teacher, the smallest and random subnets as students and alpha = 1.
// The teacher's gradient is accumulated before the students run, so one workspace serves all.
template <class Backend, class Layout>
class distillation_step {
 public:
  using T = typename Backend::scalar;

  explicit distillation_step(const vit_supernet<Backend, Layout>& net,
                             distillation_options options = {})
      : options_(options),
        targets_(net.max_batch(), net.shape().classes),
        dlogits_(rows(net)),
        teacher_logits_(rows(net)),
        teacher_probs_(rows(net)) {
    if (!(options.alpha >= 0 && options.alpha <= 1))
      throw std::invalid_argument("distillation_options: alpha must lie in [0, 1]");
    if (!(options.temperature > 0))
      throw std::invalid_argument("distillation_options: temperature must be positive");
  }

  distillation_losses operator()(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                                 const image_batch<T>& images, std::span<const int> labels,
                                 const arch& teacher, std::span<const arch> students, double lr,
                                 rng_engine& rng) {
    detail::require_batch(labels.size(), images.batch, "labels");
    return train(net, optimizer, images, targets_.from_labels(labels, options_.label_smoothing),
                 teacher, students, lr, rng);
  }
  // Soft targets [batch, classes] (mixup/cutmix, already smoothed), host memory.
  distillation_losses operator()(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                                 const image_batch<T>& images, std::span<const float> targets,
                                 const arch& teacher, std::span<const arch> students, double lr,
                                 rng_engine& rng) {
    detail::require_batch(targets.size() / static_cast<std::size_t>(net.shape().classes),
                          images.batch, "target rows");
    return train(net, optimizer, images, targets_.from_soft(targets), teacher, students, lr, rng);
  }

 private:
  static std::size_t rows(const vit_supernet<Backend, Layout>& net) {
    return static_cast<std::size_t>(net.max_batch()) * net.shape().classes;
  }

  distillation_losses train(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                            const image_batch<T>& images, const T* targets, const arch& teacher,
                            std::span<const arch> students, double lr, rng_engine& rng) {
    const int b = images.batch, classes = net.shape().classes;
    const long step = optimizer.steps() + 1;
    const auto n = static_cast<std::size_t>(b) * classes;
    distillation_losses losses;
    net.parameters().zero_grad();

    const T* logits = net.forward(images, teacher, &rng);
    Backend::copy(logits, n, teacher_logits_.data());
    losses.teacher = cross_entropy<Backend>(logits, targets, b, classes, dlogits_.data());
    detail::require_finite_loss(losses.teacher, "teacher cross-entropy", step, teacher);
    net.backward(dlogits_.data());

    const double alpha = options_.alpha;
    for (const arch& student : students) {
      logits = net.forward(images, student, &rng);
      const double ce =
          cross_entropy<Backend>(logits, targets, b, classes, dlogits_.data(), T(1.0 - alpha));
      const double kl =
          distillation_kl<Backend>(logits, teacher_logits_.data(), b, classes, options_.temperature,
                                   teacher_probs_.data(), dlogits_.data(), T(alpha), true);
      const double loss = (1.0 - alpha) * ce + alpha * kl;
      detail::require_finite_loss(loss, "student", step, student);
      net.backward(dlogits_.data());
      losses.student += loss / static_cast<double>(students.size());
      losses.kl += kl / static_cast<double>(students.size());
    }
    detail::clip_and_update(net.parameters(), optimizer, options_.max_grad_norm, lr);
    return losses;
  }

  distillation_options options_;
  detail::staged_targets<Backend> targets_;
  typename Backend::template buffer<T> dlogits_, teacher_logits_, teacher_probs_;
};

}  // namespace ovo
