// The main job: an OVO supernet on Fashion-MNIST, searched under a parameter budget, tested,
// exported and reported, in about ten minutes on two CPU cores.
#include "common/spaces.hpp"

int main(int argc, char** argv) {
  using namespace ovo::app;
  program_info info{"fashion_mnist",
                    "Fashion-MNIST one-shot search: OVO supernet training, evolutionary search "
                    "under a parameter budget, test-set top-1, export and report.",
                    {}};
  run_config& c = info.defaults;
  // About two epochs: at this budget augmentation and drop-path slow the fit more than they
  // regularise (see docs/results.md).
  c.batch_size = 64;
  c.steps = 3000;
  c.augment = false;
  c.drop_path = 0.0;
  c.max_params = 700'000;
  c.population = 25;
  c.generations = 10;
  c.mutations = 12;
  c.crossovers = 12;
  c.out_dir = "out/fashion_mnist";
  return run_program(argc, argv, info, fashion_mnist_entry);
}
