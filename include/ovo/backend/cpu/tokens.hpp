// The CPU back end's token ops: images to patch rows, and patch embeddings to the token stream.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>

#include "ovo/backend/matrix_view.hpp"

namespace ovo {

template <class T>
struct cpu_tokens {
  // patches[b * P + p, c * s * s + ky * s + kx] = images[b, c, py * s + ky, px * s + kx] for the
  // P non-overlapping s x s patches of a batch of NCHW images (a stride = kernel conv as a GEMM);
  // patches is [batch * P, channels * s * s], written. Images get no gradient: no backward.
  static void image_to_patches(const T* images, int batch, int channels, int image_size,
                               int patch_size, matrix_view<T> patches) {
    const int per_side = image_size / patch_size, count = per_side * per_side;
    assert(patches.rows == batch * count && patches.cols == channels * patch_size * patch_size);
#pragma omp parallel for schedule(static)
    for (int bp = 0; bp < batch * count; ++bp) {
      const int b = bp / count, p = bp % count, py = p / per_side, px = p % per_side;
      T* dst = patches.row(bp);
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

  // x[b * N, :] = cls + pos[0]; x[b * N + 1 + p, :] = patch_out[b * (N - 1) + p, :] + pos[1 + p],
  // N = pos.rows tokens of width x.cols: x [batch * N, e] written, patch_out [batch * (N - 1), e],
  // cls [e], pos [N, e] (a prefix view of the super position embedding).
  static void assemble_tokens(matrix_view<const T> patch_out, const T* cls,
                              matrix_view<const T> pos, int batch, matrix_view<T> x) {
    const int tokens = pos.rows, e = x.cols;
    assert(x.rows == batch * tokens && patch_out.rows == batch * (tokens - 1) &&
           patch_out.cols == e && pos.cols == e);
#pragma omp parallel for schedule(static)
    for (int bt = 0; bt < batch * tokens; ++bt) {
      const int b = bt / tokens, t = bt % tokens;
      const T* src = t == 0 ? cls : patch_out.row(b * (tokens - 1) + t - 1);
      const T* p = pos.row(t);
      T* dst = x.row(bt);
      for (int c = 0; c < e; ++c) dst[c] = src[c] + p[c];
    }
  }

  // The backward of assemble_tokens: d_patch_out written, dcls and dpos accumulated.
  static void assemble_tokens_backward(matrix_view<const T> dx, int batch,
                                       matrix_view<T> d_patch_out, T* dcls, matrix_view<T> dpos) {
    const int tokens = dpos.rows, e = dx.cols;
    assert(dx.rows == batch * tokens && d_patch_out.rows == batch * (tokens - 1) &&
           d_patch_out.cols == e && dpos.cols == e);
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < tokens; ++t) {
        const T* src = dx.row(b * tokens + t);
        T* p = dpos.row(t);
        for (int c = 0; c < e; ++c) p[c] += src[c];
        if (t == 0) {
          for (int c = 0; c < e; ++c) dcls[c] += src[c];
        } else {
          std::copy(src, src + e, d_patch_out.row(b * (tokens - 1) + t - 1));
        }
      }
  }
};

}  // namespace ovo
