// Whole supernet training runs on the CUDA back end against the CPU back end, ViT and EMO
// (tests/train/backend_training.hpp); without a GPU the test says so and passes.
#include <doctest/doctest.h>

#include <ovo/backend/cuda/devices.hpp>
#include <ovo/backend/cuda/system.hpp>
#include <ovo/backend/thrust.hpp>

#include "../train/backend_training.hpp"

namespace {

using cuda_double = ovo::thrust_backend<double, ovo::cuda::system>;
using cuda_float = ovo::thrust_backend<float, ovo::cuda::system>;

TEST_CASE_TEMPLATE("CUDA trains supernets as the CPU does, and resumes its checkpoints", Case,
                   ovo::test::vit_case, ovo::test::emo_case) {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU: the CUDA back end's training test is compiled, not run");
    return;
  }
  ovo::test::check_training_agrees<Case, cuda_double>();
}

TEST_CASE_TEMPLATE("CUDA computes a step's fp32 gradients as the CPU does", Case,
                   ovo::test::vit_case, ovo::test::emo_case) {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU: the CUDA back end's fp32 step test is compiled, not run");
    return;
  }
  ovo::test::check_step_gradients_agree<Case, cuda_float>();
}

TEST_CASE_TEMPLATE("a training step on CUDA waits for the host once", Case, ovo::test::vit_case,
                   ovo::test::emo_case) {
  if (ovo::cuda::device_count() == 0) {
    MESSAGE("no CUDA GPU: the CUDA back end's wait count is compiled, not run");
    return;
  }
  ovo::test::check_one_wait_per_step<Case, cuda_float>();
}

}  // namespace
