// Closed-form parameter and multiply-add counts of any arch, under the supernet's slicing rules.
#pragma once

#include <cstdint>

#include "ovo/space/arch.hpp"
#include "ovo/space/vit_shape.hpp"

namespace ovo {

// Parameters of `a` as a standalone model on the geometry of `shape` (image, patch, channels,
// classes, head dim): what the exported subnet holds, tensor by tensor.
inline std::int64_t count_params(const arch& a, const vit_shape& shape) {
  const std::int64_t e = a.embed, dh = shape.head_dim;
  std::int64_t n = e * shape.patch_dim() + e;              // patch embedding conv weight and bias
  n += e + static_cast<std::int64_t>(shape.tokens()) * e;  // class token and position embedding
  for (int i = 0; i < a.depth; ++i) {
    const std::int64_t qkv = 3 * dh * a.heads[static_cast<std::size_t>(i)];
    const std::int64_t attn = qkv / 3, hidden = a.mlp_hidden(i);
    n += 2 * e;                // norm1
    n += qkv * e + qkv;        // attn.qkv
    n += attn * e + e;         // attn.proj
    n += 2 * e;                // norm2
    n += hidden * e + hidden;  // mlp.fc1
    n += e * hidden + e;       // mlp.fc2
  }
  n += 2 * e;                              // final norm
  n += e * shape.classes + shape.classes;  // head
  return n;
}

// Multiply-adds of one image's forward pass: every matrix product (patch embedding, q/k/v,
// attention scores and weighted values, projection, MLP, head on the class token). Element-wise
// work (norms, softmax, GELU, biases, residuals) is not counted. FLOPs are about twice this.
inline std::int64_t count_macs(const arch& a, const vit_shape& shape) {
  const std::int64_t e = a.embed, dh = shape.head_dim, tokens = shape.tokens();
  std::int64_t n = static_cast<std::int64_t>(shape.patches()) * shape.patch_dim() * e;
  for (int i = 0; i < a.depth; ++i) {
    const std::int64_t attn = dh * a.heads[static_cast<std::size_t>(i)], hidden = a.mlp_hidden(i);
    n += tokens * e * 3 * attn;       // q, k, v
    n += 2 * tokens * tokens * attn;  // q k^T and p v over all heads
    n += tokens * attn * e;           // proj
    n += 2 * tokens * e * hidden;     // fc1 and fc2
  }
  n += e * shape.classes;
  return n;
}

}  // namespace ovo
