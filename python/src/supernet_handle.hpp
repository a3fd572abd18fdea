// A space's supernet on the CPU back end behind a run-time interface: forward passes and top-1 on
// host images (NCHW float32, any count: run in chunks of the largest batch), training steps,
// checkpoints and subnet export, archs as JSON.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ovo/io/checkpoint.hpp>
#include <ovo/io/subnet_export.hpp>
#include <ovo/optim/adamw.hpp>
#include <ovo/search/batch_norm_calibration.hpp>
#include <ovo/search/proxy/proxy.hpp>
#include <ovo/search/proxy_search.hpp>
#include <ovo/search/subnet_accuracy.hpp>
#include <ovo/train/supervised_step.hpp>
#include <ovo/util/seeds.hpp>

#include "common/pipeline.hpp"
#include "space_handle.hpp"

namespace ovo::python {

// What the training steps of a supernet use: AdamW's weight decay, the labels' smoothing, the
// gradient's clipping norm (0: none) and the drop-path rate.
struct training_settings {
  double weight_decay = 0.05;
  double label_smoothing = 0.1;
  double max_grad_norm = 0.0;
  double drop_path = 0.1;
};

class supernet_handle {
 public:
  virtual ~supernet_handle() = default;
  virtual image_geometry input() const = 0;
  virtual int classes() const = 0;
  virtual int max_batch() const = 0;
  virtual std::size_t parameter_count() const = 0;
  // Logits of `images` (count x channels x height x width) into `logits` (count x classes).
  virtual void forward(const json& a, std::span<const float> images, std::span<float> logits) = 0;
  virtual std::size_t count_correct(const json& a, std::span<const float> images,
                                    std::span<const int> labels) = 0;
  // One AdamW step of `a` on a batch of at most max_batch() images; returns the mean loss. The
  // drop-path draws are a function of (seed, step).
  virtual double train_step(const json& a, std::span<const float> images,
                            std::span<const int> labels, double lr, long step) = 0;
  virtual long optimizer_steps() const = 0;
  // Sets the running batch-norm statistics that `a` reads to its batch statistics on the images
  // (section 2.10 of docs/guide.md): what an EMO subnet needs before it is scored or exported. A
  // network without batch norms (ViT) is left as it is.
  virtual void calibrate_batch_norm(const json& a, std::span<const float> images) = 0;
  // Training-free: the proxy's scores of `archs` on the images at the current weights, and the
  // proxy search (TVT, which needs a teacher, is not offered here).
  virtual std::vector<double> proxy_scores(const std::string& proxy, const json& archs,
                                           std::span<const float> images,
                                           std::span<const int> labels) = 0;
  virtual json proxy_search(const std::string& proxy, std::span<const float> images,
                            std::span<const int> labels, const cost_constraint& constraint,
                            const proxy_search_options& options, const json_progress& progress) = 0;
  virtual void save_checkpoint(const std::filesystem::path& path) const = 0;
  virtual void load_checkpoint(const std::filesystem::path& path) = 0;
  virtual void export_subnet(const std::filesystem::path& path, const json& a) const = 0;
};

template <search_space Space, class Choices>
class supernet_model final : public supernet_handle {
  using net_type = app::supernet_for<Space>;

 public:
  supernet_model(Choices choices, int max_batch, std::uint64_t seed, training_settings settings)
      : choices_(std::move(choices)),
        seed_(seed),
        net_(make(choices_, max_batch)),
        optimizer_(net_.parameters(), adamw_options{.weight_decay = settings.weight_decay}),
        step_(net_, step_options{.label_smoothing = settings.label_smoothing,
                                 .max_grad_norm = settings.max_grad_norm}) {
    rng_engine rng(seeds::initial_weights(seed));
    net_.initialize(rng);
    net_.drop_path_rate = settings.drop_path;
  }

  image_geometry input() const override { return net_.input(); }
  int classes() const override { return net_.classes(); }
  int max_batch() const override { return net_.max_batch(); }
  std::size_t parameter_count() const override { return net_.parameters().size(); }

