// The Thrust back end's loops over an index range on a system's execution policy: a functor at
// every index, and the double sum of a functor's values.
#pragma once

#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>

#include <cstddef>

namespace ovo {

// Calls f(i) for every i in [0, n), in no particular order, on System::policy(). f is
// OVO_HOST_DEVICE and captures by value (it may run on a GPU).
template <class System, class F>
void for_each_index(std::ptrdiff_t n, F f) {
  if (n <= 0) return;
  thrust::for_each_n(System::policy(), thrust::counting_iterator<std::ptrdiff_t>(0), n, f);
}

// The sum over i in [0, n) of f(i) (a double), returned to the host: waits for the work issued
// before it.
template <class System, class F>
double sum_over_indices(std::ptrdiff_t n, F f) {
  if (n <= 0) return 0;
  return thrust::transform_reduce(System::policy(), thrust::counting_iterator<std::ptrdiff_t>(0),
                                  thrust::counting_iterator<std::ptrdiff_t>(n), f, 0.0,
                                  thrust::plus<double>());
}

}  // namespace ovo
