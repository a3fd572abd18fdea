// The `ovo` command: train, search, evaluate and export ViT supernets without writing C++.
#include "common/device.hpp"

int main(int argc, char** argv) {
  using namespace ovo::app;
  const program_info info{
      "ovo",
      "One-shot architecture search (ViT and EMO spaces): train a weight-sharing supernet "
      "(uniform, sandwich or "
      "OVO online distillation), search it under a parameter/FLOP budget, evaluate and export the "
      "chosen subnet.",
      {}};
  return run_program_on_cpu(argc, argv, info);  // every space
}
