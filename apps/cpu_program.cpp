// The programs' stages built for the CPU back end, once for the `ovo` command and the example
// trainers: each program's main names the spaces it offers and calls run_program_on_cpu.
#include "common/spaces.hpp"

namespace ovo::app {

int run_program_on_cpu(int argc, char** argv, const program_info& info) {
  return run_program_on_every_space(argc, argv, info);
}

}  // namespace ovo::app
