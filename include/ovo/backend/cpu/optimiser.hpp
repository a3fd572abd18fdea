// The CPU back end's optimiser ops (AdamW, SGD) and reductions over flat parameter buffers.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

namespace ovo {

template <class T>
struct cpu_optimiser {
  // total[0] = sum_i x[i]^2, summed in double.
  static void sum_of_squares_into(const T* x, std::size_t n, T* total) {
    double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i)
      sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    total[0] = static_cast<T>(sum);
  }

  // x[i] *= max_norm / (sqrt(total[0]) + 1e-6) when that is below 1.
  static void clip_to_norm(T* x, std::size_t n, const T* total, T max_norm) {
    const T coef = max_norm / (std::sqrt(total[0]) + T(1e-6));
    if (coef >= T(1)) return;
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) x[i] *= coef;
  }

  // x, or 0 when x is subnormal. The moments of a weight that a subnet rarely trains decay by
  // beta each step and reach the subnormal range about 850 steps after its last gradient (0.9^850
  // < 1e-38); arithmetic on subnormals is tens of times slower on x86, which slowed supernet
  // training steps by a third. Flushing them changes an update by less than 1e-30.
  static T flush_subnormal(T x) {
    return std::abs(x) < std::numeric_limits<T>::min() ? T(0) : x;
  }

  // One AdamW update (torch.optim.AdamW) of n values: decay, moments, bias-corrected step; moments
  // flushed to zero below the smallest normal number.
  static void adamw_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::size_t n,
                           double lr, double beta1, double beta2, double eps, double weight_decay,
                           long step) {
    const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)));
    const T decay = T(1.0 - lr * weight_decay), step_size = T(lr / bias1);
    const T b1 = T(beta1), b2 = T(beta2), inv_bias2_sqrt = T(1.0 / bias2_sqrt), e = T(eps);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
      const T g = grad[i];
      param[i] *= decay;
      exp_avg[i] = flush_subnormal(b1 * exp_avg[i] + (T(1) - b1) * g);
      exp_avg_sq[i] = flush_subnormal(b2 * exp_avg_sq[i] + (T(1) - b2) * g * g);
      param[i] -= step_size * exp_avg[i] / (std::sqrt(exp_avg_sq[i]) * inv_bias2_sqrt + e);
    }
  }

  // One SGD update (torch.optim.SGD, no dampening) of n values: d = grad + weight_decay * param;
  // with momentum, buffer = d on the first step, else momentum * buffer + d, and d = d + momentum
  // * buffer (Nesterov) or buffer; then param -= lr * d. Without momentum the buffer is not read.
  static void sgd_update(T* param, const T* grad, T* momentum_buffer, std::size_t n, double lr,
                         double momentum, double weight_decay, bool nesterov, bool first_step) {
    const T rate = T(lr), mu = T(momentum), decay = T(weight_decay);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
      T d = grad[i] + decay * param[i];
      if (momentum != 0) {
        momentum_buffer[i] = first_step ? d : mu * momentum_buffer[i] + d;
        d = nesterov ? d + mu * momentum_buffer[i] : momentum_buffer[i];
      }
      param[i] -= rate * d;
    }
  }
};

}  // namespace ovo
