// The Thrust back end's token ops: images to patch rows, and patch embeddings to the token stream.
#pragma once

#include <cassert>
#include <cstddef>

#include "ovo/backend/host_device.hpp"
#include "ovo/backend/matrix_view.hpp"
#include "ovo/backend/thrust/index_loops.hpp"

namespace ovo {

template <class T, class System>
struct thrust_tokens {
  // As cpu_tokens::image_to_patches: patches [batch * P, channels * s * s] written.
  static void image_to_patches(const T* images, int batch, int channels, int image_size,
                               int patch_size, matrix_view<T> patches) {
    const int per_side = image_size / patch_size, count = per_side * per_side;
    const int width = channels * patch_size * patch_size, area = patch_size * patch_size;
    assert(patches.rows == batch * count && patches.cols == width);
    for_each_index<System>(
        std::ptrdiff_t{patches.rows} * width, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
          const int bp = static_cast<int>(i / width), j = static_cast<int>(i % width);
          const int b = bp / count, p = bp % count;
          const int c = j / area, ky = j % area / patch_size, kx = j % patch_size;
          const int y = p / per_side * patch_size + ky;
          const int x = p % per_side * patch_size + kx;
          patches.row(bp)[j] =
              images[((std::ptrdiff_t{b} * channels + c) * image_size + y) * image_size + x];
        });
  }

  // x[b * N + t] = (t == 0 ? cls : patch_out[b * (N - 1) + t - 1]) + pos[t], written.
  static void assemble_tokens(matrix_view<const T> patch_out, const T* cls,
                              matrix_view<const T> pos, int batch, matrix_view<T> x) {
    const int tokens = pos.rows, e = x.cols;
    assert(x.rows == batch * tokens && patch_out.rows == batch * (tokens - 1) &&
           patch_out.cols == e && pos.cols == e);
    for_each_index<System>(std::ptrdiff_t{x.rows} * e, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int bt = static_cast<int>(i / e), c = static_cast<int>(i % e);
      const int b = bt / tokens, t = bt % tokens;
      const T v = t == 0 ? cls[c] : patch_out.row(b * (tokens - 1) + t - 1)[c];
      x.row(bt)[c] = v + pos.row(t)[c];
    });
  }

  // The backward of assemble_tokens: d_patch_out written; dcls and dpos accumulate (one
  // position entry per thread, samples in order).
  static void assemble_tokens_backward(matrix_view<const T> dx, int batch,
                                       matrix_view<T> d_patch_out, T* dcls, matrix_view<T> dpos) {
    const int tokens = dpos.rows, e = dx.cols;
    assert(dx.rows == batch * tokens && d_patch_out.rows == batch * (tokens - 1) &&
           d_patch_out.cols == e && dpos.cols == e);
    for_each_index<System>(std::ptrdiff_t{d_patch_out.rows} * e,
                           [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
                             const int row = static_cast<int>(i / e), c = static_cast<int>(i % e);
                             const int b = row / (tokens - 1), t = row % (tokens - 1) + 1;
                             d_patch_out.row(row)[c] = dx.row(b * tokens + t)[c];
                           });
    for_each_index<System>(std::ptrdiff_t{tokens} * e, [=] OVO_HOST_DEVICE(std::ptrdiff_t i) {
      const int t = static_cast<int>(i / e), c = static_cast<int>(i % e);
      T sum = 0;
      for (int b = 0; b < batch; ++b) sum += dx.row(b * tokens + t)[c];
      dpos.row(t)[c] += sum;
      if (t == 0) dcls[c] += sum;
    });
  }
};

}  // namespace ovo
