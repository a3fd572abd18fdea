// A threaded, prefetching batch loader whose batches depend only on (seed, epoch, batch index).
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "ovo/data/augment.hpp"
#include "ovo/data/image.hpp"
#include "ovo/data/mixing.hpp"
#include "ovo/util/process_group.hpp"
#include "ovo/util/random.hpp"

namespace ovo::data {

// Labelled images read by index, safely from several threads at once through a const reference,
// with their number of classes as a member `classes` or a function `classes()` (image_set has one).
template <class S>
concept image_source = requires(const S& s, std::size_t i) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.label(i) } -> std::convertible_to<int>;
  { s.image(i) } -> std::convertible_to<image_u8>;
}
&&(
    requires(const S& s) {
      { s.classes() } -> std::convertible_to<int>;
    } ||
    requires(const S& s) {
      { s.classes } -> std::convertible_to<int>;
    });

template <image_source S>
int source_classes(const S& source) {
  if constexpr (requires { source.classes(); })
    return source.classes();
  else
    return source.classes;
}

// One batch in host memory.
struct batch {
  int size = 0, channels = 0, height = 0, width = 0, classes = 0;
  std::uint64_t epoch = 0, index = 0;  // position: batch `index` of `epoch`
  std::vector<float> images;           // [size, channels, height, width], normalised
  std::vector<float> targets;          // [size, classes] soft targets (smoothing / mixing applied)
  std::vector<int> labels;             // hard labels
};

struct loader_options {
  int batch_size = 64;
  bool shuffle = true;    // training only: evaluation keeps the order of the indices
  bool drop_last = true;  // drop the last, incomplete batch of an epoch
  bool train = true;      // training transforms and targets; else evaluation, one-hot targets
  int workers = 1;        // threads building batches; 0: next() builds them itself
  int prefetch = 4;       // batches built ahead of the consumer, at most
  std::uint64_t seed = 0;
  // Data-parallel training: this loader is process `rank` of `processes` and builds only its shard
  // of every batch (shard_of(batch_size, rank, processes)), the very rows of the whole batch,
  // augmented alike; mixup and cutmix then pair images within the shard, as each process of a
  // PyTorch data-parallel job does. Needs drop_last and a batch size the processes divide.
  int rank = 0, processes = 1;
};

// Delivers the batches of an epoch in order. With shuffling, the epoch's order of `indices` is a
// Fisher-Yates permutation drawn from derive_seed(seed, epoch); sample p of the epoch is augmented
// with derive_seed(seed, epoch, p, 1) and batch k is mixed with derive_seed(seed, epoch, k, 2).
// So a batch depends only on (seed, epoch, k), whatever the number of workers and their timing,
// and start(epoch, k) continues an interrupted epoch exactly. Workers claim batch indices in order
// and wait while `prefetch` batches are claimed ahead of the consumer. The source must outlive
// the loader.
template <image_source Source>
class batch_loader {
 public:
  batch_loader(const Source& source, std::vector<std::size_t> indices, augment_options augment,
               loader_options options)
      : source_(source),
        indices_(std::move(indices)),
        augment_(std::move(augment)),
        options_(options),
        classes_(source_classes(source)) {
    if (options_.batch_size < 1 || options_.workers < 0 || options_.prefetch < 1)
      throw std::invalid_argument(fmt::format(
          "batch_loader: expected batch_size >= 1, workers >= 0 and prefetch >= 1, got {}, {} "
          "and {}",
          options_.batch_size, options_.workers, options_.prefetch));
    if (classes_ < 1)
      throw std::invalid_argument(
          fmt::format("batch_loader: expected a source with classes >= 1, got {}", classes_));
    if (options_.processes > 1 && !options_.drop_last)
      throw std::invalid_argument(fmt::format(
          "batch_loader: a shard for {} processes needs drop_last, so that every batch is whole",
          options_.processes));
    shard_ = shard_of(options_.batch_size, options_.rank, options_.processes);
    const std::size_t n = source_.size();
    for (const std::size_t i : indices_)
      if (i >= n)
        throw std::out_of_range(
            fmt::format("batch_loader: index {} is not below the source's size {}", i, n));
  }
  batch_loader(const batch_loader&) = delete;
  batch_loader& operator=(const batch_loader&) = delete;
  ~batch_loader() { stop(); }

  // The source's images an epoch delivers, and how each is transformed.
  const std::vector<std::size_t>& indices() const { return indices_; }
  const augment_options& augment() const { return augment_; }
  // The process this loader builds shards for, and the number of processes (1: whole batches).
  int rank() const { return options_.rank; }
  int processes() const { return options_.processes; }

  std::size_t batches_per_epoch() const {
    const auto n = indices_.size(), b = static_cast<std::size_t>(options_.batch_size);
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }

  // Stops any running epoch and starts delivering `epoch` from batch first_batch on.
  void start(std::uint64_t epoch, std::size_t first_batch = 0) {
    stop();
    if (first_batch > batches_per_epoch())
      throw std::out_of_range(fmt::format("batch_loader::start: first batch {} of an epoch of {}",
                                          first_batch, batches_per_epoch()));
    epoch_ = epoch;
    order_ = indices_;
    if (options_.train && options_.shuffle) {
      rng_engine rng(derive_seed(options_.seed, epoch));
      for (std::size_t i = order_.size(); i > 1; --i)
        std::swap(order_[i - 1], order_[uniform_index(rng, i)]);
    }
    end_ = batches_per_epoch();
    next_claim_ = next_deliver_ = first_batch;
    ready_.clear();
    failure_ = nullptr;
    stopping_ = false;
    started_ = true;
    for (int w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { work(); });
  }

