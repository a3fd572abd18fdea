// The CPU back end: every op the layers need, on row-major strided matrices, with Eigen and OpenMP.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <span>
#include <type_traits>
#include <vector>

#include "ovo/backend/gemm_provider.hpp"
#include "ovo/util/eigen.hpp"

namespace ovo {

template <class Scalar>
struct cpu {
  using scalar = Scalar;
  using T = Scalar;
  template <class U>
  using buffer = std::vector<U, Eigen::aligned_allocator<U>>;

  using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using matrix_map = Eigen::Map<matrix, 0, Eigen::OuterStride<>>;
  using const_matrix_map = Eigen::Map<const matrix, 0, Eigen::OuterStride<>>;
  using array_map = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using const_array_map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

  static matrix_map view(T* p, int rows, int cols, int ld) {
    return matrix_map(p, rows, cols, Eigen::OuterStride<>(ld));
  }
  static const_matrix_map view(const T* p, int rows, int cols, int ld) {
    return const_matrix_map(p, rows, cols, Eigen::OuterStride<>(ld));
  }

  // ---- memory -------------------------------------------------------------------------------
  static void copy_from_host(std::span<const T> host, T* dst) {
    std::copy(host.begin(), host.end(), dst);
  }
  static void copy_to_host(const T* src, std::span<T> host) {
    std::copy(src, src + host.size(), host.begin());
  }
  static void fill(T* p, std::size_t n, T value) { std::fill(p, p + n, value); }
  static void copy(const T* src, std::size_t n, T* dst) { std::copy(src, src + n, dst); }

  // ---- matrix products ----------------------------------------------------------------------
  // C[m x n] = alpha * op(A) * op(B) + beta * C, all row-major with leading dimensions; op(A) is
  // m x k, op(B) is k x n. A prefix slice of a larger matrix is just a pointer and its ld.
  // The products run on the process's provider (see backend/gemm_provider.hpp).
  static void gemm(bool transpose_a, bool transpose_b, int m, int n, int k, T alpha, const T* a,
                   int lda, const T* b, int ldb, T beta, T* c, int ldc) {
    gemm_on(active_gemm_provider(), transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta,
            c, ldc);
  }
  // gemm on a given provider; without OpenBLAS linked, every product runs on Eigen.
  static void gemm_on(gemm_provider provider, bool transpose_a, bool transpose_b, int m, int n,
                      int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
                      int ldc) {
#ifdef OVO_USE_OPENBLAS
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (provider == gemm_provider::openblas) {
        const auto ta = transpose_a ? CblasTrans : CblasNoTrans;
        const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
        if constexpr (std::is_same_v<T, float>)
          cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
          cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
      }
    }
#else
    (void)provider;
#endif
    auto C = view(c, m, n, ldc);
    if (k == 0) {
      if (beta == T(0))
        C.setZero();
      else
        C *= beta;
      return;
    }
    const auto A = view(a, transpose_a ? k : m, transpose_a ? m : k, lda);
    const auto B = view(b, transpose_b ? n : k, transpose_b ? k : n, ldb);
    if (beta == T(0)) {
      if (!transpose_a && !transpose_b)
        C.noalias() = alpha * A * B;
      else if (!transpose_a)
        C.noalias() = alpha * A * B.transpose();
      else if (!transpose_b)
        C.noalias() = alpha * A.transpose() * B;
      else
        C.noalias() = alpha * A.transpose() * B.transpose();
      return;
    }
    if (beta != T(1)) C *= beta;
    if (!transpose_a && !transpose_b)
      C.noalias() += alpha * A * B;
    else if (!transpose_a)
      C.noalias() += alpha * A * B.transpose();
    else if (!transpose_b)
      C.noalias() += alpha * A.transpose() * B;
    else
      C.noalias() += alpha * A.transpose() * B.transpose();
  }

