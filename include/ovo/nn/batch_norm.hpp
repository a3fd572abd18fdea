// The elastic BatchNorm2d on channels-last rows: batch statistics in training, running in eval.
#pragma once

#include <string>

#include "ovo/backend/backend.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/nn/parameters.hpp"
#include "ovo/nn/supernet.hpp"
#include "ovo/nn/workspace.hpp"

namespace ovo {

// Per channel over the rows (every pixel of every image) of x [batch * height * width, C]; a
// subnet's first C channels read gamma[:C], beta[:C] (parameters) and running_mean[:C],
// running_var[:C] (buffers: non-trainable, PyTorch's names and initial values 0 and 1). A training
// or calibration forward normalises with the batch's mean and biased variance and moves the
// running statistics (unbiased variance; momentum 0.1 in training, the mode's in calibration); an
// evaluation forward normalises with the running ones.
template <backend Backend>
struct batch_norm2d {
  using T = typename Backend::scalar;
  static constexpr double momentum = 0.1;
  parameter_ref gamma, beta, running_mean, running_var;
  double eps = 1e-5;          // PyTorch's default; EMO's norms use 1e-6
  workspace_slot mean, rstd;  // the batch statistics of the last training forward, for backward

  batch_norm2d() = default;
  batch_norm2d(parameter_store<Backend>& params, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, const std::string& name, int channels, double eps_ = 1e-5)
      : gamma(params.add(name + ".weight", {channels}, false, parameter_init::ones)),
        beta(params.add(name + ".bias", {channels}, false, parameter_init::zeros)),
        running_mean(buffers.add(name + ".running_mean", {channels}, false, parameter_init::zeros)),
        running_var(buffers.add(name + ".running_var", {channels}, false, parameter_init::ones)),
        eps(eps_),
        mean(ws.reserve(static_cast<std::size_t>(channels))),
        rstd(ws.reserve(static_cast<std::size_t>(channels))) {}

  // y [rows, C] written; on batch statistics the running statistics [:C] are updated.
  void forward(const parameter_store<Backend>& p, parameter_store<Backend>& buffers,
               workspace<Backend>& ws, matrix_view<const T> x, const forward_mode& mode,
               matrix_view<T> y) const {
    if (mode.batch_statistics())
      Backend::batch_norm_training_forward(
          x, p.value(gamma), p.value(beta), T(eps), T(mode.running_momentum(momentum)), y, ws[mean],
          ws[rstd], buffers.value(running_mean), buffers.value(running_var));
    else
      Backend::batch_norm_inference_forward(x, p.value(gamma), p.value(beta),
                                            buffers.value(running_mean), buffers.value(running_var),
                                            T(eps), y);
  }

  // The backward of the last forward, on batch statistics or not: dx written; gamma and beta
  // gradients accumulate.
  void backward(parameter_store<Backend>& p, const parameter_store<Backend>& buffers,
                const workspace<Backend>& ws, matrix_view<const T> dy, matrix_view<const T> x,
                bool batch_statistics, matrix_view<T> dx) const {
    if (batch_statistics)
      Backend::batch_norm_training_backward(dy, x, p.value(gamma), ws[mean], ws[rstd], dx,
                                            p.grad(gamma), p.grad(beta));
    else
      Backend::batch_norm_inference_backward(dy, x, p.value(gamma), buffers.value(running_mean),
                                             buffers.value(running_var), T(eps), dx, p.grad(gamma),
                                             p.grad(beta));
  }
};

}  // namespace ovo
