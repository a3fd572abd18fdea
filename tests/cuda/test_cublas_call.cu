// The product plans run by cuBLAS on a GPU against the same plans run by CBLAS on the host;
// without a GPU the test says so and passes.
#include <doctest/doctest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include <ovo/backend/cuda/check_cuda.hpp>
#include <ovo/backend/cuda/cublas_call.hpp>
#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/gemm_plan_cblas.hpp>
#include <ovo/util/random.hpp>

namespace {

using ovo::cuda::check_cuda;

// A device copy of a host vector, freed with it.
struct device_vector {
  float* data = nullptr;
  explicit device_vector(const std::vector<float>& host) {
    check_cuda(cudaMalloc(&data, host.size() * sizeof(float)), "cudaMalloc");
    check_cuda(cudaMemcpy(data, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice),
               "cudaMemcpy");
  }
  ~device_vector() { cudaFree(data); }
  device_vector(const device_vector&) = delete;
  device_vector& operator=(const device_vector&) = delete;
};

}  // namespace

TEST_CASE("cuda: cuBLAS runs every product plan as CBLAS does") {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU here: the cuBLAS executor was compiled, not run");
    return;
  }
  cublasHandle_t handle = nullptr;
  ovo::cuda::check_cublas(cublasCreate(&handle), "cublasCreate");
  ovo::rng_engine rng(5);
  const int m = 37, n = 29, k = 45, pad = 3, count = 4;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      // Interleaved batches: matrix i of each operand sits beside matrix i - 1 in a wide row.
      const int a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
      const int lda = count * a_cols + pad, ldb = count * b_cols + pad, ldc = count * n + pad;
      std::vector<float> a(a_rows * lda), b(b_rows * ldb), c(m * ldc);
      for (auto* v : {&a, &b, &c})
        for (float& x : *v) x = static_cast<float>(ovo::standard_normal(rng));
      device_vector da(a), db(b);
      auto product = [&](const float* pa, const float* pb, float* pc) {
        return ovo::plan_product<float>({.transpose_a = ta,
                                         .transpose_b = tb,
                                         .alpha = 0.5f,
                                         .beta = 1.0f,
                                         .a = {pa, a_rows, a_cols, lda},
                                         .b = {pb, b_rows, b_cols, ldb},
                                         .c = {pc, m, n, ldc},
                                         .count = count,
                                         .stride_a = a_cols,
                                         .stride_b = b_cols,
                                         .stride_c = n});
      };
      for (auto math : {ovo::cuda::gemm_math::fp32, ovo::cuda::gemm_math::tf32}) {
        device_vector dc_run(c);
        ovo::cuda::run_on_cublas(handle, product(da.data, db.data, dc_run.data), math);
        std::vector<float> got(c.size()), expected = c;
        check_cuda(
            cudaMemcpy(got.data(), dc_run.data, got.size() * sizeof(float), cudaMemcpyDeviceToHost),
            "cudaMemcpy");
        ovo::run_on_cblas(product(a.data(), b.data(), expected.data()));
        const double tolerance = math == ovo::cuda::gemm_math::tf32 ? 2e-2 : 1e-4;
        for (std::size_t j = 0; j < got.size(); ++j)
          REQUIRE(std::abs(got[j] - expected[j]) <= tolerance * (1 + std::abs(expected[j])));
      }
    }
  cublasDestroy(handle);
}