  // Y[rows x cols] += bias (one value per column).
  static void add_bias(T* y, int rows, int cols, int ldy, const T* bias) {
    const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> b(bias, cols);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r)
      view(y + static_cast<std::ptrdiff_t>(r) * ldy, 1, cols, ldy) += b;
  }

  // db[cols] += column sums of dY[rows x cols].
  static void accumulate_bias_grad(const T* dy, int rows, int cols, int ldy, T* db) {
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> out(db, cols);
    out += view(dy, rows, cols, ldy).colwise().sum();
  }

  // ---- layer norm ---------------------------------------------------------------------------
  // y = (x - mean) * rstd * gamma + beta over the first `cols` channels of each row.
  static void layer_norm_forward(const T* x, int ldx, int rows, int cols, const T* gamma,
                                 const T* beta, T eps, T* y, int ldy, T* mean, T* rstd) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r) {
      const T* xr = x + static_cast<std::ptrdiff_t>(r) * ldx;
      T* yr = y + static_cast<std::ptrdiff_t>(r) * ldy;
      T sum = 0;
      for (int c = 0; c < cols; ++c) sum += xr[c];
      const T mu = sum / T(cols);
      T var = 0;
      for (int c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
      const T inv = T(1) / std::sqrt(var / T(cols) + eps);
      for (int c = 0; c < cols; ++c) yr[c] = (xr[c] - mu) * inv * gamma[c] + beta[c];
      mean[r] = mu;
      rstd[r] = inv;
    }
  }

  // dx = (or +=, when accumulate) the input gradient; dgamma, dbeta += their gradients.
  static void layer_norm_backward(const T* dy, int ldy, const T* x, int ldx, int rows, int cols,
                                  const T* gamma, const T* mean, const T* rstd, T* dx, int lddx,
                                  bool accumulate, T* dgamma, T* dbeta) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; ++r) {
      const T* dyr = dy + static_cast<std::ptrdiff_t>(r) * ldy;
      const T* xr = x + static_cast<std::ptrdiff_t>(r) * ldx;
      T* dxr = dx + static_cast<std::ptrdiff_t>(r) * lddx;
      const T mu = mean[r], inv = rstd[r];
      T sum_g = 0, sum_gx = 0;
      for (int c = 0; c < cols; ++c) {
        const T g = dyr[c] * gamma[c];
        sum_g += g;
        sum_gx += g * (xr[c] - mu) * inv;
      }
      const T mean_g = sum_g / T(cols), mean_gx = sum_gx / T(cols);
      for (int c = 0; c < cols; ++c) {
        const T xhat = (xr[c] - mu) * inv;
        const T d = inv * (dyr[c] * gamma[c] - mean_g - xhat * mean_gx);
        dxr[c] = accumulate ? dxr[c] + d : d;
      }
    }
    for (int r = 0; r < rows; ++r) {
      const T* dyr = dy + static_cast<std::ptrdiff_t>(r) * ldy;
      const T* xr = x + static_cast<std::ptrdiff_t>(r) * ldx;
      const T mu = mean[r], inv = rstd[r];
      for (int c = 0; c < cols; ++c) {
        dgamma[c] += dyr[c] * (xr[c] - mu) * inv;
        dbeta[c] += dyr[c];
      }
    }
  }

  // ---- GELU (exact, erf) --------------------------------------------------------------------
  static void gelu_forward(const T* x, T* y, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    const_array_map in(x, count);
    array_map out(y, count);
    parallel_chunks(n, [&](std::size_t begin, std::size_t size) {
      const auto xs = in.segment(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(size));
      out.segment(static_cast<Eigen::Index>(begin), static_cast<Eigen::Index>(size)) =
          T(0.5) * xs * (T(1) + (xs * T(std::numbers::sqrt2 / 2)).erf());
    });
  }

  // dx = dy * gelu'(x)
  static void gelu_backward(const T* x, const T* dy, T* dx, std::size_t n) {
    const auto count = static_cast<Eigen::Index>(n);
    const_array_map in(x, count), grad_out(dy, count);
    array_map grad_in(dx, count);
    const T inv_sqrt_2pi = T(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
    parallel_chunks(n, [&](std::size_t begin, std::size_t size) {
      const auto b = static_cast<Eigen::Index>(begin), s = static_cast<Eigen::Index>(size);
      const auto xs = in.segment(b, s);
      grad_in.segment(b, s) =
          grad_out.segment(b, s) * (T(0.5) * (T(1) + (xs * T(std::numbers::sqrt2 / 2)).erf()) +
                                    xs * inv_sqrt_2pi * (T(-0.5) * xs.square()).exp());
    });
  }

  // ---- multi-head attention -----------------------------------------------------------------
  // q, k, v, out: [batch * tokens, ld] with head h in columns [h * head_dim, (h + 1) * head_dim).
  // probs: [batch, heads, tokens, tokens], kept for the backward pass.
  static void attention_forward(const T* q, const T* k, const T* v, int ld, int batch, int tokens,
                                int heads, int head_dim, T scale, T* probs, T* out) {
    const std::ptrdiff_t nn = static_cast<std::ptrdiff_t>(tokens) * tokens;
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      const std::ptrdiff_t offset = head_offset(bh, heads, tokens, ld, head_dim);
      const auto Q = view(q + offset, tokens, head_dim, ld);
      const auto K = view(k + offset, tokens, head_dim, ld);
      const auto V = view(v + offset, tokens, head_dim, ld);
      auto P = view(probs + bh * nn, tokens, tokens, tokens);
      P.noalias() = scale * Q * K.transpose();
      for (int r = 0; r < tokens; ++r) {
        auto row = P.row(r).array();
        row = (row - row.maxCoeff()).exp();
        row /= row.sum();
      }
      view(out + offset, tokens, head_dim, ld).noalias() = P * V;
    }
  }

  // dq, dk, dv are written (not accumulated); scratch holds batch * heads * tokens^2 values.
  static void attention_backward(const T* q, const T* k, const T* v, const T* probs, const T* dout,
                                 int ld, int batch, int tokens, int heads, int head_dim, T scale,
                                 T* scratch, T* dq, T* dk, T* dv) {
    const std::ptrdiff_t nn = static_cast<std::ptrdiff_t>(tokens) * tokens;
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < batch * heads; ++bh) {
      const std::ptrdiff_t offset = head_offset(bh, heads, tokens, ld, head_dim);
      const auto Q = view(q + offset, tokens, head_dim, ld);
      const auto K = view(k + offset, tokens, head_dim, ld);
      const auto V = view(v + offset, tokens, head_dim, ld);
      const auto dO = view(dout + offset, tokens, head_dim, ld);
      const auto P = view(probs + bh * nn, tokens, tokens, tokens);
      auto dS = view(scratch + bh * nn, tokens, tokens, tokens);
      view(dv + offset, tokens, head_dim, ld).noalias() = P.transpose() * dO;
      dS.noalias() = dO * V.transpose();  // dP
      for (int r = 0; r < tokens; ++r) {
        const T dot = P.row(r).dot(dS.row(r));
        dS.row(r).array() = P.row(r).array() * (dS.row(r).array() - dot);
      }
      view(dq + offset, tokens, head_dim, ld).noalias() = scale * dS * K;
      view(dk + offset, tokens, head_dim, ld).noalias() = scale * dS.transpose() * Q;
    }
  }

  // Where the rows of head h of sample b (bh = b * heads + h) start in a [batch * tokens, ld]
  // buffer.
  static std::ptrdiff_t head_offset(int bh, int heads, int tokens, int ld, int head_dim) {
    return static_cast<std::ptrdiff_t>(bh / heads) * tokens * ld + (bh % heads) * head_dim;
  }

  // ---- tokens -------------------------------------------------------------------------------
  // patches[b * P + p, c * s * s + ky * s + kx] = images[b, c, py * s + ky, px * s + kx] for the
  // non-overlapping s x s patches of NCHW images (a stride = kernel conv as a GEMM).
  static void image_to_patches(const T* images, int batch, int channels, int image_size,
                               int patch_size, T* patches) {
    const int per_side = image_size / patch_size, count = per_side * per_side;
    const int patch_dim = channels * patch_size * patch_size;
#pragma omp parallel for schedule(static)
    for (int bp = 0; bp < batch * count; ++bp) {
      const int b = bp / count, p = bp % count, py = p / per_side, px = p % per_side;
      T* dst = patches + static_cast<std::ptrdiff_t>(bp) * patch_dim;
      for (int c = 0; c < channels; ++c)
        for (int ky = 0; ky < patch_size; ++ky) {
          const T* src = images +
                         ((static_cast<std::ptrdiff_t>(b) * channels + c) * image_size +
                          py * patch_size + ky) *
                             image_size +
                         px * patch_size;
          std::copy(src, src + patch_size, dst + (c * patch_size + ky) * patch_size);
        }
    }
  }

  // x[b, 0, :] = cls + pos[0]; x[b, 1 + p, :] = patch_out[b * P + p, :] + pos[1 + p] (width e).
  static void assemble_tokens(const T* patch_out, int ld_patch, const T* cls, const T* pos,
                              int ld_pos, int batch, int tokens, int e, T* x) {
#pragma omp parallel for schedule(static)
    for (int bt = 0; bt < batch * tokens; ++bt) {
      const int b = bt / tokens, t = bt % tokens;
      const T* src =
          t == 0 ? cls
                 : patch_out + (static_cast<std::ptrdiff_t>(b) * (tokens - 1) + t - 1) * ld_patch;
      const T* p = pos + static_cast<std::ptrdiff_t>(t) * ld_pos;
      T* dst = x + static_cast<std::ptrdiff_t>(bt) * e;
      for (int c = 0; c < e; ++c) dst[c] = src[c] + p[c];
    }
  }

  // The backward of assemble_tokens: d_patch_out written, dcls and dpos accumulated.
  static void assemble_tokens_backward(const T* dx, int batch, int tokens, int e, T* d_patch_out,
                                       int ld_patch, T* dcls, T* dpos, int ld_pos) {
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < tokens; ++t) {
        const T* src = dx + (static_cast<std::ptrdiff_t>(b) * tokens + t) * e;
        T* p = dpos + static_cast<std::ptrdiff_t>(t) * ld_pos;
        for (int c = 0; c < e; ++c) p[c] += src[c];
        if (t == 0) {
          for (int c = 0; c < e; ++c) dcls[c] += src[c];
        } else {
          std::copy(
              src, src + e,
              d_patch_out + (static_cast<std::ptrdiff_t>(b) * (tokens - 1) + t - 1) * ld_patch);
        }
      }
  }

  // ---- residuals with drop-path -------------------------------------------------------------
  // x[b] += keep_scale[b] * y[b] for each sample's rows (keep_scale: 0 or 1 / (1 - rate)).
  static void add_scaled_residual(T* x, const T* y, const T* keep_scale, int batch,
                                  std::size_t per_sample) {
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      const T s = keep_scale[b];
      T* xb = x + b * per_sample;
      const T* yb = y + b * per_sample;
      for (std::size_t i = 0; i < per_sample; ++i) xb[i] += s * yb[i];
    }
  }

  // dy[b] = keep_scale[b] * dx[b].
  static void scale_per_sample(const T* dx, const T* keep_scale, int batch, std::size_t per_sample,
                               T* dy) {
#pragma omp parallel for schedule(static)
    for (int b = 0; b < batch; ++b) {
      const T s = keep_scale[b];
      for (std::size_t i = 0; i < per_sample; ++i)
        dy[b * per_sample + i] = s * dx[b * per_sample + i];
    }
  }

  // ---- losses -------------------------------------------------------------------------------
  // Mean over rows of -sum_c target[r, c] * log softmax(logits[r] / temperature)_c; writes (or
  // adds, when accumulate) weight * d(mean loss)/d(logits) to dlogits unless it is null; returns
  // the mean loss.
  static double soft_cross_entropy(const T* logits, const T* target, int rows, int classes,
                                   T temperature, T weight, T* dlogits, bool accumulate) {
    double total = 0;
    for (int r = 0; r < rows; ++r) {
      const T* z = logits + static_cast<std::ptrdiff_t>(r) * classes;
      const T* t = target + static_cast<std::ptrdiff_t>(r) * classes;
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
      if (dlogits) {
        T* d = dlogits + static_cast<std::ptrdiff_t>(r) * classes;
        const T factor = weight / (T(rows) * temperature);
        for (int c = 0; c < classes; ++c)
          d[c] = (accumulate ? d[c] : T(0)) +
                 factor * (target_sum * std::exp((z[c] - max) / temperature - log_sum) - t[c]);
      }
    }
    return total / rows;
  }

  // probs[r] = softmax(logits[r] / temperature)
  static void softmax(const T* logits, int rows, int classes, T temperature, T* probs) {
    for (int r = 0; r < rows; ++r) {
      const T* z = logits + static_cast<std::ptrdiff_t>(r) * classes;
      T* p = probs + static_cast<std::ptrdiff_t>(r) * classes;
      const T max = *std::max_element(z, z + classes);
      T sum = 0;
      for (int c = 0; c < classes; ++c) sum += p[c] = std::exp((z[c] - max) / temperature);
      for (int c = 0; c < classes; ++c) p[c] /= sum;
    }
  }

  // ---- optimiser and reductions -------------------------------------------------------------
  static double sum_of_squares(const T* x, std::size_t n) {
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i)
      total += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    return total;
  }

  static void scale(T* x, std::size_t n, T factor) {
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) x[i] *= factor;
  }

  // One AdamW update (torch.optim.AdamW) of n values: decay, moments, bias-corrected step.
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
      exp_avg[i] = b1 * exp_avg[i] + (T(1) - b1) * g;
      exp_avg_sq[i] = b2 * exp_avg_sq[i] + (T(1) - b2) * g * g;
      param[i] -= step_size * exp_avg[i] / (std::sqrt(exp_avg_sq[i]) * inv_bias2_sqrt + e);
    }
  }

 private:
  // Runs body(begin, size) over chunks of [0, n) on the OpenMP threads.
  template <class Body>
  static void parallel_chunks(std::size_t n, Body&& body) {
    constexpr std::size_t chunk = 16384;
    const auto chunks = static_cast<std::ptrdiff_t>((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < chunks; ++i) {
      const std::size_t begin = static_cast<std::size_t>(i) * chunk;
      body(begin, std::min(chunk, n - begin));
    }
  }
};

}  // namespace ovo
