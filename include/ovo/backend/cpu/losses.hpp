// The CPU back end's loss ops: soft-target cross-entropy with its gradient, and softmax.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>

#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/soft_target_loss.hpp"

namespace ovo {

template <class T>
struct cpu_losses {
  // loss[0] = the mean over rows of how's cross-entropy (or KL) of softmax(logits[r] /
  // temperature) against target[r] (logits and target [rows, classes]) unless loss is null;
  // dlogits = how.weight * its gradient, written (+= when how.accumulate) unless dlogits.data is
  // null.
  static void soft_cross_entropy(matrix_view<const T> logits, matrix_view<const T> target,
                                 const soft_target_loss<T>& how, matrix_view<T> dlogits, T* loss) {
    const int rows = logits.rows, classes = logits.cols;
    assert(target.rows == rows && target.cols == classes);
    assert(!dlogits.data || (dlogits.rows == rows && dlogits.cols == classes));
    const T temperature = how.temperature;
    double total = 0;
    for (int r = 0; r < rows; ++r) {
      const T* z = logits.row(r);
      const T* t = target.row(r);
      T max = z[0];
      for (int c = 1; c < classes; ++c) max = std::max(max, z[c]);
      T sum = 0;
      for (int c = 0; c < classes; ++c) sum += std::exp((z[c] - max) / temperature);
      const T log_sum = std::log(sum);
      T row_loss = 0, target_sum = 0;
      for (int c = 0; c < classes; ++c) {
        row_loss -= t[c] * ((z[c] - max) / temperature - log_sum);
        if (how.relative && t[c] > T(0)) row_loss += t[c] * std::log(t[c]);
        target_sum += t[c];
      }
      total += static_cast<double>(row_loss);
      if (dlogits.data) {
        T* d = dlogits.row(r);
        const T factor = how.weight / (T(rows) * temperature);
        for (int c = 0; c < classes; ++c)
          d[c] = (how.accumulate ? d[c] : T(0)) +
                 factor * (target_sum * std::exp((z[c] - max) / temperature - log_sum) - t[c]);
      }
    }
    if (loss) loss[0] = static_cast<T>(rows > 0 ? total / rows : 0);
  }

  // probs[r] = softmax(logits[r] / temperature), written.
  static void softmax(matrix_view<const T> logits, T temperature, matrix_view<T> probs) {
    assert(probs.rows == logits.rows && probs.cols == logits.cols);
    const int classes = logits.cols;
    for (int r = 0; r < logits.rows; ++r) {
      const T* z = logits.row(r);
      T* p = probs.row(r);
      const T max = *std::max_element(z, z + classes);
      T sum = 0;
      for (int c = 0; c < classes; ++c) sum += p[c] = std::exp((z[c] - max) / temperature);
      for (int c = 0; c < classes; ++c) p[c] /= sum;
    }
  }
};

}  // namespace ovo
