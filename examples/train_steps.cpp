// Trains a Fashion-MNIST-shaped supernet for a few steps on a synthetic task and prints the loss.
//
// Each of the 10 classes is a fixed random 28x28 pattern; a sample is its class's pattern plus
// noise. One uniformly sampled subnet trains per step; the smallest and largest subnets are then
// evaluated with the shared weights, and the largest is exported as a standalone model.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ovo/ovo.hpp>

int main(int argc, char** argv) {
  using space = ovo::fashion_mnist_space;
  using backend = ovo::cpu<float>;
  int steps = 200;
  const int batch = 32, pixels = 28 * 28;
  if (argc > 2 && std::string(argv[1]) == "--steps") steps = std::stoi(argv[2]);

  ovo::rng_engine rng(1);
  std::vector<float> patterns(10 * pixels);
  for (auto& p : patterns) p = static_cast<float>(ovo::standard_normal(rng));
  std::vector<float> images(batch * pixels);
  std::vector<int> labels(batch);
  auto draw_batch = [&] {
    for (int b = 0; b < batch; ++b) {
      labels[b] = static_cast<int>(ovo::uniform_index(rng, 10));
      for (int i = 0; i < pixels; ++i)
        images[b * pixels + i] =
            patterns[labels[b] * pixels + i] + 1.0f * static_cast<float>(ovo::standard_normal(rng));
    }
  };

  ovo::vit_supernet<backend> net(space::shape(), batch);
  net.initialize(rng);
  net.drop_path_rate = 0.1;
  ovo::adamw<backend> optimizer(net.parameters(), {.lr = 1e-3, .weight_decay = 0.05});
  ovo::supervised_step<backend, ovo::qkv_blocked> step(
      net, {.label_smoothing = 0.1, .max_grad_norm = 5.0});
  const ovo::cosine_schedule schedule{
      .base_lr = 1e-3, .min_lr = 1e-5, .warmup_steps = 5, .total_steps = steps};
  fmt::print("supernet {} params, {} archs in the space, workspace {:.1f} MiB\n",
             net.parameters().size(), space::size(), net.workspace_bytes() / 1048576.0);
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    draw_batch();
    const auto a = space::sample(rng);
    const double loss =
        step(net, optimizer, {images.data(), batch, 1, 28, 28}, labels, a, schedule(s), rng);
    if (s % 10 == 0 || s == steps - 1) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print("step {:4d}  loss {:.4f}  lr {:.2e}  {:6.1f} img/s  arch embed={} depth={}\n", s,
                 loss, schedule(s), (s + 1) * batch / secs, a.embed, a.depth);
    }
  }
  draw_batch();
  for (const auto& a : {space::smallest(), space::largest()}) {
    const float* logits = net.forward({images.data(), batch, 1, 28, 28}, a);
    int correct = 0;
    for (int b = 0; b < batch; ++b) {
      int best = 0;
      for (int c = 1; c < 10; ++c)
        if (logits[b * 10 + c] > logits[b * 10 + best]) best = c;
      correct += best == labels[b];
    }
    fmt::print("{}: {} params, {:.1f} M multiply-adds, accuracy on a fresh batch {}/{}\n",
               ovo::to_string(a), ovo::count_params(a, space::shape()),
               ovo::count_macs(a, space::shape()) / 1e6, correct, batch);
  }
  ovo::io::export_subnet("largest_subnet.safetensors", net, space::largest());
  fmt::print("exported the largest subnet to largest_subnet.safetensors\n");
}
