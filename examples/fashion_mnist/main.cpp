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
  c.max_params = 400'000;
  c.population = 30;
  c.generations = 10;
  c.mutations = 15;
  c.crossovers = 15;
  c.out_dir = "out/fashion_mnist";
  return run_program(argc, argv, info, fashion_mnist_entry);
}
