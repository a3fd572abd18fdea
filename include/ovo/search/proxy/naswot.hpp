// NASWOT (Mellor et al., ICML 2021): how differently a subnet's features code the images of one
// batch, as the log-determinant of their Hamming-similarity kernel.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

#include "ovo/nn/feature_map.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/util/eigen.hpp"

// After util/eigen.hpp, which includes Eigen/Core with GCC 12's false warnings switched off.
#include <Eigen/LU>

namespace ovo {

// log |det K| of K = c c^T + (1 - c)(1 - c)^T, c the binary codes [images, bits] (each entry 0
// or 1): K[i][j] counts the bits on which images i and j agree. Computed in double by an LU
// decomposition with partial pivoting (-inf when K is singular, as when two images share a code).
// Throws std::invalid_argument on no images or an entry other than 0 and 1.
inline double naswot_log_determinant(const Eigen::MatrixXd& codes) {
  if (codes.rows() == 0)
    throw std::invalid_argument("naswot_log_determinant: no images, expected at least one code");
  for (Eigen::Index i = 0; i < codes.rows(); ++i)
    for (Eigen::Index j = 0; j < codes.cols(); ++j)
      if (codes(i, j) != 0.0 && codes(i, j) != 1.0)
        throw std::invalid_argument(fmt::format(
            "naswot_log_determinant: code ({}, {}) is {}, expected 0 or 1", i, j, codes(i, j)));
  const Eigen::MatrixXd flipped = (1.0 - codes.array()).matrix();
  const Eigen::MatrixXd kernel = codes * codes.transpose() + flipped * flipped.transpose();
  const Eigen::PartialPivLU<Eigen::MatrixXd> lu(kernel);
  return lu.matrixLU().diagonal().array().abs().log().sum();
}

// NASWOT of subnet `a` on `images` (an evaluation pass): the log-determinant of the kernel of the
// codes [feature > 0] of each image's last feature map (net.last_features(), all channels and
// positions). The paper codes every ReLU of a network; the networks here expose their final
// feature map only, so that map alone codes an image.
template <supernet Net>
requires feature_network<Net>
double naswot_score(Net& net, const arch_of<Net>& a, const image_batch<scalar_of<Net>>& images) {
  net.forward(images, a, forward_mode::eval());
  const host_feature_map f = features_to_host<typename Net::backend>(net.last_features());
  const std::size_t bits = f.values.size() / static_cast<std::size_t>(f.batch);
  Eigen::MatrixXd codes(f.batch, static_cast<Eigen::Index>(bits));
  for (int b = 0; b < f.batch; ++b)
    for (std::size_t j = 0; j < bits; ++j)
      codes(b, static_cast<Eigen::Index>(j)) =
          f.values[static_cast<std::size_t>(b) * bits + j] > 0 ? 1.0 : 0.0;
  return naswot_log_determinant(codes);
}

}  // namespace ovo
