// The CPU back end: every op of the back-end contract (backend/backend.hpp) on host memory, with
// Eigen and OpenMP, its products on the GEMM policy's provider.
#pragma once

#include <vector>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/cpu/activation.hpp"
#include "ovo/backend/cpu/attention.hpp"
#include "ovo/backend/cpu/batch_norm.hpp"
#include "ovo/backend/cpu/channel_scaling.hpp"
#include "ovo/backend/cpu/convolution.hpp"
#include "ovo/backend/cpu/losses.hpp"
#include "ovo/backend/cpu/memory.hpp"
#include "ovo/backend/cpu/normalisation.hpp"
#include "ovo/backend/cpu/optimiser.hpp"
#include "ovo/backend/cpu/pooling.hpp"
#include "ovo/backend/cpu/products.hpp"
#include "ovo/backend/cpu/residuals.hpp"
#include "ovo/backend/cpu/subnormals.hpp"
#include "ovo/backend/cpu/tokens.hpp"
#include "ovo/backend/cpu/windows.hpp"
#include "ovo/backend/eigen_gemm.hpp"
#include "ovo/util/eigen.hpp"

namespace ovo {

// Gemm: eigen_gemm (the default, backend/eigen_gemm.hpp), or cblas_gemm or auto_gemm from the
// opt-in backend/cblas_gemm.hpp (which needs CBLAS, the ovo::blas target).
template <class Scalar, class Gemm = eigen_gemm>
struct cpu : cpu_memory<Scalar>,
             cpu_products<Scalar, Gemm>,
             cpu_normalisation<Scalar>,
             cpu_activation<Scalar>,
             cpu_attention<Scalar>,
             cpu_convolution<Scalar>,
             cpu_batch_norm<Scalar>,
             cpu_pooling<Scalar>,
             cpu_channel_scaling<Scalar>,
             cpu_windows<Scalar>,
             cpu_tokens<Scalar>,
             cpu_residuals<Scalar>,
             cpu_losses<Scalar>,
             cpu_optimiser<Scalar> {
  using scalar = Scalar;
  using gemm_policy = Gemm;
  template <class U>
  using buffer = std::vector<U, Eigen::aligned_allocator<U>>;
  template <class U>
  using host_buffer = std::vector<U>;

  // The CPU needs no per-thread state: every op runs on the calling thread and its OpenMP team,
  // and has finished when it returns.
  struct context {};
  static context& current_context() {
    thread_local context current;
    return current;
  }
};

static_assert(backend<cpu<float>>);
static_assert(backend<cpu<double>>);

}  // namespace ovo
