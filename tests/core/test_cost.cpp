// The cost model against parameter counts known independently and against the exported tensors.
#include <doctest/doctest.h>

#include <ovo/ovo.hpp>

namespace {
// timm's DeiT shapes as single-arch spaces (224 px, patch 16, 1000 classes).
using deit_tiny =
    ovo::vit_space<ovo::embed<192>, ovo::depth<12>, ovo::heads<3>, ovo::mlp_ratio<4.0>>;
using deit_small =
    ovo::vit_space<ovo::embed<384>, ovo::depth<12>, ovo::heads<6>, ovo::mlp_ratio<4.0>>;
using deit_base =
    ovo::vit_space<ovo::embed<768>, ovo::depth<12>, ovo::heads<12>, ovo::mlp_ratio<4.0>>;
}  // namespace

TEST_CASE("parameter counts of DeiT-Ti/S/B, as timm reports them") {
  CHECK(ovo::count_params(deit_tiny::largest(), deit_tiny::shape()) == 5'717'416);
  CHECK(ovo::count_params(deit_small::largest(), deit_small::shape()) == 22'050'664);
  CHECK(ovo::count_params(deit_base::largest(), deit_base::shape()) == 86'567'656);
}

TEST_CASE("parameter count: the closed form written out for mixed archs") {
  const auto shape = ovo::autoformer_tiny::shape();
  const ovo::arch a{216, 3, {3, 4, 3}, {3.5, 4.0, 4.0}};
  // patch 216*768+216, cls 216, pos 197*216, final norm 432, head 216*1000+1000, and per layer
  // 4*216 (norms) + qkv (3*64h*216 + 3*64h) + proj (64h*216 + 216) + fc1/fc2 (2*216*m + m + 216).
  auto layer = [](long h, long m) {
    return 4 * 216 + (3 * 64 * h * 216 + 3 * 64 * h) + (64 * h * 216 + 216) +
           (2 * 216 * m + m + 216);
  };
  const long expected = 216 * 768 + 216 + 216 + 197 * 216 + 432 + 216 * 1000 + 1000 +
                        layer(3, 756) + layer(4, 864) + layer(3, 864);
  CHECK(ovo::count_params(a, shape) == expected);
}

TEST_CASE("parameter count equals the size of the exported standalone subnet") {
  using space = ovo::autoformer_tiny_cifar100;
  ovo::vit_supernet<ovo::cpu<float>> net(space::shape(), 1);
  ovo::rng_engine rng(9);
  for (int i = 0; i < 5; ++i) {
    const auto a = space::sample(rng);
    std::int64_t total = 0;
    for (const auto& t : net.subnet_tensors(a)) {
      std::int64_t n = 1;
      for (auto d : t.shape) n *= d;
      total += n;
    }
    CHECK(ovo::count_params(a, space::shape()) == total);
  }
  // The supernet itself is its own largest subnet.
  CHECK(static_cast<std::int64_t>(net.parameters().size()) ==
        ovo::count_params(ovo::arch{256, 14, std::vector<int>(14, 4), std::vector<double>(14, 4.0)},
                          space::shape()));
}

TEST_CASE("multiply-adds: DeiT-Ti at 224 px is about 1.26 G") {
  const auto macs = ovo::count_macs(deit_tiny::largest(), deit_tiny::shape());
  // Written out: patch 196*768*192, per layer 197*192*576 + 2*197*197*192 + 197*192*192 +
  // 2*197*192*768, head 192*1000.
  const long layer =
      197L * 192 * 576 + 2L * 197 * 197 * 192 + 197L * 192 * 192 + 2L * 197 * 192 * 768;
  CHECK(macs == 196L * 768 * 192 + 12 * layer + 192L * 1000);
  CHECK(macs > 1'200'000'000);
  CHECK(macs < 1'300'000'000);
}
