// The Thrust back end's loss ops: soft-target cross-entropy with its gradient, and softmax; one
// row per thread.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"
#include "ovo/backend/thrust/softmax_row.hpp"

namespace ovo {

template <class T, class System>
struct thrust_losses {
  // As cpu_losses::soft_cross_entropy: the mean loss, returned to the host (the one wait of a
  // training step); dlogits written (+= when accumulate) unless its data is null.
  static double soft_cross_entropy(matrix_view<const T> logits, matrix_view<const T> target,
                                   T temperature, T weight, matrix_view<T> dlogits,
                                   bool accumulate) {
    const int rows = logits.rows, classes = logits.cols;
    assert(target.rows == rows && target.cols == classes);
    assert(!dlogits.data || (dlogits.rows == rows && dlogits.cols == classes));
    const T factor = weight / (T(rows) * temperature);
    const double total =
        sum_over_indices<System>(rows, [=] OVO_HOST_DEVICE(std::ptrdiff_t row) -> double {
          const int r = static_cast<int>(row);
          const T *z = logits.row(r), *t = target.row(r);
          T max = z[0];
          for (int c = 1; c < classes; ++c) max = z[c] > max ? z[c] : max;
          T sum = 0;
          for (int c = 0; c < classes; ++c) sum += std::exp((z[c] - max) / temperature);
          const T log_sum = std::log(sum);
          T loss = 0, target_sum = 0;
          for (int c = 0; c < classes; ++c) {
            loss -= t[c] * ((z[c] - max) / temperature - log_sum);
            target_sum += t[c];
          }
          if (dlogits.data) {
            T* d = dlogits.row(r);
            for (int c = 0; c < classes; ++c)
              d[c] = (accumulate ? d[c] : T(0)) +
                     factor * (target_sum * std::exp((z[c] - max) / temperature - log_sum) - t[c]);
          }
          return static_cast<double>(loss);
        });
    return rows > 0 ? total / rows : 0;
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
