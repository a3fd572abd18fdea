// How the back ends' soft_cross_entropy scores logits against soft targets and what it writes.
#pragma once

namespace ovo {

// Per row r: the loss -sum_c target[r, c] * log softmax(logits[r] / temperature)_c, or with
// relative, KL(target[r] || softmax(logits[r] / temperature)), the cross-entropy minus the
// target row's entropy (distillation against a teacher's probabilities). The op writes the mean
// over rows, unweighted, and weight * d(mean)/d(logits) as the gradient.
template <class T>
struct soft_target_loss {
  T temperature = 1;
  T weight = 1;             // of the gradient alone
  bool relative = false;    // KL rather than cross-entropy (the same gradient)
  bool accumulate = false;  // the gradient added to dlogits rather than written
};

}  // namespace ovo
