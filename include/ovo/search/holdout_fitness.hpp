// A search's fitness: the top-1 of a candidate on the held-out images, held in back-end memory up
// to a size limit and read through their loader for every candidate beyond it.
#pragma once

#include <cstddef>
#include <optional>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/batch_norm_calibration.hpp"
#include "ovo/search/subnet_accuracy.hpp"

namespace ovo {

// 1 GiB: Fashion-MNIST's and CIFAR's held-out images fit, ImageNet's 100,000 do not.
inline constexpr std::size_t default_holdout_memory_limit = std::size_t{1} << 30;

// fitness(a): the top-1 of arch `a` of `net` on the loader's images. Held-out images of at most
// `memory_limit` bytes once normalised (the loader's indices x its augment options' channels x
// size x size scalars) are read once, at construction, into an evaluation_set; larger
// ones are read through the loader again for every candidate (streamed_top1). With calibration
// batches (a network with batch norms), each candidate's batch norms are recalibrated on them
// first (recalibrate_batch_norm). The network, the loader and the calibration batches must outlive
// the fitness.
template <supernet Net, class Loader>
class holdout_fitness {
 public:
  using Backend = typename Net::backend;

  holdout_fitness(Net& net, Loader& loader, std::size_t memory_limit = default_holdout_memory_limit)
      : net_(net), loader_(loader) {
    const auto& augment = loader.augment();
    const std::size_t bytes = loader.indices().size() * static_cast<std::size_t>(augment.channels) *
                              static_cast<std::size_t>(augment.size) *
                              static_cast<std::size_t>(augment.size) *
                              sizeof(typename Backend::scalar);
    if (bytes <= memory_limit) held_.emplace(evaluation_set<Backend>::from_loader(loader));
  }

  double operator()(const arch_of<Net>& a) const {
    if (calibration_) recalibrate_batch_norm(net_, a, *calibration_);
    return held_ ? held_->top1(net_, a) : streamed_top1(net_, a, loader_);
  }

  bool held_in_memory() const { return held_.has_value(); }
  // Recalibrates every candidate's batch norms on `batches` before scoring it.
  void recalibrate_on(const evaluation_set<Backend>& batches) { calibration_ = &batches; }

 private:
  Net& net_;
  Loader& loader_;
  const evaluation_set<Backend>* calibration_ = nullptr;
  std::optional<evaluation_set<Backend>> held_;
};

// The held-out fitness of `net` on `loader` (see holdout_fitness).
template <supernet Net, class Loader>
holdout_fitness<Net, Loader> make_holdout_fitness(
    Net& net, Loader& loader, std::size_t memory_limit = default_holdout_memory_limit) {
  return {net, loader, memory_limit};
}

}  // namespace ovo
