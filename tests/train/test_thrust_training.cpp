// Whole supernet training runs on the Thrust back end on Thrust's OpenMP system against the CPU
// back end (tests/train/backend_training.hpp), ViT and EMO.
#include <doctest/doctest.h>

#include <ovo/backend/thrust.hpp>
#include <ovo/backend/thrust/omp_system.hpp>

#include "backend_training.hpp"

namespace {

using thrust_double = ovo::thrust_backend<double, ovo::thrust_omp_system>;
using thrust_float = ovo::thrust_backend<float, ovo::thrust_omp_system>;

TEST_CASE_TEMPLATE("Thrust on OpenMP trains supernets as the CPU does, and resumes its checkpoints",
                   Case, ovo::test::vit_case, ovo::test::emo_case) {
  ovo::test::check_training_agrees<Case, thrust_double>();
}

TEST_CASE_TEMPLATE("Thrust on OpenMP computes a step's fp32 gradients as the CPU does", Case,
                   ovo::test::vit_case, ovo::test::emo_case) {
  ovo::test::check_step_gradients_agree<Case, thrust_float>();
}

TEST_CASE_TEMPLATE("a training step waits for the host once, on the CPU and on Thrust", Case,
                   ovo::test::vit_case, ovo::test::emo_case) {
  ovo::test::check_one_wait_per_step<Case, ovo::cpu<double>>();
  ovo::test::check_one_wait_per_step<Case, thrust_double>();
}

}  // namespace
