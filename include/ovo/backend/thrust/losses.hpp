// The Thrust back end's loss ops: soft-target cross-entropy (or KL) with its gradient, and
// softmax; one row per thread.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/soft_target_loss.hpp"
#include "ovo/backend/thrust/index_loops.hpp"
#include "ovo/backend/thrust/softmax_row.hpp"

namespace ovo {

// Row r's share of soft_cross_entropy's mean (its loss divided by the rows); writes its gradient.
template <class T>
struct soft_cross_entropy_row {
  matrix_view<const T> logits, target;
  soft_target_loss<T> how;
  matrix_view<T> dlogits;

  OVO_HOST_DEVICE double operator()(std::ptrdiff_t row) const {
    const int r = static_cast<int>(row), classes = logits.cols;
    const T *z = logits.row(r), *t = target.row(r), temperature = how.temperature;
    T max = z[0];
    for (int c = 1; c < classes; ++c) max = z[c] > max ? z[c] : max;
    T sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp((z[c] - max) / temperature);
    const T log_sum = std::log(sum);
    T value = 0, target_sum = 0;
    for (int c = 0; c < classes; ++c) {
      value -= t[c] * ((z[c] - max) / temperature - log_sum);
      if (how.relative && t[c] > T(0)) value += t[c] * std::log(t[c]);
      target_sum += t[c];
    }
    if (dlogits.data) {
      T* d = dlogits.row(r);
      const T factor = how.weight / (T(logits.rows) * temperature);
      for (int c = 0; c < classes; ++c)
        d[c] = (how.accumulate ? d[c] : T(0)) +
               factor * (target_sum * std::exp((z[c] - max) / temperature - log_sum) - t[c]);
    }
    return static_cast<double>(value) / logits.rows;
  }
};

template <class T, class System>
struct thrust_losses {
  // As cpu_losses::soft_cross_entropy, one row per thread; the mean loss stays in the system's
  // memory (no wait).
  static void soft_cross_entropy(matrix_view<const T> logits, matrix_view<const T> target,
                                 const soft_target_loss<T>& how, matrix_view<T> dlogits, T* loss) {
    assert(target.rows == logits.rows && target.cols == logits.cols);
    assert(!dlogits.data || (dlogits.rows == logits.rows && dlogits.cols == logits.cols));
    const soft_cross_entropy_row<T> row{logits, target, how, dlogits};
    if (loss)
      System::sum_into(logits.rows, row, loss);
    else
      for_each_index<System>(logits.rows, [=] OVO_HOST_DEVICE(std::ptrdiff_t r) { row(r); });
  }

  // probs[r] = softmax(logits[r] / temperature), written.
  static void softmax(matrix_view<const T> logits, T temperature, matrix_view<T> probs) {
    assert(probs.rows == logits.rows && probs.cols == logits.cols);
    const int classes = logits.cols;
    for_each_index<System>(logits.rows, [=] OVO_HOST_DEVICE(std::ptrdiff_t row) {
      softmax_row<T>(logits.row(static_cast<int>(row)), classes, temperature,
                     probs.row(static_cast<int>(row)));
    });
  }
};

}  // namespace ovo
