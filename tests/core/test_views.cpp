// Matrix views, and each op family of the CPU back end on strided views: the same values as on
// packed matrices, and nothing written outside the view.
#include <doctest/doctest.h>

#include <span>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::make_matrix_view;
using ovo::test::random_vector;

static_assert(ovo::backend<ovo::cpu<float>>);
static_assert(ovo::backend<ovo::cpu<double>>);
static_assert(!ovo::backend<int>, "a type without the ops is no back end");

constexpr double sentinel = -1234.5;

// A rows x cols matrix stored with row stride cols + pad, the padding holding a sentinel.
struct padded_matrix {
  int rows, cols, ld;
  std::vector<double> storage;

  padded_matrix(const std::vector<double>& packed, int rows_, int cols_, int pad = 3)
      : rows(rows_),
        cols(cols_),
        ld(cols_ + pad),
        storage(static_cast<std::size_t>(rows_) * ld, sentinel) {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) storage[at(r, c)] = packed[at_packed(r, c)];
  }
  std::size_t at(int r, int c) const { return static_cast<std::size_t>(r) * ld + c; }
  std::size_t at_packed(int r, int c) const { return static_cast<std::size_t>(r) * cols + c; }
  ovo::matrix_view<double> view() { return make_matrix_view(storage.data(), rows, cols, ld); }
  std::vector<double> packed() const {
    std::vector<double> out(static_cast<std::size_t>(rows) * cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) out[at_packed(r, c)] = storage[at(r, c)];
    return out;
  }
  bool padding_untouched() const {
    for (int r = 0; r < rows; ++r)
      for (int c = cols; c < ld; ++c)
        if (storage[at(r, c)] != sentinel) return false;
    return true;
  }
};

ovo::matrix_view<double> packed_view(std::vector<double>& v, int rows, int cols) {
  return make_matrix_view(v.data(), rows, cols);
}

}  // namespace

TEST_CASE("matrix view: rows, prefix, block and the const view keep the data and ld") {
  std::vector<double> values(6 * 10);
  const auto m = make_matrix_view(values.data(), 6, 8, 10);
  CHECK(m.row(2) == values.data() + 20);
  const auto p = m.prefix(4, 5);
  CHECK(p.data == m.data);
  CHECK(p.rows == 4);
  CHECK(p.cols == 5);
  CHECK(p.ld == 10);
  CHECK(p.row(3) == values.data() + 30);
  const auto b = m.block(1, 2, 3, 4);
  CHECK(b.data == values.data() + 12);
  CHECK(b.ld == 10);
  CHECK(b.row(2) == values.data() + 32);
  const ovo::matrix_view<const double> c = p;
  CHECK(c.data == p.data);
  CHECK(c.ld == 10);
  const auto dense = make_matrix_view(values.data(), 3, 7);
  CHECK(dense.ld == 7);
}

TEST_CASE("memory and products on strided views") {
  const int rows = 4, cols = 21;  // wider than a vector register: no partial-vector warnings
  const auto x = random_vector(rows * cols, 1), bias = random_vector(cols, 2);
  padded_matrix src(x, rows, cols), dst(std::vector<double>(rows * cols, 0.0), rows, cols, 2);
  backend::copy(src.view(), dst.view());
  CHECK(dst.packed() == x);
  CHECK(dst.padding_untouched());

  auto expected = x;
  backend::add_bias(packed_view(expected, rows, cols), bias.data());
  backend::add_bias(src.view(), bias.data());
  CHECK(src.packed() == expected);
  CHECK(src.padding_untouched());

  std::vector<double> db_packed(cols + 1, 0.5), db(cols + 1, 0.5);
  backend::accumulate_bias_grad(packed_view(expected, rows, cols), db_packed.data());
  backend::accumulate_bias_grad(src.view(), db.data());
  CHECK(db == db_packed);
  CHECK(db[cols] == 0.5);
}

TEST_CASE("layer norm on strided views") {
  const int rows = 3, cols = 6;
  const auto x = random_vector(rows * cols, 3), dy = random_vector(rows * cols, 4);
  const auto gamma = random_vector(cols, 5), beta = random_vector(cols, 6);
  auto y_packed = std::vector<double>(rows * cols), dx_packed = random_vector(rows * cols, 7);
  std::vector<double> mean(rows), rstd(rows), dgamma(cols), dbeta(cols);
  auto x_packed = x, dy_packed = dy;
  backend::layer_norm_forward(packed_view(x_packed, rows, cols), gamma.data(), beta.data(), 1e-6,
                              packed_view(y_packed, rows, cols), mean.data(), rstd.data());
  padded_matrix xs(x, rows, cols), ys(std::vector<double>(rows * cols), rows, cols, 4);
  backend::layer_norm_forward(xs.view(), gamma.data(), beta.data(), 1e-6, ys.view(), mean.data(),
                              rstd.data());
  CHECK(ys.packed() == y_packed);
  CHECK(ys.padding_untouched());

  padded_matrix dys(dy, rows, cols, 1), dxs(dx_packed, rows, cols, 5);
  backend::layer_norm_backward(packed_view(dy_packed, rows, cols),
                               packed_view(x_packed, rows, cols), gamma.data(), mean.data(),
                               rstd.data(), packed_view(dx_packed, rows, cols), true, dgamma.data(),
                               dbeta.data());
  std::vector<double> dgamma_views(cols), dbeta_views(cols);
  backend::layer_norm_backward(dys.view(), xs.view(), gamma.data(), mean.data(), rstd.data(),
                               dxs.view(), true, dgamma_views.data(), dbeta_views.data());
  CHECK(dxs.packed() == dx_packed);
  CHECK(dxs.padding_untouched());
  CHECK(dgamma_views == dgamma);
  CHECK(dbeta_views == dbeta);
}

