// docs/tutorial.md's program: a one-shot search on Fashion-MNIST from the library's pieces.
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include <ovo/data/gzip.hpp>  // Debian's Fashion-MNIST files are gzip-compressed (ovo::gzip)
#include <ovo/ovo.hpp>

int main(int argc, char** argv) {
  using space = ovo::fashion_mnist_space;  // embed 64-128, depth 4-6, heads 2-4, mlp 2-4, patch 7
  using backend = ovo::cpu<float>;
  namespace data = ovo::data;
  const std::uint64_t seed = 0;  // the command's --seed: same split and initial weights

  // Data by name, checked against the space; 100 training images per class held out for the
  // search.
  const std::filesystem::path dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  const auto train = data::load_dataset_for<space, data::image_set>(
      "fashion-mnist", "fashion-mnist", dir, data::dataset_split::train);
  const auto test =
      data::load_dataset<data::image_set>("fashion-mnist", dir, data::dataset_split::test);
  const auto split = data::split_holdout(train, 10, /*per_class=*/100, ovo::seeds::holdout(seed));
  // Two epochs: no crops or flips, as the main job (label smoothing 0.1 stays).
  const auto augment =
      data::dataset_augmentation("fashion-mnist", space::image_size, space::channels)
          .without_augmentation();
  data::batch_loader loader(train, split.train, augment, {.batch_size = 64, .seed = seed});

  // The supernet and its trainer: OVO sampling (largest subnet teaches a random student).
  using supernet = ovo::vit_supernet<backend>;
  supernet net(space::shape(), /*max_batch=*/256);  // drop_path_rate: 0
  ovo::rng_engine init(ovo::seeds::initial_weights(seed));
  net.initialize(init);
  ovo::trainer_options options;
  options.total_steps = argc > 2 ? std::stol(argv[2]) : 3000;
  options.lr = 2e-3;
  options.warmup_steps = 100;
  options.max_grad_norm = 5.0;
  options.sampler.strategy = ovo::sampling_strategy::ovo;
  options.distillation = {.alpha = 0.5, .temperature = 1.0};
  ovo::supernet_trainer<space, supernet, decltype(loader)> trainer(net, loader, options);
  trainer.train([](const ovo::training_record& r, long total) {
    fmt::print("step {}/{} loss {:.3f} {:.0f} img/s\n", r.step, total, r.loss, r.images_per_second);
  });

  // Search on the held-out images, inherited weights, at most 700k parameters.
  auto eval = [&](const std::vector<std::size_t>& indices, const data::image_set& set) {
    return data::batch_loader(
        set, indices, augment,
        {.batch_size = 256, .shuffle = false, .drop_last = false, .train = false});
  };
  auto holdout_loader = eval(split.holdout, train);
  const auto fitness = ovo::make_holdout_fitness(net, holdout_loader);
  const auto result =
      ovo::evolutionary_search<space>(fitness, {.max_params = 700'000},
                                      {.population = 25,
                                       .generations = argc > 3 ? std::stoi(argv[3]) : 10,
                                       .mutations = 12,
                                       .crossovers = 12});

  // Test the chosen subnet once, and export it as a standalone model.
  std::vector<std::size_t> all(test.size());
  std::iota(all.begin(), all.end(), 0);
  auto test_loader = eval(all, test);
  const double top1 = ovo::streamed_top1(net, result.best.architecture, test_loader);
  ovo::io::export_subnet("subnet.safetensors", net, result.best.architecture);
  fmt::print("{}: {} params, test top-1 {:.2f}%\n", ovo::to_string(result.best.architecture),
             result.best.params, 100 * top1);
}
