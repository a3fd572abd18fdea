// Where q, k and v of a subnet live inside the super qkv weight [3 * A, E] and bias [3 * A].
#pragma once

#include <cstddef>

namespace ovo {

// Where one of q (part 0), k (1) or v (2) of an active width `a` starts, and its row stride.
struct qkv_part_view {
  std::ptrdiff_t weight_offset;  // elements from the start of the super weight
  int weight_ld;                 // row stride of the part's rows
  std::ptrdiff_t bias_offset;    // elements from the start of the super bias
};

// ovo's own layout: three blocks of A rows (A = head_dim * heads of the supernet), each sliced to
// its first a rows, weights and biases alike.
struct qkv_blocked {
  static constexpr bool interleaved = false;
  static constexpr qkv_part_view part(int part, int a, int super_a, int super_in) {
    (void)a;
    return {static_cast<std::ptrdiff_t>(part) * super_a * super_in, super_in,
            static_cast<std::ptrdiff_t>(part) * super_a};
  }
};

// AutoFormer's layout: rows interleaved (q = rows 0, 3, 6, ..., k = 1, 4, ..., v = 2, 5, ...), a
// row stride of 3 super rows; the bias sliced contiguously as b[:3a] = [q | k | v] of width a.
struct qkv_interleaved {
  static constexpr bool interleaved = true;
  static constexpr qkv_part_view part(int part, int a, int super_a, int super_in) {
    (void)super_a;
    return {static_cast<std::ptrdiff_t>(part) * super_in, 3 * super_in,
            static_cast<std::ptrdiff_t>(part) * a};
  }
};

static_assert(!qkv_blocked::interleaved && qkv_interleaved::interleaved,
              "qkv layout tags must say which layout they are");

}  // namespace ovo
