// Ready-made EMO spaces: the reference's EMO-1M/2M/5M/6M as one-arch spaces, and elastic spaces
// around them for ImageNet, CIFAR-100 and Fashion-MNIST.
#pragma once

#include "ovo/space/emo_geometry.hpp"
#include "ovo/space/emo_space.hpp"

namespace ovo {

// The reference models at 224 px, 3 channels, 1000 classes; they differ in head dims only.
struct emo_1m_geometry {
  static constexpr emo_geometry value = emo_reference_geometry({16, 16, 20, 21});
};
struct emo_2m_geometry {
  static constexpr emo_geometry value = emo_reference_geometry({16, 16, 20, 20});
};
struct emo_5m_geometry {
  static constexpr emo_geometry value = emo_reference_geometry({24, 24, 32, 32});
};
struct emo_6m_geometry {
  static constexpr emo_geometry value = emo_reference_geometry({16, 24, 20, 32});
};

// One-arch spaces: `sample` returns the reference model (stages 3 and 4 attend after their first
// block, stages 1 and 2 never).
using emo_1m =
    emo_space<emo_stage<emo_depths<2>, emo_widths<32>, emo_expansions<2.0>>,
              emo_stage<emo_depths<2>, emo_widths<48>, emo_expansions<2.5>>,
              emo_stage<emo_depths<8>, emo_widths<80>, emo_expansions<3.0>, emo_attention::on>,
              emo_stage<emo_depths<3>, emo_widths<168>, emo_expansions<3.5>, emo_attention::on>,
              emo_1m_geometry>;
using emo_2m =
    emo_space<emo_stage<emo_depths<3>, emo_widths<32>, emo_expansions<2.0>>,
              emo_stage<emo_depths<3>, emo_widths<48>, emo_expansions<2.5>>,
              emo_stage<emo_depths<9>, emo_widths<120>, emo_expansions<3.0>, emo_attention::on>,
              emo_stage<emo_depths<3>, emo_widths<200>, emo_expansions<3.5>, emo_attention::on>,
              emo_2m_geometry>;
using emo_5m =
    emo_space<emo_stage<emo_depths<3>, emo_widths<48>, emo_expansions<2.0>>,
              emo_stage<emo_depths<3>, emo_widths<72>, emo_expansions<3.0>>,
              emo_stage<emo_depths<9>, emo_widths<160>, emo_expansions<4.0>, emo_attention::on>,
              emo_stage<emo_depths<3>, emo_widths<288>, emo_expansions<4.0>, emo_attention::on>,
              emo_5m_geometry>;
using emo_6m =
    emo_space<emo_stage<emo_depths<3>, emo_widths<48>, emo_expansions<2.0>>,
              emo_stage<emo_depths<3>, emo_widths<72>, emo_expansions<3.0>>,
              emo_stage<emo_depths<9>, emo_widths<160>, emo_expansions<4.0>, emo_attention::on>,
              emo_stage<emo_depths<3>, emo_widths<320>, emo_expansions<5.0>, emo_attention::on>,
              emo_6m_geometry>;

// The elastic geometries. Head dims 16, 16, 20, 8 divide every width choice of their stage (stage
// 4's widths 168, 200, 288 and 320 have 8 as greatest common divisor); with v ungrouped and
// attention before v (the reference's setting) the head dim changes no cost. ImageNet keeps the
// reference's stem stride 2 and 7x7 windows (maps of 14 and 7 px in stages 3 and 4). At 32 and 28
// px a stride-2 stem would leave maps of 2 and 1 px in stages 3 and 4, and a 7x7 window would pad
// them, so the small-image geometry has a stride-1 stem (CIFAR-100: maps 32/16/8/4/2 px after the
// stem and each stage) and one window over the whole map.
struct emo_imagenet_geometry {
  static constexpr emo_geometry value = emo_reference_geometry({16, 16, 20, 8});
};
constexpr emo_geometry emo_small_image_geometry(int image_size, int channels, int classes) {
  emo_geometry g = emo_reference_geometry({16, 16, 20, 8}, image_size, channels, classes);
  g.stem_stride = 1;
  g.window_sizes = {0, 0, 0, 0};
  return g;
}
struct emo_cifar100_geometry {
  static constexpr emo_geometry value = emo_small_image_geometry(32, 3, 100);
};
// Fashion-MNIST keeps the reference's stride-2 stem (maps of 14/7/4/2/1 px): its grey 28 px
// images lose little at 14 px, and a full-resolution stem and first stage would take two thirds
// of a small subnet's training time (878 against 316 images/s for subnets under 500k parameters,
// 2-core Intel Xeon with AVX-512).
struct emo_fashion_mnist_geometry {
  static constexpr emo_geometry value = [] {
    emo_geometry g = emo_small_image_geometry(28, 1, 10);
    g.stem_stride = 2;
    return g;
  }();
};

// The elastic EMO space: every choice of EMO-1M/2M/5M/6M and their neighbours, so each reference
// model is an arch of the space; blocks after the first of stages 3 and 4 each attend or not.
template <emo_geometry_type Geometry>
using emo_elastic_space =
    emo_space<emo_stage<emo_depths<1, 2, 3>, emo_widths<32, 48>, emo_expansions<1.5, 2.0, 2.5>>,
              emo_stage<emo_depths<1, 2, 3>, emo_widths<48, 72>, emo_expansions<2.0, 2.5, 3.0>>,
              emo_stage<emo_depths<4, 6, 8, 9>, emo_widths<80, 120, 160>,
                        emo_expansions<3.0, 3.5, 4.0>, emo_attention::either>,
              emo_stage<emo_depths<2, 3>, emo_widths<168, 200, 288, 320>,
                        emo_expansions<3.5, 4.0, 4.5, 5.0>, emo_attention::either>,
              Geometry>;

using emo_imagenet_space = emo_elastic_space<emo_imagenet_geometry>;
using emo_cifar100_space = emo_elastic_space<emo_cifar100_geometry>;

// Fashion-MNIST's space: the elastic choices and smaller ones beside them (narrower stages, and
// stages 3 and 4 as shallow as 2 and 1 blocks), so that subnets of the few hundred thousand
// parameters its 60,000 small grey images call for are archs of the space; EMO-1M/2M/5M/6M still
// are. Head dims 20 and 8 divide every width of stages 3 and 4.
using emo_fashion_mnist_space = emo_space<
    emo_stage<emo_depths<1, 2, 3>, emo_widths<16, 24, 32, 48>, emo_expansions<1.5, 2.0, 2.5>>,
    emo_stage<emo_depths<1, 2, 3>, emo_widths<24, 32, 48, 72>, emo_expansions<2.0, 2.5, 3.0>>,
    emo_stage<emo_depths<2, 4, 6, 8, 9>, emo_widths<40, 80, 120, 160>,
              emo_expansions<2.0, 3.0, 3.5, 4.0>, emo_attention::either>,
    emo_stage<emo_depths<1, 2, 3>, emo_widths<64, 96, 168, 200, 288, 320>,
              emo_expansions<2.0, 3.0, 3.5, 4.0, 4.5, 5.0>, emo_attention::either>,
    emo_fashion_mnist_geometry>;

}  // namespace ovo
