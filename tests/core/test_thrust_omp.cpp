// The Thrust back end on Thrust's OpenMP system against the CPU back end, op by op, in float and
// double: the kernels a GPU runs, run here.
#include <doctest/doctest.h>

#include <ovo/backend/thrust.hpp>
#include <ovo/backend/thrust/omp_system.hpp>

#include "backend_agreement.hpp"

namespace {

using omp_float = ovo::thrust_backend<float, ovo::thrust_omp_system>;
using omp_double = ovo::thrust_backend<double, ovo::thrust_omp_system>;
static_assert(ovo::backend<omp_float> && ovo::backend<omp_double>);

TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: memory, products, bias", B, omp_float,
                   omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_memory_and_products<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: layer norm, activations", B, omp_float,
                   omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_normalisation_and_activations<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: convolutions", B, omp_float, omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_convolutions<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: batch norm, pooling, channel scaling", B,
                   omp_float, omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_batch_norm_pooling_scaling<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: windows, tokens, residuals", B, omp_float,
                   omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_windows_tokens_residuals<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: attention", B, omp_float, omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_attention<B>);
}
TEST_CASE_TEMPLATE("Thrust on OpenMP agrees with the CPU: losses, AdamW, SGD", B, omp_float,
                   omp_double) {
  ovo::test::check_and_report<B>(ovo::test::check_losses_and_optimisers<B>);
}

}  // namespace
