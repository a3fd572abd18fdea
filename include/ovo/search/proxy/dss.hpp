// TF-TAS's DSS-indicator (Zhou et al., CVPR 2022): the synaptic diversity of a subnet's attention
// weights plus the synaptic saliency of its other block weights, through the absolute weights.
#pragma once

#include <cmath>
#include <cstddef>
#include <string_view>

#include "ovo/nn/supernet.hpp"
#include "ovo/search/proxy/gradient_pass.hpp"
#include "ovo/search/proxy/subnet_values.hpp"
#include "ovo/util/eigen.hpp"

// After util/eigen.hpp, which includes Eigen/Core with GCC 12's false warnings switched off.
#include <Eigen/SVD>

namespace ovo {

// The nuclear norm of m: the sum of its singular values (Eigen's BDCSVD, in double). A template,
// so that only the programs that call it instantiate the SVD (seconds of compile time each).
template <class Derived>
double nuclear_norm(const Eigen::MatrixBase<Derived>& m) {
  if (m.size() == 0) return 0.0;
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(m.template cast<double>());
  return svd.singularValues().sum();
}

// Which DSS term a subnet tensor feeds, by its name. Diversity: the attention weights (a ViT's
// `blocks.i.attn.qkv.weight` and `.attn.proj.weight`; EMO's windowed attention
// `stageN.j.qk.conv.weight`). Saliency: the other layer weights inside blocks (a ViT's `.mlp.`
// fc1 and fc2; EMO's v, depthwise, squeeze-excitation and projection convolutions in every block
// including the stem's iRMB `stage0.1`). Neither: everything else (the patch embedding, EMO's stem
// convolution `stage0.0`, the head, norms, biases, tokens).
enum class dss_term { diversity, saliency, none };

inline dss_term dss_term_of(const subnet_values& t) {
  if (!t.is_layer_weight()) return dss_term::none;
  const std::string_view name = t.name;
  if (name.find(".attn.") != std::string_view::npos || name.find(".qk.") != std::string_view::npos)
    return dss_term::diversity;
  const bool emo_block = name.starts_with("stage") && !name.starts_with("stage0.0.");
  if (name.find(".mlp.") != std::string_view::npos || emo_block) return dss_term::saliency;
  return dss_term::none;
}

// DSS of subnet `a`: sum over attention weights W of ||W||_nuc * ||dR/dW||_nuc plus sum over the
// other block weights of |W * dR/dW|, R the sum of the logits of an all-ones image through the
// absolute weights (linearised_gradients, as TF-TAS's released code). A weight is the matrix
// [out, in * k * k]. Weights and gradients are left as found.
template <supernet Net>
double dss_score(Net& net, const arch_of<Net>& a) {
  using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  double score = 0;
  for (const auto& t : linearised_gradients(net, a)) {
    switch (dss_term_of(t)) {
      case dss_term::diversity: {
        const Eigen::Map<const row_major> w(t.value.data(), t.rows(), t.cols());
        const Eigen::Map<const row_major> g(t.grad.data(), t.rows(), t.cols());
        score += nuclear_norm(w) * nuclear_norm(g);
        break;
      }
      case dss_term::saliency:
        for (std::size_t i = 0; i < t.value.size(); ++i) score += std::abs(t.value[i] * t.grad[i]);
        break;
      case dss_term::none:
        break;
    }
  }
  return score;
}

}  // namespace ovo
