// The Thrust back end on the CUDA system against the CPU back end, op by op: the tests that run on
// Thrust's OpenMP system in test_core, here on a GPU; without one the test says so and passes.
#include <doctest/doctest.h>

#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/cuda/system.hpp>
#include <ovo/backend/thrust.hpp>

#include "../core/backend_agreement.hpp"

namespace {

using cuda_float = ovo::thrust_backend<float, ovo::cuda::system>;
static_assert(ovo::backend<cuda_float>);

// Runs check on the GPU in fp32 products (TF32 would exceed the 1e-4 tolerance), or says why not.
template <class Check>
void on_gpu(Check check) {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU: the CUDA back end's op tests are compiled, not run");
    return;
  }
  cuda_float::current_context().set_math(ovo::cuda::gemm_math::fp32);
  ovo::test::check_and_report<cuda_float>(check);
}

TEST_CASE("CUDA agrees with the CPU: memory, products, bias") {
  on_gpu(ovo::test::check_memory_and_products<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: layer norm, activations") {
  on_gpu(ovo::test::check_normalisation_and_activations<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: convolutions") {
  on_gpu(ovo::test::check_convolutions<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: batch norm, pooling, channel scaling") {
  on_gpu(ovo::test::check_batch_norm_pooling_scaling<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: windows, tokens, residuals") {
  on_gpu(ovo::test::check_windows_tokens_residuals<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: attention") {
  on_gpu(ovo::test::check_attention<cuda_float>);
}
TEST_CASE("CUDA agrees with the CPU: losses, AdamW, SGD") {
  on_gpu(ovo::test::check_losses_and_optimisers<cuda_float>);
}

}  // namespace
