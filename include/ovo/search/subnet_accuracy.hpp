// Top-1 accuracy of a subnet with the supernet's inherited weights: the forward runs on prefix
// views of the shared weights, so a candidate is evaluated without copying any of them.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "ovo/nn/supernet.hpp"

namespace ovo {

// The correct top-1 predictions of subnet `a` (evaluation pass) among `images.batch` rows.
template <supernet Net>
std::size_t count_correct(Net& net, const arch_of<Net>& a,
                          const image_batch<scalar_of<Net>>& images, std::span<const int> labels) {
  using T = scalar_of<Net>;
  if (labels.size() != static_cast<std::size_t>(images.batch))
    throw std::invalid_argument(
        fmt::format("count_correct: {} labels for {} images", labels.size(), images.batch));
  const int classes = net.classes();
  std::vector<T> logits(static_cast<std::size_t>(images.batch) * classes);
  Net::backend::copy_to_host(net.forward(images, a, forward_mode::eval()), logits);
  std::size_t correct = 0;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    const T* row = logits.data() + r * static_cast<std::size_t>(classes);
    int best = 0;
    for (int c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    correct += best == labels[r];
  }
  return correct;
}

namespace detail {
// A loader batch's host images [size, c, h, w], converted to the back end's scalar, in its memory.
template <class Backend, class Batch>
typename Backend::template buffer<typename Backend::scalar> upload_images(const Batch& batch) {
  using T = typename Backend::scalar;
  const std::vector<T> host(batch.images.begin(), batch.images.end());
  typename Backend::template buffer<T> images(host.size());
  Backend::copy_from_host(std::span<const T>(host), images.data());
  return images;
}
}  // namespace detail

// An evaluation set held in back-end memory, in batches of at most the supernet's batch: built
// once from the loader's host batches, then scored for every candidate of a search.
template <class Backend>
class evaluation_set {
 public:
  using T = typename Backend::scalar;

  // Batch: host images [size, c, h, w] and labels, as the data loader yields them.
  template <class Batch>
  void add(const Batch& batch) {
    auto& stored = batches_.emplace_back();
    stored.images = detail::upload_images<Backend>(batch);
    stored.labels = batch.labels;
    stored.view = {nullptr, batch.size, batch.channels, batch.height, batch.width};
    images_ += static_cast<std::size_t>(batch.size);
  }
  // The batches of a loader's epoch 0: every one, or the first `max_batches`.
  template <class Loader>
  static evaluation_set from_loader(Loader& loader, std::size_t max_batches = SIZE_MAX) {
    evaluation_set set;
    loader.start(0);
    while (set.batches_.size() < max_batches)
      if (auto batch = loader.next())
        set.add(*batch);
      else
        break;
    return set;
  }

  std::size_t images() const { return images_; }
  std::size_t batches() const { return batches_.size(); }
  // Batch i's images and labels.
  image_batch<T> batch_images(std::size_t i) const {
    auto view = batches_.at(i).view;
    view.data = batches_[i].images.data();
    return view;
  }
  std::span<const int> batch_labels(std::size_t i) const { return batches_.at(i).labels; }

  // Calls f(images, labels) for every batch, in order.
  template <class F>
  void for_each_batch(F&& f) const {
    for (std::size_t i = 0; i < batches_.size(); ++i) f(batch_images(i), batch_labels(i));
  }

  // The fraction of correct top-1 predictions of `a` over the whole set.
  template <supernet Net>
  requires std::same_as<typename Net::backend, Backend>
  double top1(Net& net, const arch_of<Net>& a) const {
    if (images_ == 0) throw std::logic_error("evaluation_set::top1 on an empty set");
    std::size_t correct = 0;
    for_each_batch([&](const image_batch<T>& images, std::span<const int> labels) {
      correct += count_correct(net, a, images, labels);
    });
    return static_cast<double>(correct) / static_cast<double>(images_);
  }

 private:
  struct stored_batch {
    typename Backend::template buffer<T> images;
    std::vector<int> labels;
    image_batch<T> view;
  };
  std::vector<stored_batch> batches_;
  std::size_t images_ = 0;
};

// The top-1 of `a` over one pass of a loader (data too large to hold, e.g. ImageNet folders).
template <supernet Net, class Loader>
double streamed_top1(Net& net, const arch_of<Net>& a, Loader& loader) {
  using Backend = typename Net::backend;
  std::size_t correct = 0, seen = 0;
  loader.start(0);
  while (auto batch = loader.next()) {
    const auto images = detail::upload_images<Backend>(*batch);
    correct += count_correct(
        net, a, {images.data(), batch->size, batch->channels, batch->height, batch->width},
        batch->labels);
    seen += static_cast<std::size_t>(batch->size);
  }
  if (seen == 0) throw std::logic_error("streamed_top1: the loader yielded no image");
  return static_cast<double>(correct) / static_cast<double>(seen);
}

}  // namespace ovo
