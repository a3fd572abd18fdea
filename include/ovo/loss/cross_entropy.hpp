// Cross-entropy with label smoothing or soft targets (mixup/cutmix), on logits in back-end memory.
#pragma once

#include <span>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/soft_target_loss.hpp"

namespace ovo {

// targets[r, c] = (1 - smoothing) * [c == labels[r]] + smoothing / classes (host memory).
template <class T>
void smoothed_one_hot(std::span<const int> labels, int classes, double smoothing,
                      std::span<T> targets) {
  if (targets.size() != labels.size() * static_cast<std::size_t>(classes))
    throw std::invalid_argument("smoothed_one_hot: targets must hold labels.size() * classes");
  const T off = T(smoothing / classes), on = T(1.0 - smoothing) + off;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] < 0 || labels[r] >= classes)
      throw std::invalid_argument(
          fmt::format("label {} of sample {} outside 0..{}", labels[r], r, classes - 1));
    for (int c = 0; c < classes; ++c)
      targets[r * static_cast<std::size_t>(classes) + static_cast<std::size_t>(c)] =
          c == labels[r] ? on : off;
  }
}

// loss[0] = the mean over rows of -sum_c targets[r, c] * log softmax(logits[r])_c, in back-end
// memory (a loss_values slot) and without a wait, unless loss is null. Writes (or adds, when
// accumulate) weight * d(loss)/d(logits) into dlogits unless it is null.
template <class Backend, class T = typename Backend::scalar>
void cross_entropy(const std::type_identity_t<T>* logits, const std::type_identity_t<T>* targets,
                   int rows, int classes, std::type_identity_t<T>* loss,
                   std::type_identity_t<T>* dlogits, T weight = T(1), bool accumulate = false) {
  Backend::soft_cross_entropy(make_matrix_view(logits, rows, classes),
                              make_matrix_view(targets, rows, classes),
                              soft_target_loss<T>{.weight = weight, .accumulate = accumulate},
                              make_matrix_view(dlogits, rows, classes), loss);
}

}  // namespace ovo
