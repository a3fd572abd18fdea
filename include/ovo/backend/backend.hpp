// The back-end contract: what a back end provides to the layers, losses and optimiser.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ovo/backend/conv_geometry.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/soft_target_loss.hpp"
#include "ovo/backend/window_geometry.hpp"

namespace ovo {

// A back end is a type of static functions on "back-end memory" (host memory for the CPU, device
// memory for a GPU) plus the types below. Matrices are row-major matrix_views: rows x cols, row r
// at data + r * ld, so a prefix slice of a super-shaped tensor is its pointer and ld, never a
// copy; different operands may have different lds. Scalars T = B::scalar.
//
// Results: every op either *writes* an output (its previous values are not read) or *accumulates*
// into it (+=), as said per op below. Parameter gradients (dw, db, dgamma, dbeta, dcls, dpos)
// always accumulate, so that several backward passes of one step add up; activation gradients
// (dx, dq, dk, dv, ...) are written unless an op takes an `accumulate` flag.
//
// Synchronisation: ops are issued in program order on the calling thread's current context (for a
// GPU, its stream) and may return before they have run. The ops that hand values to the host
// wait for everything issued before them: copy_to_host and copy_from_host (the host span may be
// reused on return). copy_from_host_async does not wait: its host values must stay as they are
// until the next copy_to_host, which a step's read of its losses is. No other op waits (losses,
// norms and their checks stay in back-end memory), so the host must not read back-end memory except
// through copy_to_host; a training step reads its losses once, together (loss/loss_values.hpp).
//
// State: ops are static functions. What a back end needs besides memory (a GPU's stream and BLAS
// handle) is its `context`; each thread has a current one, `B::current_context()`, which the ops
// use. The CPU's is empty.
//
// The ops, by family (shapes in rows x cols; [n] a contiguous vector):
//  memory
//   host_memory                                          bool constant: whether back-end memory
//                                                        is the host's (a pointer the host reads)
//   copy_from_host(span<const T> host, T* dst)           dst[:host.size()] written; synchronises
//   copy_to_host(const T* src, span<T> host)             host written; synchronises
//   host_buffer<U>                                       host memory (data(), size(), [i]) that
//                                                        uploads read directly: page-locked on a
//                                                        GPU, so that they need not wait
//   copy_from_host_async(span<const T> host, T* dst)     dst[:host.size()] written; returns at
//                                                        once: host unchanged until the next
//                                                        copy_to_host (best from a host_buffer)
//   fill(T* p, size_t n, T value)                        p[:n] written
//   copy(const T* src, size_t n, T* dst)                 dst[:n] written
//   copy(view<const T> src, view<T> dst)                 dst written, same shape as src
//  products
//   gemm(bool ta, bool tb, T alpha, A, B, T beta, C)     C = alpha op(A) op(B) + beta C: op(A)
//                                                        C.rows x k, op(B) k x C.cols; beta 0
//                                                        writes C, beta 1 accumulates
//   add_bias(view<T> y, const T* bias)                   y[r, :] += bias[:y.cols]
//   accumulate_bias_grad(view<const T> dy, T* db)        db[:dy.cols] += column sums (accumulates)
//  normalisation
//   layer_norm_forward(x, gamma, beta, eps, y, mean, rstd)
//                                                        y [rows, cols] written; mean, rstd
//                                                        [rows] written; gamma, beta [cols]
//   layer_norm_backward(dy, x, gamma, mean, rstd, dx, accumulate, dgamma, dbeta)
//                                                        dx written (+= when accumulate); dgamma,
//                                                        dbeta [cols] accumulate
//  activation
//   gelu_forward(const T* x, T* y, size_t n)             y[:n] written (exact GELU, erf)
//   gelu_backward(const T* x, const T* dy, T* dx, size_t n)
//                                                        dx[:n] = dy * gelu'(x) written; dx may
//                                                        be dy
//   relu_forward, silu_forward (x, y, n)                 as gelu_forward: max(x, 0), x sigmoid(x)
//   relu_backward, silu_backward (x, dy, dx, n)          as gelu_backward
//   sigmoid_forward(x, y, n), sigmoid_backward(x, dy, dx, n)
//                                                        as gelu's: 1 / (1 + exp(-x))
//  convolution (images channels-last: [batch * height * width, channels], conv_geometry g)
//   images_to_channels_last(images, batch, channels, height, width, view<T> rows)
//                                                        NCHW images to rows [batch * height *
//                                                        width, channels], written
//   im2col(view<const T> x, g, view<T> columns)          columns [g.out_rows(), C * k * k] written:
//                                                        column c * k * k + ky * k + kx (PyTorch's
//                                                        weight order) holds the tap's pixel, 0 in
//                                                        the padding; x [g.in_rows(), C]
//   col2im(view<const T> columns, g, view<T> dx)         the adjoint of im2col: dx written
//   depthwise_conv_forward(x, w, g, y)                   w [C, k * k]; y [g.out_rows(), C] written
//   depthwise_conv_backward(dy, x, w, g, dx, dw)         dx written; dw [C, k * k] accumulates
//  batch normalisation (per column over all rows)
//   batch_norm_training_forward(x, gamma, beta, eps, momentum, y, mean, rstd, running_mean,
//                               running_var)             y written; batch mean, rstd [cols]
//                               written;
//                                                        running mean, var [cols] updated (unbiased
//                                                        var, PyTorch's momentum rule)
//   batch_norm_inference_forward(x, gamma, beta, running_mean, running_var, eps, y)
//                                                        y written
//   batch_norm_training_backward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
//   batch_norm_inference_backward(dy, x, gamma, running_mean, running_var, eps, dx, dgamma, dbeta)
//                                                        dx written; dgamma, dbeta accumulate
//  pooling
//   global_average_pool(view<const T> x, batch, view<T> y)
//                                                        y [batch, C] = per-image means, written
//   global_average_pool_backward(view<const T> dy, batch, view<T> dx, accumulate = false)
//                                                        dx [batch * pixels, C] written (+= when
//                                                        accumulate)
//  channel scaling (squeeze-excitation's gate)
//   scale_channels(view<const T> x, view<const T> scale, batch, view<T> y)
//                                                        y [batch * pixels, C] = x * scale[b, :]
//                                                        per image, written; scale [batch, C]
//   scale_channels_backward(dy, x, scale, batch, dx, dscale)
//                                                        dx written; dscale [batch, C] = per-image
//                                                        sums of dy * x, written
//  windows (window_geometry w: EMO's interleaved windows, zero padding)
//   window_partition(view<const T> x, w, view<T> windows)
//                                                        windows [w.token_rows(), C] written from
//                                                        x [w.pixel_rows(), C], 0 in the padding
//   window_reverse(view<const T> windows, w, view<T> x)  x written; padding tokens dropped (the
//                                                        adjoint of window_partition)
//  attention
//   attention_forward(q, k, v, batch, heads, scale, T* probs, out)
//                                                        q, k, v, out [batch * tokens,
//                                                        heads * head_dim]; probs [batch * heads,
//                                                        tokens, tokens] and out written
//   attention_backward(q, k, v, probs, dout, batch, heads, scale, T* scratch, dq, dk, dv)
//                                                        dq, dk, dv written; scratch as probs
//  tokens
//   image_to_patches(images, batch, channels, image_size, patch_size, view<T> patches)
//                                                        NCHW images to [batch * P, C * s * s]
//                                                        patch rows, written
//   assemble_tokens(patch_out, cls, pos, batch, x)       x [batch * N, e] written: class token
//                                                        then patch rows, plus pos [N, e]
//   assemble_tokens_backward(dx, batch, d_patch_out, dcls, dpos)
//                                                        d_patch_out written; dcls [e], dpos
//                                                        [N, e] accumulate
//  residuals
//   drop_path_scales(T* keep, size_t n, double rate, uint64_t seed)
//                                                        keep[:n] written: sample b's scale 0
//                                                        with probability rate, else 1 / (1 -
//                                                        rate), a function of (seed, b) alone
//                                                        (drop_path_draw.hpp), drawn where the
//                                                        values are
//   add_to(view<const T> x, view<T> y)                   y += x (accumulates)
//   add_scaled_residual(view<T> x, view<const T> y, const T* keep, batch)
//                                                        x += keep[b] * y per sample (accumulates)
//   scale_per_sample(view<const T> dx, const T* keep, batch, view<T> dy)
//                                                        dy = keep[b] * dx per sample, written
//  losses
//   soft_cross_entropy(logits, target, soft_target_loss<T> how, dlogits, T* loss)
//                                                        loss[0] written unless loss is null:
//                                                        the mean over rows of the cross-entropy
//                                                        (or KL) at how.temperature; dlogits =
//                                                        how.weight * its gradient, written (+=
//                                                        when how.accumulate) unless its data is
//                                                        null (soft_target_loss.hpp)
//   softmax(logits, temperature, probs)                  probs written
//  optimiser and reductions (flat buffers of n values)
//   sum_of_squares_into(const T* x, size_t n, T* total)  total[0] written: sum of x^2 (in double)
//   clip_to_norm(T* x, size_t n, const T* total, T max)  x *= max / (sqrt(total[0]) + 1e-6) where
//                                                        that is below 1 (total: a sum of squares
//                                                        in back-end memory, never read by the
//                                                        host)
//   adamw_update(param, grad, exp_avg, exp_avg_sq, n, lr, beta1, beta2, eps, weight_decay, step)
//                                                        param, exp_avg, exp_avg_sq updated
//   sgd_update(param, grad, momentum_buffer, n, lr, momentum, weight_decay, nesterov, first_step)
//                                                        param, momentum_buffer updated
//                                                        (torch.optim.SGD; the buffer is set to
//                                                        the decayed gradient on the first step)
template <class B>
concept backend = requires(std::span<const typename B::scalar> host_in,
                           std::span<typename B::scalar> host_out, typename B::scalar* p,
                           const typename B::scalar* cp, std::size_t n, typename B::scalar s,
                           matrix_view<typename B::scalar> m,
                           matrix_view<const typename B::scalar> cm, bool flag, int i, double d,
                           long step, const conv_geometry& g, const window_geometry& w,
                           const soft_target_loss<typename B::scalar>& loss, std::uint64_t seed) {
  typename B::scalar;
  typename B::template buffer<typename B::scalar>;
  typename B::template host_buffer<typename B::scalar>;
  typename B::context;
  { B::current_context() } -> std::same_as<typename B::context&>;
  // memory
  { B::host_memory } -> std::convertible_to<bool>;
  { B::copy_from_host(host_in, p) } -> std::same_as<void>;
  { B::copy_to_host(cp, host_out) } -> std::same_as<void>;
  { B::copy_from_host_async(host_in, p) } -> std::same_as<void>;
  { B::fill(p, n, s) } -> std::same_as<void>;
  { B::copy(cp, n, p) } -> std::same_as<void>;
  { B::copy(cm, m) } -> std::same_as<void>;
  // products
  { B::gemm(flag, flag, s, cm, cm, s, m) } -> std::same_as<void>;
  { B::add_bias(m, cp) } -> std::same_as<void>;
  { B::accumulate_bias_grad(cm, p) } -> std::same_as<void>;
  // normalisation
  { B::layer_norm_forward(cm, cp, cp, s, m, p, p) } -> std::same_as<void>;
  { B::layer_norm_backward(cm, cm, cp, cp, cp, m, flag, p, p) } -> std::same_as<void>;
  // activation
  { B::gelu_forward(cp, p, n) } -> std::same_as<void>;
  { B::gelu_backward(cp, cp, p, n) } -> std::same_as<void>;
  { B::relu_forward(cp, p, n) } -> std::same_as<void>;
  { B::relu_backward(cp, cp, p, n) } -> std::same_as<void>;
  { B::silu_forward(cp, p, n) } -> std::same_as<void>;
  { B::silu_backward(cp, cp, p, n) } -> std::same_as<void>;
  { B::sigmoid_forward(cp, p, n) } -> std::same_as<void>;
  { B::sigmoid_backward(cp, cp, p, n) } -> std::same_as<void>;
  // convolution
  { B::images_to_channels_last(cp, i, i, i, i, m) } -> std::same_as<void>;
  { B::im2col(cm, g, m) } -> std::same_as<void>;
  { B::col2im(cm, g, m) } -> std::same_as<void>;
  { B::depthwise_conv_forward(cm, cm, g, m) } -> std::same_as<void>;
  { B::depthwise_conv_backward(cm, cm, cm, g, m, m) } -> std::same_as<void>;
  // batch normalisation
  { B::batch_norm_training_forward(cm, cp, cp, s, s, m, p, p, p, p) } -> std::same_as<void>;
  { B::batch_norm_inference_forward(cm, cp, cp, cp, cp, s, m) } -> std::same_as<void>;
  { B::batch_norm_training_backward(cm, cm, cp, cp, cp, m, p, p) } -> std::same_as<void>;
  { B::batch_norm_inference_backward(cm, cm, cp, cp, cp, s, m, p, p) } -> std::same_as<void>;
  // pooling
  { B::global_average_pool(cm, i, m) } -> std::same_as<void>;
  { B::global_average_pool_backward(cm, i, m) } -> std::same_as<void>;
  { B::global_average_pool_backward(cm, i, m, flag) } -> std::same_as<void>;
  // channel scaling
  { B::scale_channels(cm, cm, i, m) } -> std::same_as<void>;
  { B::scale_channels_backward(cm, cm, cm, i, m, m) } -> std::same_as<void>;
  // windows
  { B::window_partition(cm, w, m) } -> std::same_as<void>;
  { B::window_reverse(cm, w, m) } -> std::same_as<void>;
  // attention
  { B::attention_forward(cm, cm, cm, i, i, s, p, m) } -> std::same_as<void>;
  { B::attention_backward(cm, cm, cm, cp, cm, i, i, s, p, m, m, m) } -> std::same_as<void>;
  // tokens
  { B::image_to_patches(cp, i, i, i, i, m) } -> std::same_as<void>;
  { B::assemble_tokens(cm, cp, cm, i, m) } -> std::same_as<void>;
  { B::assemble_tokens_backward(cm, i, m, p, m) } -> std::same_as<void>;
  // residuals
  { B::drop_path_scales(p, n, d, seed) } -> std::same_as<void>;
  { B::add_to(cm, m) } -> std::same_as<void>;
  { B::add_scaled_residual(m, cm, cp, i) } -> std::same_as<void>;
  { B::scale_per_sample(cm, cp, i, m) } -> std::same_as<void>;
  // losses
  { B::soft_cross_entropy(cm, cm, loss, m, p) } -> std::same_as<void>;
  { B::softmax(cm, s, m) } -> std::same_as<void>;
  // optimiser and reductions
  { B::sum_of_squares_into(cp, n, p) } -> std::same_as<void>;
  { B::clip_to_norm(p, n, cp, s) } -> std::same_as<void>;
  { B::adamw_update(p, cp, p, p, n, d, d, d, d, d, step) } -> std::same_as<void>;
  { B::sgd_update(p, cp, p, n, d, d, d, flag, flag) } -> std::same_as<void>;
};

}  // namespace ovo
