// Knowledge distillation: T^2 * KL(softmax(teacher / T) || softmax(student / T)), teacher constant.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

// The mean over rows of temperature^2 * KL(p_t || p_s) with p = softmax(logits / temperature).
// Writes (or adds, when accumulate) weight * d(loss)/d(student) into dstudent unless it is null;
// the teacher logits get no gradient. teacher_probs: [rows, classes] scratch in back-end memory.
template <class Backend, class T = typename Backend::scalar>
double distillation_kl(const std::type_identity_t<T>* student,
                       const std::type_identity_t<T>* teacher, int rows, int classes,
                       double temperature, std::type_identity_t<T>* teacher_probs,
                       std::type_identity_t<T>* dstudent, T weight = T(1),
                       bool accumulate = false) {
  const T t = T(temperature), t2 = T(temperature * temperature);
  const auto probs_view = make_matrix_view(teacher_probs, rows, classes);
  Backend::softmax(make_matrix_view(teacher, rows, classes), t, probs_view);
  const double cross = Backend::soft_cross_entropy(
      make_matrix_view(student, rows, classes), probs_view, t, weight * t2,
      make_matrix_view(dstudent, rows, classes), accumulate);
  std::vector<T> probs(static_cast<std::size_t>(rows) * classes);
  Backend::copy_to_host(teacher_probs, probs);
  double entropy = 0;
  for (T p : probs)
    if (p > T(0)) entropy -= static_cast<double>(p) * std::log(static_cast<double>(p));
  return temperature * temperature * (cross - entropy / rows);
}

}  // namespace ovo
