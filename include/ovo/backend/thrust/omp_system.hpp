// Thrust's OpenMP system for the Thrust back end: host memory and CBLAS products, so that the
// kernels a GPU runs are run, and tested, on any machine (needs CBLAS: the ovo::blas target).
#pragma once

#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/system/omp/execution_policy.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "ovo/backend/gemm_plan.hpp"
#include "ovo/backend/gemm_plan_cblas.hpp"

namespace ovo {

struct thrust_omp_system {
  static auto policy() { return thrust::omp::par; }
  template <class U>
  using buffer = std::vector<U>;
  template <class U>
  using host_buffer = std::vector<U>;
  static constexpr bool host_memory = true;
  // The OpenMP system's ops have finished when they return: no state.
  struct context {};
  static context& current_context() {
    thread_local context current;
    return current;
  }
  template <class T>
  static void copy_from_host(const T* host, std::size_t n, T* dst) {
    std::copy(host, host + n, dst);
  }
  template <class T>
  static void copy_to_host(const T* src, std::size_t n, T* host) {
    std::copy(src, src + n, host);
  }
  template <class T>
  static void copy_from_host_async(const T* host, std::size_t n, T* dst) {
    std::copy(host, host + n, dst);
  }
  template <class T>
  static void gemm(const column_major_call<T>& call) {
    run_on_cblas(call);
  }
  // out[0] = sum of f(i) over i < n, in double, stored as T.
  template <class T, class F>
  static void sum_into(std::ptrdiff_t n, F f, T* out) {
    out[0] = static_cast<T>(thrust::transform_reduce(
        policy(), thrust::counting_iterator<std::ptrdiff_t>(0),
        thrust::counting_iterator<std::ptrdiff_t>(n), f, 0.0, thrust::plus<double>()));
  }
};

}  // namespace ovo
