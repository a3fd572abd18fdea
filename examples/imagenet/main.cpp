// ImageNet supernet training with AutoFormer's recipe and OVO online distillation on an
// ImageNet-style folder (train/ and val/, one folder of JPEGs per class), then search and export.
#include "common/device.hpp"

int main(int argc, char** argv) {
  using namespace ovo::app;
  program_info info{"imagenet",
                    "ImageNet one-shot search with AutoFormer's recipe and OVO online "
                    "distillation; the search holds out 100 training images per class.",
                    {}};
  run_config& c = info.defaults;
  c.space = "autoformer-t";
  c.dataset = "imagenet";
  c.data_dir = "data/imagenet";
  c.batch_size = 128;
  c.workers = 2;
  c.lr = 5e-4 * c.batch_size / 512;
  c.steps = 500L * 1'281'167 / c.batch_size;
  c.warmup_steps = 20L * 1'281'167 / c.batch_size;
  c.checkpoint_every = 2000;
  c.eval_batch = 128;
  c.out_dir = "out/imagenet";
  info.spaces = {"autoformer-t", "autoformer-s", "autoformer-b", "autoformer-t-imagenette",
                 "emo-imagenet"};
  return run_program_on_cpu(argc, argv, info);
}
