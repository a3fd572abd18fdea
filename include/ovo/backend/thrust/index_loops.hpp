// The Thrust back end's loop over an index range on a system's execution policy.
#pragma once

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <cstddef>

namespace ovo {

// Calls f(i) for every i in [0, n), in no particular order, on System::policy(). f is
// OVO_HOST_DEVICE and captures by value (it may run on a GPU).
template <class System, class F>
void for_each_index(std::ptrdiff_t n, F f) {
  if (n <= 0) return;
  thrust::for_each_n(System::policy(), thrust::counting_iterator<std::ptrdiff_t>(0), n, f);
}

}  // namespace ovo
