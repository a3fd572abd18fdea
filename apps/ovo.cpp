// The `ovo` command: train, search, evaluate and export ViT supernets without writing C++.
#include "common/spaces.hpp"

int main(int argc, char** argv) {
  using namespace ovo::app;
  const program_info info{
      "ovo",
      "One-shot architecture search (ViT and EMO spaces): train a weight-sharing supernet "
      "(uniform, sandwich or "
      "OVO online distillation), search it under a parameter/FLOP budget, evaluate and export the "
      "chosen subnet.",
      {}};
  return run_program(argc, argv, info, fashion_mnist_entry, emo_fashion_mnist_entry,
                     emo_cifar100_entry, emo_imagenet_entry, cifar100_tiny_entry,
                     cifar100_small_entry, cifar100_base_entry, cifar100_tiny_224_entry,
                     cifar100_small_224_entry, cifar100_base_224_entry, imagenet_tiny_entry,
                     imagenet_small_entry, imagenet_base_entry, imagenette_tiny_entry);
}
