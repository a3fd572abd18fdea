// One supernet training step of one subnet on targets: forward, cross-entropy, backward, AdamW.
#pragma once

#include <span>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/nn/vit_supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/train/step_support.hpp"

namespace ovo {

// Uniform sampling's step (AutoFormer): the caller draws the arch. Holds the target and gradient
// buffers of the loss, sized once for the supernet's batch.
template <class Backend, class Layout>
class supervised_step {
 public:
  using T = typename Backend::scalar;

  explicit supervised_step(const vit_supernet<Backend, Layout>& net, step_options options = {})
      : options_(options),
        targets_(net.max_batch(), net.shape().classes),
        dlogits_(static_cast<std::size_t>(net.max_batch()) * net.shape().classes) {}

  // Trains `a` on one batch of hard labels (smoothed by the options) and returns the mean loss
  // before the update. The gradients are zeroed first; drop-path draws come from rng. Throws
  // (before updating anything) on a non-finite loss.
  double operator()(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                    const image_batch<T>& images, std::span<const int> labels, const arch& a,
                    double lr, rng_engine& rng) {
    detail::require_batch(labels.size(), images.batch, "labels");
    return train(net, optimizer, images, targets_.from_labels(labels, options_.label_smoothing), a,
                 lr, rng);
  }
  // The same on soft targets [batch, classes] (mixup/cutmix, already smoothed), host memory.
  double operator()(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                    const image_batch<T>& images, std::span<const float> targets, const arch& a,
                    double lr, rng_engine& rng) {
    detail::require_batch(targets.size() / static_cast<std::size_t>(net.shape().classes),
                          images.batch, "target rows");
    return train(net, optimizer, images, targets_.from_soft(targets), a, lr, rng);
  }

 private:
  double train(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
               const image_batch<T>& images, const T* targets, const arch& a, double lr,
               rng_engine& rng) {
    net.parameters().zero_grad();
    const T* logits = net.forward(images, a, &rng);
    const double loss =
        cross_entropy<Backend>(logits, targets, images.batch, net.shape().classes, dlogits_.data());
    detail::require_finite_loss(loss, "cross-entropy", optimizer.steps() + 1, a);
    net.backward(dlogits_.data());
    detail::clip_and_update(net.parameters(), optimizer, options_.max_grad_norm, lr);
    return loss;
  }

  step_options options_;
  detail::staged_targets<Backend> targets_;
  typename Backend::template buffer<T> dlogits_;
};

}  // namespace ovo
