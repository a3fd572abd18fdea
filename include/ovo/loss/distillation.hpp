// Knowledge distillation: T^2 * KL(softmax(teacher / T) || softmax(student / T)), teacher constant.
#pragma once

#include <type_traits>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/soft_target_loss.hpp"

namespace ovo {

// The factor temperature^2 of a distillation loss (Hinton et al.), which keeps its gradient's
// scale independent of the temperature.
template <class T = double>
constexpr T distillation_scale(double temperature) {
  return T(temperature * temperature);
}

// kl[0] = the mean over rows of KL(p_t || p_s) with p = softmax(logits / temperature), in
// back-end memory (a loss_values slot) and without a wait, unless kl is null; the distillation
// loss is temperature^2 times it (distillation_scale). Writes (or adds, when accumulate)
// weight * d(temperature^2 KL)/d(student) into dstudent unless it is null; the teacher logits get
// no gradient. teacher_probs: [rows, classes] scratch in back-end memory.
template <class Backend, class T = typename Backend::scalar>
void distillation_kl(const std::type_identity_t<T>* student, const std::type_identity_t<T>* teacher,
                     int rows, int classes, double temperature,
                     std::type_identity_t<T>* teacher_probs, std::type_identity_t<T>* kl,
                     std::type_identity_t<T>* dstudent, T weight = T(1), bool accumulate = false) {
  const auto probs = make_matrix_view(teacher_probs, rows, classes);
  Backend::softmax(make_matrix_view(teacher, rows, classes), T(temperature), probs);
  Backend::soft_cross_entropy(
      make_matrix_view(student, rows, classes), probs,
      soft_target_loss<T>{.temperature = T(temperature),
                          .weight = weight * distillation_scale<T>(temperature),
                          .relative = true,
                          .accumulate = accumulate},
      make_matrix_view(dstudent, rows, classes), kl);
}

}  // namespace ovo
