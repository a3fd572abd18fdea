// One supernet training step on labels: forward an arch, cross-entropy, backward, clip, AdamW.
#pragma once

#include <cmath>
#include <span>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "ovo/loss/cross_entropy.hpp"
#include "ovo/nn/vit_supernet.hpp"
#include "ovo/optim/adamw.hpp"
#include "ovo/optim/clip.hpp"

namespace ovo {

struct step_options {
  double label_smoothing = 0.1;
  double max_grad_norm = 0.0;  // 0: no clipping
};

// Holds the target and gradient buffers of the loss, sized once for the supernet's batch.
template <class Backend, class Layout>
class supervised_step {
 public:
  using T = typename Backend::scalar;

  explicit supervised_step(const vit_supernet<Backend, Layout>& net, step_options options = {})
      : options_(options),
        targets_host_(static_cast<std::size_t>(net.max_batch()) * net.shape().classes),
        targets_(targets_host_.size()),
        dlogits_(targets_host_.size()) {}

  // Trains `a` on one batch and returns the mean loss before the update. The gradients are zeroed
  // first; drop-path draws come from rng. Throws (before updating anything) on a non-finite loss.
  double operator()(vit_supernet<Backend, Layout>& net, adamw<Backend>& optimizer,
                    const image_batch<T>& images, std::span<const int> labels, const arch& a,
                    double lr, rng_engine& rng) {
    const int classes = net.shape().classes;
    if (labels.size() != static_cast<std::size_t>(images.batch))
      throw std::invalid_argument(
          fmt::format("supervised_step: {} labels for {} images", labels.size(), images.batch));
    const auto n = labels.size() * static_cast<std::size_t>(classes);
    smoothed_one_hot<T>(labels, classes, options_.label_smoothing,
                        std::span<T>(targets_host_.data(), n));
    Backend::copy_from_host(std::span<const T>(targets_host_.data(), n), targets_.data());
    net.parameters().zero_grad();
    const T* logits = net.forward(images, a, &rng);
    const double loss =
        cross_entropy<Backend>(logits, targets_.data(), images.batch, classes, dlogits_.data());
    if (!std::isfinite(loss))
      throw std::runtime_error(
          fmt::format("training diverged: loss is {} at optimizer step {} (arch {})", loss,
                      optimizer.steps() + 1, to_string(a)));
    net.backward(dlogits_.data());
    if (options_.max_grad_norm > 0) clip_grad_norm(net.parameters(), options_.max_grad_norm);
    optimizer.step(lr);
    return loss;
  }

 private:
  step_options options_;
  std::vector<T> targets_host_;
  typename Backend::template buffer<T> targets_, dlogits_;
};

}  // namespace ovo
