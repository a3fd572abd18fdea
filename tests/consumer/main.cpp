// A downstream program on the installed headers alone (find_package(ovo), no component): a
// supernet step on a few random images, its products on Eigen.
#include <cstdio>
#include <span>
#include <vector>

#include <ovo/ovo.hpp>

#if defined(ZLIB_H) || defined(PNG_H) || defined(__TURBOJPEG_H__)
#error "<ovo/ovo.hpp> includes zlib, libpng or TurboJPEG, which only its opt-in readers need"
#endif

int main() {
  using backend = ovo::cpu<float>;
  using space = ovo::fashion_mnist_space;
  ovo::vit_supernet<backend> net(space::shape(), 2);
  ovo::rng_engine rng(0);
  net.initialize(rng);
  ovo::adamw<backend> optimizer(net.parameters(), {});
  ovo::supervised_step step(net);
  std::vector<float> images(2 * 28 * 28), targets(2 * 10, 0.0f);
  for (float& x : images) x = static_cast<float>(ovo::standard_normal(rng));
  targets[3] = targets[10 + 7] = 1.0f;
  const double loss = step(net, optimizer, {images.data(), 2, 1, 28, 28},
                           std::span<const float>(targets), space::sample(rng), 1e-3, rng);
  std::printf("loss %.4f, products on %s\n", loss, backend::gemm_policy::description().c_str());
  return loss > 0 ? 0 : 1;
}
