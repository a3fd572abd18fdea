// One supernet training step of one subnet on targets: forward, cross-entropy, backward, AdamW.
#pragma once

#include <span>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/loss/loss_values.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/train/step_support.hpp"

namespace ovo {

// Uniform sampling's step (AutoFormer): the caller draws the arch. Holds the target and gradient
// buffers of the loss, sized once for the supernet's batch.
template <supernet Net>
class supervised_step {
 public:
  using Backend = typename Net::backend;
  using T = typename Backend::scalar;
  using arch_type = typename Net::arch_type;

  explicit supervised_step(const Net& net, step_options options = {})
      : options_(options),
        targets_(net.max_batch(), net.classes()),
        dlogits_(static_cast<std::size_t>(net.max_batch()) * net.classes()) {}

  // Trains `a` on one batch of hard labels (smoothed by the options) and returns the mean loss
  // before the update. The gradients are zeroed first; drop-path draws come from rng. Throws
  // (before updating anything) on a non-finite loss.
  double operator()(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                    std::span<const int> labels, const arch_type& a, double lr, rng_engine& rng) {
    detail::require_batch(labels.size(), images.batch, "labels");
    const double loss =
        gradients(net, images, targets_.from_labels(labels, options_.label_smoothing), a,
                  optimizer.steps() + 1, rng);
    detail::clip_and_update(net.parameters(), optimizer, clip_, options_.max_grad_norm, lr);
    return loss;
  }
  // The same on soft targets [batch, classes] (mixup/cutmix, already smoothed), host memory.
  double operator()(Net& net, adamw<Backend>& optimizer, const image_batch<T>& images,
                    std::span<const float> targets, const arch_type& a, double lr,
                    rng_engine& rng) {
    const double loss = gradients(net, images, targets, a, optimizer.steps() + 1, rng);
    detail::clip_and_update(net.parameters(), optimizer, clip_, options_.max_grad_norm, lr);
    return loss;
  }

  // The loss of `a` on soft targets and its gradients, left zeroed-then-accumulated in the
  // parameters, without an update: for a caller that reduces them across processes and updates
  // itself. `step` (the optimiser step to come) names a non-finite loss in the error.
  double gradients(Net& net, const image_batch<T>& images, std::span<const float> targets,
                   const arch_type& a, long step, rng_engine& rng) {
    detail::require_batch(targets.size() / static_cast<std::size_t>(net.classes()), images.batch,
                          "target rows");
    return gradients(net, images, targets_.from_soft(targets), a, step, rng);
  }

 private:
  // The loss is read once, after the backward pass: the step's one wait.
  double gradients(Net& net, const image_batch<T>& images, const T* targets, const arch_type& a,
                   long step, rng_engine& rng) {
    net.parameters().zero_grad();
    const T* logits = net.forward(images, a, forward_mode::train(rng));
    cross_entropy<Backend>(logits, targets, images.batch, net.classes(), loss_.slot(0),
                           dlogits_.data());
    net.backward(dlogits_.data());
    const double loss = loss_.read(1)[0];
    detail::require_finite_loss(loss, "cross-entropy", step, a);
    return loss;
  }

  step_options options_;
  grad_norm_clipper<Backend> clip_;
  detail::staged_targets<Backend> targets_;
  typename Backend::template buffer<T> dlogits_;
  loss_values<Backend> loss_;
};

}  // namespace ovo
