// The CPU back end's loss ops: soft-target cross-entropy with its gradient, and softmax.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_losses {
  // Mean over rows of -sum_c target[r, c] * log softmax(logits[r] / temperature)_c (logits and
  // target [rows, classes]); writes (or adds, when accumulate) weight * d(mean loss)/d(logits) to
  // dlogits unless dlogits.data is null; returns the mean loss.
  static double soft_cross_entropy(matrix_view<const T> logits, matrix_view<const T> target,
                                   T temperature, T weight, matrix_view<T> dlogits,
                                   bool accumulate) {
    const int rows = logits.rows, classes = logits.cols;
    assert(target.rows == rows && target.cols == classes);
    assert(!dlogits.data || (dlogits.rows == rows && dlogits.cols == classes));
    double total = 0;
    for (int r = 0; r < rows; ++r) {
      const T* z = logits.row(r);
      const T* t = target.row(r);
      T max = z[0];
      for (int c = 1; c < classes; ++c) max = std::max(max, z[c]);
      T sum = 0;
      for (int c = 0; c < classes; ++c) sum += std::exp((z[c] - max) / temperature);
      const T log_sum = std::log(sum);
      T loss = 0, target_sum = 0;
      for (int c = 0; c < classes; ++c) {
        loss -= t[c] * ((z[c] - max) / temperature - log_sum);
        target_sum += t[c];
      }
      total += static_cast<double>(loss);
      if (dlogits.data) {
        T* d = dlogits.row(r);
        const T factor = weight / (T(rows) * temperature);
        for (int c = 0; c < classes; ++c)
          d[c] = (accumulate ? d[c] : T(0)) +
                 factor * (target_sum * std::exp((z[c] - max) / temperature - log_sum) - t[c]);
      }
    }
    return total / rows;
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
