// Every back-end op, layer, step, trainer and search in one program, for the portability builds
// (each compiler and instruction set of .ci/run compiles it with warnings as errors).
#include <ovo/backend/cblas_gemm.hpp>
#include <ovo/ovo.hpp>

#include "common/spaces.hpp"

// Both scalars, the three GEMM policies and both q/k/v layouts; the program below instantiates
// the float path (automatic GEMM policy) of the trainers, searches and reports on image sets and
// image folders.
template struct ovo::cpu<float>;
template struct ovo::cpu<double>;
template struct ovo::cpu<float, ovo::auto_gemm>;
template struct ovo::cpu<double, ovo::cblas_gemm>;
template class ovo::vit_supernet<ovo::cpu<float, ovo::auto_gemm>, ovo::qkv_blocked>;
template class ovo::vit_supernet<ovo::cpu<double>, ovo::qkv_interleaved>;
template class ovo::supervised_step<ovo::vit_supernet<ovo::cpu<double>, ovo::qkv_interleaved>>;
template class ovo::distillation_step<
    ovo::vit_supernet<ovo::cpu<double, ovo::cblas_gemm>, ovo::qkv_interleaved>>;
template class ovo::adamw<ovo::cpu<double>>;
template class ovo::emo_supernet<ovo::cpu<float, ovo::auto_gemm>>;
template class ovo::emo_supernet<ovo::cpu<double>>;
template class ovo::supervised_step<ovo::emo_supernet<ovo::cpu<float, ovo::auto_gemm>>>;
template class ovo::distillation_step<ovo::emo_supernet<ovo::cpu<float, ovo::auto_gemm>>>;

int main(int argc, char** argv) {
  using namespace ovo::app;
  const program_info info{"instantiate", "All of ovo in one program.", {}};
  return run_program(argc, argv, info, fashion_mnist_entry, imagenette_tiny_entry);
}
