// A downstream program's tiny search: evolution over the Fashion-MNIST space for the arch closest
// to 150k parameters under a 200k budget, with ovo's exact cost model.
#include <cmath>
#include <cstdio>

#include <ovo/ovo.hpp>

int main() {
  using space = ovo::fashion_mnist_space;
  const ovo::cost_constraint budget{.max_params = 200'000};
  const auto result = ovo::evolutionary_search<space>(
      [](const ovo::arch& a) { return -std::abs(static_cast<double>(space::params(a)) - 150'000); },
      budget, {.population = 16, .generations = 4, .parents = 4, .mutations = 8, .crossovers = 8});
  std::printf("best of %zu: %s, %llu parameters\n", result.history.size(),
              ovo::to_string(result.best.architecture).c_str(),
              static_cast<unsigned long long>(result.best.params));
  return budget.admits<space>(result.best.architecture) ? 0 : 1;
}