  void forward(const json& a, std::span<const float> images, std::span<float> logits) override {
    const auto arch = checked(a);
    const auto classes = static_cast<std::size_t>(net_.classes());
    for_chunks(images, [&](const image_batch<float>& batch, std::size_t first) {
      net_type::backend::copy_to_host(
          net_.forward(batch, arch, forward_mode::eval()),
          logits.subspan(first * classes, static_cast<std::size_t>(batch.batch) * classes));
    });
  }
  std::size_t count_correct(const json& a, std::span<const float> images,
                            std::span<const int> labels) override {
    const auto arch = checked(a);
    std::size_t correct = 0;
    for_chunks(images, [&](const image_batch<float>& batch, std::size_t first) {
      correct += ovo::count_correct(net_, arch, batch,
                                    labels.subspan(first, static_cast<std::size_t>(batch.batch)));
    });
    return correct;
  }
  double train_step(const json& a, std::span<const float> images, std::span<const int> labels,
                    double lr, long step) override {
    const auto arch = checked(a);
    rng_engine rng(seeds::step(seed_, step));
    return step_(net_, optimizer_, batch_of(images, "train_step"), labels, arch, lr, rng);
  }
  long optimizer_steps() const override { return optimizer_.steps(); }
  void calibrate_batch_norm(const json& a, std::span<const float> images) override {
    const auto arch = checked(a);
    evaluation_set<typename net_type::backend> calibration;
    for_chunks(images, [&](const image_batch<float>& batch, std::size_t) {
      const auto values = static_cast<std::size_t>(batch.batch) * net_.input().values();
      calibration.add(host_batch{batch.batch, batch.channels, batch.height, batch.width,
                                 std::vector<float>(batch.data, batch.data + values),
                                 std::vector<int>(static_cast<std::size_t>(batch.batch), 0)});
    });
    recalibrate_batch_norm(net_, arch, calibration);
  }
  std::vector<double> proxy_scores(const std::string& proxy, const json& archs,
                                   std::span<const float> images,
                                   std::span<const int> labels) override {
    std::vector<space_arch<Space>> list;
    for (const auto& a : archs) list.push_back(checked(a));
    [[maybe_unused]] const auto in = choices_.enter();
    proxy_scorer<Space, net_type> scorer(net_, batch_of(images, "proxy"), labels);
    return scorer.scores(list, proxy_without_teacher(proxy));
  }
  json proxy_search(const std::string& proxy, std::span<const float> images,
                    std::span<const int> labels, const cost_constraint& constraint,
                    const proxy_search_options& options, const json_progress& progress) override {
    [[maybe_unused]] const auto in = choices_.enter();
    proxy_scorer<Space, net_type> scorer(net_, batch_of(images, "proxy"), labels);
    return ovo::proxy_search<Space>(scorer, proxy_without_teacher(proxy), constraint, options,
                                    progress_of<Space>(progress));
  }
  void save_checkpoint(const std::filesystem::path& path) const override {
    io::save_checkpoint(path, net_, optimizer_);
  }
  void load_checkpoint(const std::filesystem::path& path) override {
    io::load_checkpoint(path, net_, &optimizer_);
  }
  void export_subnet(const std::filesystem::path& path, const json& a) const override {
    io::export_subnet(path, net_, checked(a));
  }

 private:
  static net_type make(const Choices& choices, int max_batch) {
    [[maybe_unused]] const auto in = choices.enter();
    return app::supernet_of<Space>::make(max_batch);
  }
  space_arch<Space> checked(const json& a) const {
    [[maybe_unused]] const auto in = choices_.enter();
    return arch_from<Space>(a);
  }
  static proxy_kind proxy_without_teacher(const std::string& name) {
    const auto kind = parse_proxy_kind(name);
    if (kind == proxy_kind::tvt)
      throw std::invalid_argument(
          "proxy tvt: needs a trained teacher network, which the module does not load; the ovo "
          "command's search --fitness tvt --teacher-model FILE does");
    return kind;
  }
  // The images as one batch of at most max_batch images.
  image_batch<float> batch_of(std::span<const float> images, const char* what) const {
    const auto g = net_.input();
    const auto count = images.size() / g.values();
    if (count > static_cast<std::size_t>(net_.max_batch()))
      throw std::invalid_argument(
          fmt::format("{}: a batch of {} images, expected at most max_batch = {}", what, count,
                      net_.max_batch()));
    return {images.data(), static_cast<int>(count), g.channels, g.height, g.width};
  }
  // Calls f(batch, index of its first image) for each chunk of at most max_batch images.
  template <class F>
  void for_chunks(std::span<const float> images, F&& f) {
    const auto g = net_.input();
    const std::size_t count = images.size() / g.values();
    for (std::size_t first = 0; first < count;) {
      const auto n =
          std::min<std::size_t>(count - first, static_cast<std::size_t>(net_.max_batch()));
      f(image_batch<float>{images.data() + first * g.values(), static_cast<int>(n), g.channels,
                           g.height, g.width},
        first);
      first += n;
    }
  }

  // Images as an evaluation set takes them (the loader's batch; the labels are not read).
  struct host_batch {
    int size, channels, height, width;
    std::vector<float> images;
    std::vector<int> labels;
  };

  Choices choices_;
  std::uint64_t seed_;
  net_type net_;
  adamw<typename net_type::backend> optimizer_;
  supervised_step<net_type> step_;
};

template <search_space Space, class Choices>
std::unique_ptr<supernet_handle> make_supernet_handle(const Choices& choices, int max_batch,
                                                      std::uint64_t seed,
                                                      const training_settings& settings) {
  return std::make_unique<supernet_model<Space, Choices>>(choices, max_batch, seed, settings);
}

}  // namespace ovo::python
