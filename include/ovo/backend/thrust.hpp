// The Thrust back end: every op of the back-end contract (backend/backend.hpp) written once on
// Thrust algorithms, run on a system's execution policy (CUDA on a GPU, OpenMP on the host).
#pragma once

#include "ovo/backend/backend.hpp"
#include "ovo/backend/thrust/activation.hpp"
#include "ovo/backend/thrust/attention.hpp"
#include "ovo/backend/thrust/batch_norm.hpp"
#include "ovo/backend/thrust/channel_scaling.hpp"
#include "ovo/backend/thrust/convolution.hpp"
#include "ovo/backend/thrust/losses.hpp"
#include "ovo/backend/thrust/memory.hpp"
#include "ovo/backend/thrust/normalisation.hpp"
#include "ovo/backend/thrust/optimiser.hpp"
#include "ovo/backend/thrust/pooling.hpp"
#include "ovo/backend/thrust/products.hpp"
#include "ovo/backend/thrust/residuals.hpp"
#include "ovo/backend/thrust/tokens.hpp"
#include "ovo/backend/thrust/windows.hpp"

namespace ovo {

// System: where the ops run and what they need there (thrust/omp_system.hpp, cuda/system.hpp):
//   policy()                       the Thrust execution policy of the current context
//   buffer<U>                      an owning array of U in the system's memory (data(), size())
//   host_memory                    whether that memory is the host's (bool constant)
//   context, current_context()     the per-thread state (a GPU's stream and cuBLAS handle)
//   copy_from_host(const T* host, size_t n, T* dst), copy_to_host(const T* src, size_t n, T* host)
//                                  transfers that return when done
//   host_buffer<U>, copy_from_host_async(const T* host, size_t n, T* dst)
//                                  host memory that uploads read directly, and an upload that
//                                  returns before it is done
//   sum_into(ptrdiff_t n, F f, T* out)
//                                  out[0] = sum of f(i) for i < n in double, in the system's
//                                  memory, without waiting for it
//   gemm(const column_major_call<T>&)
//                                  runs one planned product (backend/gemm_plan.hpp)
template <class Scalar, class System>
struct thrust_backend : thrust_memory<Scalar, System>,
                        thrust_products<Scalar, System>,
                        thrust_normalisation<Scalar, System>,
                        thrust_activation<Scalar, System>,
                        thrust_attention<Scalar, System>,
                        thrust_convolution<Scalar, System>,
                        thrust_batch_norm<Scalar, System>,
                        thrust_pooling<Scalar, System>,
                        thrust_channel_scaling<Scalar, System>,
                        thrust_windows<Scalar, System>,
                        thrust_tokens<Scalar, System>,
                        thrust_residuals<Scalar, System>,
                        thrust_losses<Scalar, System>,
                        thrust_optimiser<Scalar, System> {
  using scalar = Scalar;
  using system = System;
  template <class U>
  using buffer = typename System::template buffer<U>;
  template <class U>
  using host_buffer = typename System::template host_buffer<U>;
  using context = typename System::context;
  static context& current_context() { return System::current_context(); }
};

}  // namespace ovo
