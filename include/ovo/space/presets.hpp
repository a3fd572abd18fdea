// Ready-made search spaces: AutoFormer-T/S/B at ImageNet and CIFAR resolutions, and Fashion-MNIST.
#pragma once

#include "ovo/space/vit_space.hpp"

namespace ovo {

// The AutoFormer spaces of methods.md section 1, on an image geometry and class count of choice.
template <class Image = image<224, 16, 3>, class Classes = classes<1000>>
using autoformer_tiny_space =
    vit_space<embed<192, 216, 240>, depth<12, 13, 14>, heads<3, 4>, mlp_ratio<3.5, 4.0>, Image,
              Classes, head_dim<64>, supernet_dims<256, 14, 4, 4.0>>;
template <class Image = image<224, 16, 3>, class Classes = classes<1000>>
using autoformer_small_space =
    vit_space<embed<320, 384, 448>, depth<12, 13, 14>, heads<5, 6, 7>, mlp_ratio<3.0, 3.5, 4.0>,
              Image, Classes, head_dim<64>, supernet_dims<448, 14, 7, 4.0>>;
template <class Image = image<224, 16, 3>, class Classes = classes<1000>>
using autoformer_base_space =
    vit_space<embed<528, 576, 624>, depth<14, 15, 16>, heads<9, 10>, mlp_ratio<3.0, 3.5, 4.0>,
              Image, Classes, head_dim<64>, supernet_dims<640, 16, 10, 4.0>>;

using autoformer_tiny = autoformer_tiny_space<>;
using autoformer_small = autoformer_small_space<>;
using autoformer_base = autoformer_base_space<>;

// CIFAR-100 at 32 px with patch 4 (65 tokens), and at 224 px with patch 16.
using autoformer_tiny_cifar100 = autoformer_tiny_space<image<32, 4, 3>, classes<100>>;
using autoformer_small_cifar100 = autoformer_small_space<image<32, 4, 3>, classes<100>>;
using autoformer_base_cifar100 = autoformer_base_space<image<32, 4, 3>, classes<100>>;
using autoformer_tiny_cifar100_224 = autoformer_tiny_space<image<224, 16, 3>, classes<100>>;
using autoformer_small_cifar100_224 = autoformer_small_space<image<224, 16, 3>, classes<100>>;
using autoformer_base_cifar100_224 = autoformer_base_space<image<224, 16, 3>, classes<100>>;

// AutoFormer-T's choices for 10-class ImageNet subsets such as Imagenette, 224 px, patch 16.
using autoformer_tiny_imagenette = autoformer_tiny_space<image<224, 16, 3>, classes<10>>;

// A small space for 28x28 grey Fashion-MNIST, head dim 32. Patch 7 (16 patches + the class token)
// keeps a supernet step cheap enough for a CPU run of a few minutes; the 49 patches of patch 4 cost
// three times more per image.
using fashion_mnist_space =
    vit_space<embed<64, 96, 128>, depth<4, 5, 6>, heads<2, 3, 4>, mlp_ratio<2.0, 3.0, 4.0>,
              image<28, 7, 1>, classes<10>, head_dim<32>>;

}  // namespace ovo
