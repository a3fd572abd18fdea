// CIFAR-100 supernet training with AutoFormer's recipe and OVO online distillation, then search,
// test and export; AutoFormer-T/S/B spaces at 32 px (patch 4) or 224 px (patch 16).
#include "common/device.hpp"

int main(int argc, char** argv) {
  using namespace ovo::app;
  program_info info{"cifar100",
                    "CIFAR-100 one-shot search with AutoFormer's recipe (AdamW, cosine, "
                    "RandAugment m9, mixup/cutmix, random erasing, drop-path 0.1) and OVO online "
                    "distillation.",
                    {}};
  run_config& c = info.defaults;
  c.space = "autoformer-t-cifar100";
  c.dataset = "cifar100";
  c.data_dir = "data/cifar-100-binary";
  c.batch_size = 128;
  c.lr = 5e-4 * c.batch_size / 512;              // AutoFormer: 5e-4 x batch / 512
  c.steps = 500L * 50'000 / c.batch_size;        // 500 epochs
  c.warmup_steps = 20L * 50'000 / c.batch_size;  // 20 of them warm-up
  c.checkpoint_every = 2000;
  c.out_dir = "out/cifar100";
  info.spaces = {"autoformer-t-cifar100",
                 "autoformer-s-cifar100",
                 "autoformer-b-cifar100",
                 "autoformer-t-cifar100-224",
                 "autoformer-s-cifar100-224",
                 "autoformer-b-cifar100-224",
                 "emo-cifar100"};
  return run_program_on_cpu(argc, argv, info);
}