TEST_CASE("attention on strided views") {
  const int batch = 2, tokens = 3, heads = 2, head_dim = 2, rows = batch * tokens;
  const int width = heads * head_dim;
  const auto q = random_vector(rows * width, 8), k = random_vector(rows * width, 9),
             v = random_vector(rows * width, 10), dout = random_vector(rows * width, 11);
  const auto n_probs = static_cast<std::size_t>(batch * heads * tokens * tokens);
  std::vector<double> probs(n_probs), probs_views(n_probs), scratch(n_probs);
  auto qp = q, kp = k, vp = v, dp = dout;
  std::vector<double> out(rows * width), dq(rows * width), dk(rows * width), dv(rows * width);
  backend::attention_forward(packed_view(qp, rows, width), packed_view(kp, rows, width),
                             packed_view(vp, rows, width), batch, heads, 0.7, probs.data(),
                             packed_view(out, rows, width));
  backend::attention_backward(
      packed_view(qp, rows, width), packed_view(kp, rows, width), packed_view(vp, rows, width),
      probs.data(), packed_view(dp, rows, width), batch, heads, 0.7, scratch.data(),
      packed_view(dq, rows, width), packed_view(dk, rows, width), packed_view(dv, rows, width));
  padded_matrix qs(q, rows, width, 1), ks(k, rows, width, 2), vs(v, rows, width, 3),
      douts(dout, rows, width, 4);
  const std::vector<double> zeros(rows * width);
  padded_matrix outs(zeros, rows, width, 5), dqs(zeros, rows, width, 2), dks(zeros, rows, width, 3),
      dvs(zeros, rows, width, 1);
  backend::attention_forward(qs.view(), ks.view(), vs.view(), batch, heads, 0.7, probs_views.data(),
                             outs.view());
  backend::attention_backward(qs.view(), ks.view(), vs.view(), probs_views.data(), douts.view(),
                              batch, heads, 0.7, scratch.data(), dqs.view(), dks.view(),
                              dvs.view());
  CHECK(probs_views == probs);
  for (auto* m : {&outs, &dqs, &dks, &dvs}) CHECK(m->padding_untouched());
  CHECK(outs.packed() == out);
  CHECK(dqs.packed() == dq);
  CHECK(dks.packed() == dk);
  CHECK(dvs.packed() == dv);
}

TEST_CASE("tokens on strided views: patches, assembly from a prefix of the position embedding") {
  const int batch = 2, channels = 2, image_size = 4, patch_size = 2, patches = 4;
  const int tokens = patches + 1, e = 3, super_e = 5,
            patch_dim = channels * patch_size * patch_size;
  const auto images = random_vector(batch * channels * image_size * image_size, 12);
  std::vector<double> patch_rows(batch * patches * patch_dim);
  backend::image_to_patches(images.data(), batch, channels, image_size, patch_size,
                            packed_view(patch_rows, batch * patches, patch_dim));
  padded_matrix patch_rows_padded(std::vector<double>(patch_rows.size()), batch * patches,
                                  patch_dim);
  backend::image_to_patches(images.data(), batch, channels, image_size, patch_size,
                            patch_rows_padded.view());
  CHECK(patch_rows_padded.packed() == patch_rows);
  CHECK(patch_rows_padded.padding_untouched());
  // Patch (py, px) = (0, 1) of sample 1, channel 1, row ky = 1, column kx = 0.
  CHECK(patch_rows[(1 * patches + 1) * patch_dim + 1 * 4 + 1 * 2 + 0] ==
        images[((1 * channels + 1) * image_size + 1) * image_size + 2]);

  auto patch_out = random_vector(batch * patches * e, 13);
  auto pos = random_vector(tokens * super_e, 14);
  const auto cls = random_vector(e, 15);
  const auto pos_prefix = make_matrix_view(pos.data(), tokens, super_e).prefix(tokens, e);
  std::vector<double> x(batch * tokens * e);
  backend::assemble_tokens(packed_view(patch_out, batch * patches, e), cls.data(), pos_prefix,
                           batch, packed_view(x, batch * tokens, e));
  CHECK(x[0] == cls[0] + pos[0]);
  CHECK(x[(tokens + 2) * e + 1] == patch_out[(patches + 1) * e + 1] + pos[2 * super_e + 1]);
  padded_matrix patch_out_padded(patch_out, batch * patches, e),
      x_padded(std::vector<double>(x.size()), batch * tokens, e, 2);
  backend::assemble_tokens(patch_out_padded.view(), cls.data(), pos_prefix, batch, x_padded.view());
  CHECK(x_padded.packed() == x);
  CHECK(x_padded.padding_untouched());

  // Backward: dpos accumulates into the prefix only; d_patch_out is written.
  const auto dx = random_vector(x.size(), 16);
  std::vector<double> dpos(tokens * super_e, sentinel), dcls(e, 0.0);
  for (int t = 0; t < tokens; ++t)
    for (int c = 0; c < e; ++c) dpos[static_cast<std::size_t>(t * super_e + c)] = 0.0;
  padded_matrix d_patch_out(std::vector<double>(patch_out.size()), batch * patches, e);
  backend::assemble_tokens_backward(
      padded_matrix(dx, batch * tokens, e).view(), batch, d_patch_out.view(), dcls.data(),
      make_matrix_view(dpos.data(), tokens, super_e).prefix(tokens, e));
  CHECK(d_patch_out.padding_untouched());
  CHECK(d_patch_out.packed()[(patches + 2) * e + 1] == dx[(tokens + 3) * e + 1]);
  CHECK(dcls[1] == dx[1] + dx[tokens * e + 1]);
  for (int t = 0; t < tokens; ++t)
    for (int c = 0; c < super_e; ++c) {
      const auto at = static_cast<std::size_t>(t * super_e + c);
      if (c >= e) {
        CHECK(dpos[at] == sentinel);
      } else {
        CHECK(dpos[at] == dx[static_cast<std::size_t>(t * e + c)] +
                              dx[static_cast<std::size_t>((tokens + t) * e + c)]);
      }
    }
}

