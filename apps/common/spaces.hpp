// The spaces the programs offer, by name, with the dataset reader each trains on.
#pragma once

#include <ovo/data/image.hpp>
#include <ovo/data/image_folder.hpp>
#include <ovo/space/emo_presets.hpp>
#include <ovo/space/presets.hpp>

#include "program.hpp"

namespace ovo::app::inline OVO_APP_DEVICE {

inline constexpr space_entry<fashion_mnist_space, data::image_set> fashion_mnist_entry{
    "fashion-mnist", "28x28 grey, patch 7, embed 64-128, depth 4-6, 10 classes (MNIST formats)"};

inline constexpr space_entry<emo_fashion_mnist_space, data::image_set> emo_fashion_mnist_entry{
    "emo-fashion-mnist",
    "EMO (iRMB) choices of EMO-1M/2M/5M/6M, 28x28 grey, stride-1 stem, 10 classes (MNIST formats)"};
inline constexpr space_entry<emo_cifar100_space, data::image_set> emo_cifar100_entry{
    "emo-cifar100", "EMO (iRMB) choices of EMO-1M/2M/5M/6M, 32 px, stride-1 stem, 100 classes"};
inline constexpr space_entry<emo_imagenet_space, data::image_folder> emo_imagenet_entry{
    "emo-imagenet",
    "EMO (iRMB) choices of EMO-1M/2M/5M/6M, 224 px, 7x7 windows, 1000 classes (ImageNet folders)"};

inline constexpr space_entry<autoformer_tiny_cifar100, data::image_set> cifar100_tiny_entry{
    "autoformer-t-cifar100", "AutoFormer-T choices, 32 px, patch 4, 100 classes"};
inline constexpr space_entry<autoformer_small_cifar100, data::image_set> cifar100_small_entry{
    "autoformer-s-cifar100", "AutoFormer-S choices, 32 px, patch 4, 100 classes"};
inline constexpr space_entry<autoformer_base_cifar100, data::image_set> cifar100_base_entry{
    "autoformer-b-cifar100", "AutoFormer-B choices, 32 px, patch 4, 100 classes"};
inline constexpr space_entry<autoformer_tiny_cifar100_224, data::image_set> cifar100_tiny_224_entry{
    "autoformer-t-cifar100-224", "AutoFormer-T choices, CIFAR upscaled to 224 px, patch 16"};
inline constexpr space_entry<autoformer_small_cifar100_224, data::image_set>
    cifar100_small_224_entry{"autoformer-s-cifar100-224",
                             "AutoFormer-S choices, CIFAR upscaled to 224 px, patch 16"};
inline constexpr space_entry<autoformer_base_cifar100_224, data::image_set> cifar100_base_224_entry{
    "autoformer-b-cifar100-224", "AutoFormer-B choices, CIFAR upscaled to 224 px, patch 16"};

inline constexpr space_entry<autoformer_tiny, data::image_folder> imagenet_tiny_entry{
    "autoformer-t", "AutoFormer-T, 224 px, patch 16, 1000 classes (ImageNet folders)"};
inline constexpr space_entry<autoformer_small, data::image_folder> imagenet_small_entry{
    "autoformer-s", "AutoFormer-S, 224 px, patch 16, 1000 classes (ImageNet folders)"};
inline constexpr space_entry<autoformer_base, data::image_folder> imagenet_base_entry{
    "autoformer-b", "AutoFormer-B, 224 px, patch 16, 1000 classes (ImageNet folders)"};
inline constexpr space_entry<autoformer_tiny_imagenette, data::image_folder> imagenette_tiny_entry{
    "autoformer-t-imagenette",
    "AutoFormer-T choices, 224 px, patch 16, 10 classes (Imagenette folders)"};

// A program's command line on every space above (those info offers), on this build's back end:
// compiled once per back end (apps/cpu_program.cpp, apps/cuda_program.cu) for every program.
inline int run_program_on_every_space(int argc, char** argv, const program_info& info) {
  return run_program(argc, argv, info, fashion_mnist_entry, emo_fashion_mnist_entry,
                     emo_cifar100_entry, emo_imagenet_entry, cifar100_tiny_entry,
                     cifar100_small_entry, cifar100_base_entry, cifar100_tiny_224_entry,
                     cifar100_small_224_entry, cifar100_base_224_entry, imagenet_tiny_entry,
                     imagenet_small_entry, imagenet_base_entry, imagenette_tiny_entry);
}

}  // namespace ovo::app::inline OVO_APP_DEVICE
