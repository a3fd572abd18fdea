// The Thrust back end's optimiser ops (AdamW, SGD) and reductions over flat parameter buffers.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_optimiser {
  // total[0] = sum_i x[i]^2, summed in double where the values are: no wait for the host.
  static void sum_of_squares_into(const T* x, std::size_t n, T* total) {
    System::sum_into(
        static_cast<std::ptrdiff_t>(n),
        [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          return static_cast<double>(x[i]) * static_cast<double>(x[i]);
        },
        total);
  }

  // x[i] *= max_norm / (sqrt(total[0]) + 1e-6) when that is below 1, the factor computed by
  // every element from total in the system's memory.
  static void clip_to_norm(T* x, std::size_t n, const T* total, T max_norm) {
    for_each_index<System>(static_cast<std::ptrdiff_t>(n), [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const T coef = max_norm / (std::sqrt(total[0]) + T(1e-6));
      if (coef < T(1)) x[i] *= coef;
    });
  }

  // As cpu_optimiser::adamw_update (torch.optim.AdamW), moments flushed to zero below the
  // smallest normal number.
  static void adamw_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::size_t n,
                           double lr, double beta1, double beta2, double eps, double weight_decay,
                           long step) {
    const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)));
    const T decay = T(1.0 - lr * weight_decay), step_size = T(lr / bias1);
    const T b1 = T(beta1), b2 = T(beta2), inv_bias2_sqrt = T(1.0 / bias2_sqrt), e = T(eps);
    const T smallest = std::numeric_limits<T>::min();
    for_each_index<System>(static_cast<std::ptrdiff_t>(n), [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const T g = grad[i];
      const T m = b1 * exp_avg[i] + (T(1) - b1) * g, v = b2 * exp_avg_sq[i] + (T(1) - b2) * g * g;
      exp_avg[i] = -smallest < m && m < smallest ? T(0) : m;
      exp_avg_sq[i] = v < smallest ? T(0) : v;  // v >= 0
      param[i] = param[i] * decay -
                 step_size * exp_avg[i] / (std::sqrt(exp_avg_sq[i]) * inv_bias2_sqrt + e);
    });
  }

  // As cpu_optimiser::sgd_update (torch.optim.SGD, no dampening).
  static void sgd_update(T* param, const T* grad, T* momentum_buffer, std::size_t n, double lr,
                         double momentum, double weight_decay, bool nesterov, bool first_step) {
    const T rate = T(lr), mu = T(momentum), decay = T(weight_decay);
    const bool with_momentum = momentum != 0;
    for_each_index<System>(static_cast<std::ptrdiff_t>(n), [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      T d = grad[i] + decay * param[i];
      if (with_momentum) {
        momentum_buffer[i] = first_step ? d : mu * momentum_buffer[i] + d;
        d = nesterov ? d + mu * momentum_buffer[i] : momentum_buffer[i];
      }
      param[i] -= rate * d;
    });
  }
};

}  // namespace ovo