TEST_CASE("residuals on strided views, one scale per sample") {
  const int batch = 2, per_sample = 3, cols = 4, rows = batch * per_sample;
  const auto x = random_vector(rows * cols, 17), y = random_vector(rows * cols, 18);
  const std::vector<double> keep = {0.0, 1.25};
  auto x_packed = x, y_packed = y;
  backend::add_scaled_residual(packed_view(x_packed, rows, cols), packed_view(y_packed, rows, cols),
                               keep.data(), batch);
  CHECK(x_packed[0] == x[0]);
  CHECK(x_packed[per_sample * cols] == x[per_sample * cols] + 1.25 * y[per_sample * cols]);
  padded_matrix xs(x, rows, cols), ys(y, rows, cols, 2);
  backend::add_scaled_residual(xs.view(), ys.view(), keep.data(), batch);
  CHECK(xs.packed() == x_packed);
  CHECK(xs.padding_untouched());

  std::vector<double> dy_packed(rows * cols);
  backend::scale_per_sample(packed_view(y_packed, rows, cols), keep.data(), batch,
                            packed_view(dy_packed, rows, cols));
  padded_matrix dys(std::vector<double>(rows * cols, 9.0), rows, cols, 1);
  backend::scale_per_sample(ys.view(), keep.data(), batch, dys.view());
  CHECK(dys.packed() == dy_packed);
  CHECK(dys.padding_untouched());
  CHECK(dy_packed[0] == 0.0);
}

TEST_CASE("losses on strided views") {
  const int rows = 3, classes = 4;
  const auto logits = random_vector(rows * classes, 19, 2.0);
  std::vector<double> targets(rows * classes);
  ovo::smoothed_one_hot<double>(std::vector<int>{1, 0, 3}, classes, 0.1, targets);
  auto logits_packed = logits;
  std::vector<double> grad(rows * classes), probs(rows * classes);
  const ovo::soft_target_loss<double> how{.temperature = 1.5, .weight = 0.5};
  double loss = 0, strided = 1, no_gradient = 2;
  backend::soft_cross_entropy(packed_view(logits_packed, rows, classes),
                              packed_view(targets, rows, classes), how,
                              packed_view(grad, rows, classes), &loss);
  backend::softmax(packed_view(logits_packed, rows, classes), 1.5,
                   packed_view(probs, rows, classes));
  padded_matrix ls(logits, rows, classes), ts(targets, rows, classes, 2),
      gs(std::vector<double>(rows * classes), rows, classes, 1),
      ps(std::vector<double>(rows * classes), rows, classes, 4);
  backend::soft_cross_entropy(ls.view(), ts.view(), how, gs.view(), &strided);
  backend::soft_cross_entropy(ls.view(), ts.view(), how, {}, &no_gradient);
  CHECK(strided == loss);
  CHECK(no_gradient == loss);
  backend::softmax(ls.view(), 1.5, ps.view());
  CHECK(gs.packed() == grad);
  CHECK(ps.packed() == probs);
  CHECK(gs.padding_untouched());
  CHECK(ps.padding_untouched());
}

TEST_CASE("the CPU's current context is one per thread") {
  CHECK(&backend::current_context() == &backend::current_context());
}