  // The next batch of the epoch, or nullopt after its last one. A failure while building a batch
  // is rethrown here when that batch is due, and again on later calls until start().
  std::optional<batch> next() {
    if (!started_) throw std::logic_error("batch_loader::next: expected a call to start() first");
    if (failure_) std::rethrow_exception(failure_);
    if (next_deliver_ >= end_) return std::nullopt;
    const auto t0 = std::chrono::steady_clock::now();
    result r;
    if (workers_.empty()) {
      r = build_or_failure(next_deliver_);
      ++next_deliver_;
    } else {
      std::unique_lock lock(mutex_);
      ready_cv_.wait(lock, [this] { return ready_.contains(next_deliver_); });
      r = std::move(ready_.extract(next_deliver_).mapped());
      ++next_deliver_;
      lock.unlock();
      work_cv_.notify_all();
    }
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (auto* failure = std::get_if<std::exception_ptr>(&r)) {
      failure_ = *failure;
      stop();
      std::rethrow_exception(failure_);
    }
    return std::move(std::get<batch>(r));
  }

  // Total time next() spent waiting for batches (building them itself when workers = 0).
  double wait_seconds() const { return wait_seconds_; }

 private:
  using result = std::variant<batch, std::exception_ptr>;

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  void work() {
    const auto ahead = static_cast<std::size_t>(options_.prefetch);
    for (;;) {
      std::size_t k;
      {
        std::unique_lock lock(mutex_);
        work_cv_.wait(lock, [&] {
          return stopping_ || next_claim_ >= end_ || next_claim_ < next_deliver_ + ahead;
        });
        if (stopping_ || next_claim_ >= end_) return;
        k = next_claim_++;
      }
      result r = build_or_failure(k);
      {
        std::lock_guard lock(mutex_);
        ready_.emplace(k, std::move(r));
      }
      ready_cv_.notify_one();
    }
  }

  result build_or_failure(std::size_t k) const {
    try {
      return build(k);
    } catch (...) {
      return std::current_exception();
    }
  }

  batch build(std::size_t k) const {
    const auto batch_size = static_cast<std::size_t>(options_.batch_size);
    const std::size_t first = k * batch_size + static_cast<std::size_t>(shard_.first);
    const std::size_t count = options_.processes > 1 ? static_cast<std::size_t>(shard_.count)
                                                     : std::min(batch_size, order_.size() - first);
    batch b;
    b.size = static_cast<int>(count);
    b.channels = augment_.channels;
    b.height = b.width = augment_.size;
    b.classes = classes_;
    b.epoch = epoch_;
    b.index = k;
    const std::size_t sample = static_cast<std::size_t>(b.channels) * b.height * b.width;
    b.images.resize(count * sample);
    b.labels.resize(count);
    b.targets.resize(count * static_cast<std::size_t>(classes_));
    for (std::size_t j = 0; j < count; ++j) {
      const std::size_t position = first + j, index = order_[position];
      const image_u8 img = source_.image(index);
      b.labels[j] = source_.label(index);
      float* out = b.images.data() + j * sample;
      if (options_.train) {
        rng_engine rng(derive_seed(options_.seed, epoch_, position, 1));
        train_sample(img, augment_, rng, out);
      } else {
        eval_sample(img, augment_, out);
      }
    }
    if (options_.train && augment_.use_mix) {
      // A shard mixes with a stream of its own (tag 3), the whole batch with tag 2.
      rng_engine rng(options_.processes > 1
                         ? derive_seed(options_.seed, epoch_,
                                       k * static_cast<std::size_t>(options_.processes) +
                                           static_cast<std::size_t>(options_.rank),
                                       3)
                         : derive_seed(options_.seed, epoch_, k, 2));
      mix_batch(b.images.data(), b.size, b.channels, b.height, b.width, b.labels, classes_,
                augment_.mix, rng, b.targets.data());
    } else {
      smooth_targets(b.labels, classes_, options_.train ? augment_.mix.label_smoothing : 0.0,
                     b.targets.data());
    }
    return b;
  }

  const Source& source_;
  const std::vector<std::size_t> indices_;
  const augment_options augment_;
  const loader_options options_;
  const int classes_;
  batch_shard shard_;  // the rows of each batch this loader builds

  // The running epoch, set by start() before its workers begin.
  std::uint64_t epoch_ = 0;
  std::vector<std::size_t> order_;
  std::size_t end_ = 0;
  bool started_ = false;

  // Shared with the workers, under mutex_.
  std::mutex mutex_;
  std::condition_variable work_cv_;   // a batch may be claimed, or stop
  std::condition_variable ready_cv_;  // a batch is ready
  std::size_t next_claim_ = 0, next_deliver_ = 0;
  std::map<std::size_t, result> ready_;
  bool stopping_ = false;

  // The consumer's own.
  std::exception_ptr failure_;
  double wait_seconds_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace ovo::data
