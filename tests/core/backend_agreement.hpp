// Every op of the back-end contract run on a back end under test and on the CPU back end from the
// same random inputs, the results compared: the Thrust back end's tests on OpenMP and on CUDA.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ovo/backend/cpu.hpp>
#include <ovo/util/random.hpp>

namespace ovo::test {

// A host array and its copy in B's memory, both rows x ld (the columns past `cols` a margin that
// no op may write), filled with the same random values. The CPU back end works on `host`, B on
// `device`; agree() compares them, margins included.
template <class B>
struct mirrored {
  using T = typename B::scalar;
  int rows = 0, cols = 0, ld = 0;
  std::vector<T> host;
  typename B::template buffer<T> device;

  mirrored(int rows_, int cols_, int ld_, std::uint64_t seed, double scale = 1.0)
      : rows(rows_), cols(cols_), ld(ld_), host(size()), device(size()) {
    rng_engine rng(seed);
    for (auto& x : host) x = T(scale * standard_normal(rng));
    B::copy_from_host(std::span<const T>(host), device.data());
  }
  // A flat vector of n values.
  mirrored(std::size_t n, std::uint64_t seed, double scale = 1.0)
      : mirrored(1, static_cast<int>(n), static_cast<int>(n), seed, scale) {}

  std::size_t size() const { return static_cast<std::size_t>(rows) * static_cast<std::size_t>(ld); }
  matrix_view<T> cpu() { return {host.data(), rows, cols, ld}; }
  matrix_view<T> dev() { return {device.data(), rows, cols, ld}; }
  std::vector<T> fetched() const {
    std::vector<T> out(size());
    B::copy_to_host(device.data(), std::span<T>(out));
    return out;
  }
  // Sets both copies to v's values.
  void set(const std::vector<T>& v) {
    host = v;
    B::copy_from_host(std::span<const T>(host), device.data());
  }
};

// The largest relative difference agree() has found since reset, per scalar type.
template <class T>
double& worst_difference() {
  static double worst = 0;
  return worst;
}

// Runs check() and reports the largest relative difference of its comparisons.
template <class B, class Check>
void check_and_report(Check check) {
  using T = typename B::scalar;
  worst_difference<T>() = 0;
  check();
  const std::string scalar = sizeof(T) == 4 ? "float" : "double";
  MESSAGE(scalar, ": largest relative difference from the CPU back end ", worst_difference<T>());
}

// max |B's - CPU's| over max(|CPU's|, 1e-3): below 1e-4 in float, 1e-10 in double.
template <class B>
void agree(const mirrored<B>& m, const char* what) {
  using T = typename B::scalar;
  const auto got = m.fetched();
  double diff = 0, norm = 1e-3;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, std::abs(double(got[i]) - double(m.host[i])));
    norm = std::max(norm, std::abs(double(m.host[i])));
  }
  const double tolerance = sizeof(T) == 4 ? 1e-4 : 1e-10;
  INFO(what, ": ", m.rows, "x", m.cols, " ld ", m.ld);
  CHECK(diff / norm < tolerance);
  worst_difference<T>() = std::max(worst_difference<T>(), diff / norm);
}

// The shapes the op tests run on: odd sizes, a single row, ld past the width.
struct shape {
  int rows, cols, ld;
};
inline const std::vector<shape> shapes = {
    {1, 1, 1}, {1, 7, 9}, {5, 3, 3}, {13, 17, 20}, {64, 33, 40}};

template <class B>
void check_memory_and_products() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  for (const auto& s : shapes) {
    mirrored<B> src(s.rows, s.cols, s.ld, 1), dst(s.rows, s.cols, s.ld + 2, 2);
    cpu_b::copy(matrix_view<const T>(src.cpu()), dst.cpu());
    B::copy(matrix_view<const T>(src.dev()), dst.dev());
    agree(dst, "copy(view)");
    mirrored<B> flat(static_cast<std::size_t>(s.rows * s.ld + 3), 3);
    cpu_b::fill(flat.host.data(), flat.host.size() - 3, T(0.25));
    B::fill(flat.device.data(), flat.host.size() - 3, T(0.25));
    cpu_b::copy(src.host.data(), std::size_t(s.cols), flat.host.data() + 1);
    B::copy(src.device.data(), std::size_t(s.cols), flat.device.data() + 1);
    agree(flat, "fill, copy");
    // An upload from a host buffer that does not wait, then the read that does: past the
    // uploaded values the destination keeps its own.
    typename B::template host_buffer<T> staged(std::size_t(s.cols));
    for (int c = 0; c < s.cols; ++c) staged[std::size_t(c)] = T(0.5) * T(c) - T(3);
    const std::span<const T> uploaded(staged.data(), staged.size());
    cpu_b::copy_from_host_async(uploaded, flat.host.data() + 2);
    B::copy_from_host_async(uploaded, flat.device.data() + 2);
    agree(flat, "copy_from_host_async");
    CHECK(flat.host[2 + std::size_t(s.cols) - 1] == staged[std::size_t(s.cols) - 1]);

    mirrored<B> bias(std::size_t(s.cols), 4), db(std::size_t(s.cols), 5);
    cpu_b::add_bias(dst.cpu(), bias.host.data());
    B::add_bias(dst.dev(), bias.device.data());
    agree(dst, "add_bias");
    cpu_b::accumulate_bias_grad(src.cpu(), db.host.data());
    B::accumulate_bias_grad(src.dev(), db.device.data());
    agree(db, "accumulate_bias_grad");
  }
  // Every transpose, beta 0 and 1, lds past the widths, k of 1.
  const int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {16, 9, 1}, {33, 20, 17}};
  for (const auto& mnk : sizes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (const T beta : {T(0), T(1)}) {
          const int m = mnk[0], n = mnk[1], k = mnk[2];
          const int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
          mirrored<B> a(ar, ac, ac + 1, 10), b(br, bc, bc + 3, 11), c(m, n, n + 2, 12);
          cpu_b::gemm(ta, tb, T(0.5), a.cpu(), b.cpu(), beta, c.cpu());
          B::gemm(ta, tb, T(0.5), a.dev(), b.dev(), beta, c.dev());
          agree(c, "gemm");
        }
}

template <class B>
void check_normalisation_and_activations() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  for (const auto& s : shapes) {
    mirrored<B> x(s.rows, s.cols, s.ld, 20), y(s.rows, s.cols, s.ld + 1, 21),
        dy(s.rows, s.cols, s.ld, 22), dx(s.rows, s.cols, s.ld + 2, 23);
    mirrored<B> gamma(std::size_t(s.cols), 24), beta(std::size_t(s.cols), 25),
        mean(std::size_t(s.rows), 26), rstd(std::size_t(s.rows), 27),
        dgamma(std::size_t(s.cols), 28), dbeta(std::size_t(s.cols), 29);
    cpu_b::layer_norm_forward(x.cpu(), gamma.host.data(), beta.host.data(), T(1e-5), y.cpu(),
                              mean.host.data(), rstd.host.data());
    B::layer_norm_forward(x.dev(), gamma.device.data(), beta.device.data(), T(1e-5), y.dev(),
                          mean.device.data(), rstd.device.data());
    agree(y, "layer_norm_forward y");
    agree(mean, "layer_norm_forward mean");
    agree(rstd, "layer_norm_forward rstd");
    for (const bool accumulate : {false, true}) {
      cpu_b::layer_norm_backward(dy.cpu(), x.cpu(), gamma.host.data(), mean.host.data(),
                                 rstd.host.data(), dx.cpu(), accumulate, dgamma.host.data(),
                                 dbeta.host.data());
      B::layer_norm_backward(dy.dev(), x.dev(), gamma.device.data(), mean.device.data(),
                             rstd.device.data(), dx.dev(), accumulate, dgamma.device.data(),
                             dbeta.device.data());
      agree(dx, "layer_norm_backward dx");
      agree(dgamma, "layer_norm_backward dgamma");
      agree(dbeta, "layer_norm_backward dbeta");
    }
  }
  using unary = void (*)(const T*, T*, std::size_t);
  using gradient = void (*)(const T*, const T*, T*, std::size_t);
  const struct {
    const char* name;
    unary cpu_forward, forward;
    gradient cpu_backward, backward;
  } activations[] = {
      {"gelu", cpu_b::gelu_forward, B::gelu_forward, cpu_b::gelu_backward, B::gelu_backward},
      {"relu", cpu_b::relu_forward, B::relu_forward, cpu_b::relu_backward, B::relu_backward},
      {"silu", cpu_b::silu_forward, B::silu_forward, cpu_b::silu_backward, B::silu_backward},
      {"sigmoid", cpu_b::sigmoid_forward, B::sigmoid_forward, cpu_b::sigmoid_backward,
       B::sigmoid_backward},
  };
  for (const auto& f : activations)
    for (const std::size_t n : {std::size_t(1), std::size_t(999), std::size_t(40000)}) {
      mirrored<B> x(n, 30, 3.0), y(n + 1, 31), dy(n, 32);
      f.cpu_forward(x.host.data(), y.host.data(), n);
      f.forward(x.device.data(), y.device.data(), n);
      agree(y, f.name);
      f.cpu_backward(x.host.data(), dy.host.data(), dy.host.data(), n);  // in place
      f.backward(x.device.data(), dy.device.data(), dy.device.data(), n);
      agree(dy, f.name);
    }
}

// 1x1, 3x3 and 5x5 kernels, strides 1 and 2, padding, odd maps, batches of 1 and 3.
inline const std::vector<conv_geometry> conv_geometries = {
    {.batch = 1, .height = 1, .width = 1, .kernel = 1, .stride = 1, .padding = 0},
    {.batch = 3, .height = 5, .width = 7, .kernel = 3, .stride = 1, .padding = 1},
    {.batch = 2, .height = 9, .width = 6, .kernel = 3, .stride = 2, .padding = 1},
    {.batch = 1, .height = 8, .width = 8, .kernel = 5, .stride = 2, .padding = 2},
    {.batch = 2, .height = 6, .width = 5, .kernel = 1, .stride = 2, .padding = 0},
};

template <class B>
void check_convolutions() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  for (const auto& g : conv_geometries)
    for (const int channels : {1, 5}) {
      INFO("batch ", g.batch, " map ", g.height, "x", g.width, " kernel ", g.kernel, " stride ",
           g.stride, " channels ", channels);
      const int taps = g.taps(), in = g.in_rows(), out = g.out_rows();
      mirrored<B> images(std::size_t(in * channels), 40), rows(in, channels, channels + 1, 41);
      cpu_b::images_to_channels_last(images.host.data(), g.batch, channels, g.height, g.width,
                                     rows.cpu());
      B::images_to_channels_last(images.device.data(), g.batch, channels, g.height, g.width,
                                 rows.dev());
      agree(rows, "images_to_channels_last");
      mirrored<B> columns(out, channels * taps, channels * taps + 3, 42);
      cpu_b::im2col(rows.cpu(), g, columns.cpu());
      B::im2col(rows.dev(), g, columns.dev());
      agree(columns, "im2col");
      mirrored<B> dx(in, channels, channels + 2, 43);
      cpu_b::col2im(columns.cpu(), g, dx.cpu());
      B::col2im(columns.dev(), g, dx.dev());
      agree(dx, "col2im");
      mirrored<B> w(channels, taps, taps + 1, 44), y(out, channels, channels + 1, 45),
          dy(out, channels, channels, 46), dw(channels, taps, taps + 2, 47);
      cpu_b::depthwise_conv_forward(rows.cpu(), w.cpu(), g, y.cpu());
      B::depthwise_conv_forward(rows.dev(), w.dev(), g, y.dev());
      agree(y, "depthwise_conv_forward");
      cpu_b::depthwise_conv_backward(dy.cpu(), rows.cpu(), w.cpu(), g, dx.cpu(), dw.cpu());
      B::depthwise_conv_backward(dy.dev(), rows.dev(), w.dev(), g, dx.dev(), dw.dev());
      agree(dx, "depthwise_conv_backward dx");
      agree(dw, "depthwise_conv_backward dw");
    }
}

template <class B>
void check_batch_norm_pooling_scaling() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  for (const int batch : {1, 3})
    for (const int pixels : {2, 9})
      for (const int channels : {1, 6}) {
        const int rows = batch * pixels;
        INFO("batch ", batch, " pixels ", pixels, " channels ", channels);
        mirrored<B> x(rows, channels, channels + 1, 50), y(rows, channels, channels + 2, 51),
            dy(rows, channels, channels, 52), dx(rows, channels, channels + 1, 53);
        const auto c = std::size_t(channels);
        mirrored<B> gamma(c, 54), beta(c, 55), mean(c, 56), rstd(c, 57), running_mean(c, 58),
            running_var(c, 59), dgamma(c, 60), dbeta(c, 61);
        for (auto& v : running_var.host) v = std::abs(v) + T(0.5);
        running_var.set(running_var.host);
        cpu_b::batch_norm_training_forward(x.cpu(), gamma.host.data(), beta.host.data(), T(1e-5),
                                           T(0.1), y.cpu(), mean.host.data(), rstd.host.data(),
                                           running_mean.host.data(), running_var.host.data());
        B::batch_norm_training_forward(x.dev(), gamma.device.data(), beta.device.data(), T(1e-5),
                                       T(0.1), y.dev(), mean.device.data(), rstd.device.data(),
                                       running_mean.device.data(), running_var.device.data());
        for (const auto* m : {&y, &mean, &rstd, &running_mean, &running_var})
          agree(*m, "batch_norm_training_forward");
        cpu_b::batch_norm_training_backward(dy.cpu(), x.cpu(), gamma.host.data(), mean.host.data(),
                                            rstd.host.data(), dx.cpu(), dgamma.host.data(),
                                            dbeta.host.data());
        B::batch_norm_training_backward(dy.dev(), x.dev(), gamma.device.data(), mean.device.data(),
                                        rstd.device.data(), dx.dev(), dgamma.device.data(),
                                        dbeta.device.data());
        for (const auto* m : {&dx, &dgamma, &dbeta}) agree(*m, "batch_norm_training_backward");
        cpu_b::batch_norm_inference_forward(x.cpu(), gamma.host.data(), beta.host.data(),
                                            running_mean.host.data(), running_var.host.data(),
                                            T(1e-5), y.cpu());
        B::batch_norm_inference_forward(x.dev(), gamma.device.data(), beta.device.data(),
                                        running_mean.device.data(), running_var.device.data(),
                                        T(1e-5), y.dev());
        agree(y, "batch_norm_inference_forward");
        cpu_b::batch_norm_inference_backward(
            dy.cpu(), x.cpu(), gamma.host.data(), running_mean.host.data(), running_var.host.data(),
            T(1e-5), dx.cpu(), dgamma.host.data(), dbeta.host.data());
        B::batch_norm_inference_backward(dy.dev(), x.dev(), gamma.device.data(),
                                         running_mean.device.data(), running_var.device.data(),
                                         T(1e-5), dx.dev(), dgamma.device.data(),
                                         dbeta.device.data());
        for (const auto* m : {&dx, &dgamma, &dbeta}) agree(*m, "batch_norm_inference_backward");

        mirrored<B> pooled(batch, channels, channels + 1, 62);
        cpu_b::global_average_pool(x.cpu(), batch, pooled.cpu());
        B::global_average_pool(x.dev(), batch, pooled.dev());
        agree(pooled, "global_average_pool");
        for (const bool accumulate : {false, true}) {
          cpu_b::global_average_pool_backward(pooled.cpu(), batch, dx.cpu(), accumulate);
          B::global_average_pool_backward(pooled.dev(), batch, dx.dev(), accumulate);
          agree(dx, "global_average_pool_backward");
        }
        mirrored<B> dscale(batch, channels, channels + 2, 63);
        cpu_b::scale_channels(x.cpu(), pooled.cpu(), batch, y.cpu());
        B::scale_channels(x.dev(), pooled.dev(), batch, y.dev());
        agree(y, "scale_channels");
        cpu_b::scale_channels_backward(dy.cpu(), x.cpu(), pooled.cpu(), batch, dx.cpu(),
                                       dscale.cpu());
        B::scale_channels_backward(dy.dev(), x.dev(), pooled.dev(), batch, dx.dev(), dscale.dev());
        agree(dx, "scale_channels_backward dx");
        agree(dscale, "scale_channels_backward dscale");
      }
}

template <class B>
void check_windows_tokens_residuals() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  const window_geometry windows[] = {{.batch = 1, .height = 3, .width = 3, .window = 2},
                                     {.batch = 2, .height = 5, .width = 7, .window = 3},
                                     {.batch = 2, .height = 4, .width = 4, .window = 0}};
  for (const auto& g : windows) {
    mirrored<B> x(g.pixel_rows(), 5, 6, 70), w(g.token_rows(), 5, 7, 71);
    cpu_b::window_partition(x.cpu(), g, w.cpu());
    B::window_partition(x.dev(), g, w.dev());
    agree(w, "window_partition");
    mirrored<B> back(g.pixel_rows(), 5, 8, 72);
    cpu_b::window_reverse(w.cpu(), g, back.cpu());
    B::window_reverse(w.dev(), g, back.dev());
    agree(back, "window_reverse");
  }
  for (const int batch : {1, 3}) {
    const int channels = 2, image = 8, patch = 4, count = 4, e = 6, tokens = count + 1;
    mirrored<B> images(std::size_t(batch * channels * image * image), 73);
    mirrored<B> patches(batch * count, channels * patch * patch, channels * patch * patch + 1, 74);
    cpu_b::image_to_patches(images.host.data(), batch, channels, image, patch, patches.cpu());
    B::image_to_patches(images.device.data(), batch, channels, image, patch, patches.dev());
    agree(patches, "image_to_patches");
    mirrored<B> patch_out(batch * count, e, e + 1, 75), cls(std::size_t(e), 76),
        pos(tokens, e, e + 2, 77), x(batch * tokens, e, e + 3, 78);
    cpu_b::assemble_tokens(patch_out.cpu(), cls.host.data(), pos.cpu(), batch, x.cpu());
    B::assemble_tokens(patch_out.dev(), cls.device.data(), pos.dev(), batch, x.dev());
    agree(x, "assemble_tokens");
    cpu_b::assemble_tokens_backward(x.cpu(), batch, patch_out.cpu(), cls.host.data(), pos.cpu());
    B::assemble_tokens_backward(x.dev(), batch, patch_out.dev(), cls.device.data(), pos.dev());
    for (const auto* m : {&patch_out, &cls, &pos}) agree(*m, "assemble_tokens_backward");

    mirrored<B> keep(std::size_t(batch), 79), y(batch * tokens, e, e, 80);
    cpu_b::add_to(y.cpu(), x.cpu());
    B::add_to(y.dev(), x.dev());
    agree(x, "add_to");
    cpu_b::add_scaled_residual(x.cpu(), y.cpu(), keep.host.data(), batch);
    B::add_scaled_residual(x.dev(), y.dev(), keep.device.data(), batch);
    agree(x, "add_scaled_residual");
    cpu_b::scale_per_sample(x.cpu(), keep.host.data(), batch, y.cpu());
    B::scale_per_sample(x.dev(), keep.device.data(), batch, y.dev());
    agree(y, "scale_per_sample");
  }
  // Drop-path's scales drawn where the values are, the same on both back ends: 0 or 1 / (1 -
  // rate), zero at the rate's frequency, another seed another draw.
  const double rate = 0.3;
  for (const std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(50000)}) {
    mirrored<B> keep(n, 81), other(n, 82);
    cpu_b::drop_path_scales(keep.host.data(), n, rate, 1234);
    B::drop_path_scales(keep.device.data(), n, rate, 1234);
    agree(keep, "drop_path_scales");
    cpu_b::drop_path_scales(other.host.data(), n, rate, 1235);
    const auto zeros = std::count(keep.host.begin(), keep.host.end(), T(0));
    CHECK(std::count(keep.host.begin(), keep.host.end(), T(1.0 / (1.0 - rate))) ==
          static_cast<std::ptrdiff_t>(n) - zeros);
    if (n == 50000) {
      CHECK(double(zeros) / double(n) == doctest::Approx(rate).epsilon(0.03));
      CHECK(keep.host != other.host);
    }
  }
}

template <class B>
void check_attention() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  const int cases[][4] = {{1, 1, 1, 4}, {3, 2, 5, 4}, {2, 3, 17, 8}, {1, 4, 6, 6}};
  for (const auto& c : cases) {
    const int batch = c[0], heads = c[1], tokens = c[2], width = heads * c[3],
              rows = batch * tokens;
    INFO("batch ", batch, " heads ", heads, " tokens ", tokens, " head_dim ", c[3]);
    // q, k, v as column blocks of one fused qkv matrix: ld three times the width.
    mirrored<B> qkv(rows, 3 * width, 3 * width + 1, 90), out(rows, width, width + 2, 91);
    const auto area = std::size_t(batch * heads * tokens * tokens);
    mirrored<B> probs(area, 92), scratch(area, 93), dout(rows, width, width, 94);
    mirrored<B> dq(rows, width, width + 1, 95), dk(rows, width, width, 96),
        dv(rows, width, width + 3, 97);
    const auto part = [&](matrix_view<T> m, int i) {
      return matrix_view<const T>(m.block(0, i * width, rows, width));
    };
    const T scale = T(1) / std::sqrt(T(c[3]));
    cpu_b::attention_forward(part(qkv.cpu(), 0), part(qkv.cpu(), 1), part(qkv.cpu(), 2), batch,
                             heads, scale, probs.host.data(), out.cpu());
    B::attention_forward(part(qkv.dev(), 0), part(qkv.dev(), 1), part(qkv.dev(), 2), batch, heads,
                         scale, probs.device.data(), out.dev());
    agree(probs, "attention_forward probs");
    agree(out, "attention_forward out");
    cpu_b::attention_backward(part(qkv.cpu(), 0), part(qkv.cpu(), 1), part(qkv.cpu(), 2),
                              probs.host.data(), dout.cpu(), batch, heads, scale,
                              scratch.host.data(), dq.cpu(), dk.cpu(), dv.cpu());
    B::attention_backward(part(qkv.dev(), 0), part(qkv.dev(), 1), part(qkv.dev(), 2),
                          probs.device.data(), dout.dev(), batch, heads, scale,
                          scratch.device.data(), dq.dev(), dk.dev(), dv.dev());
    for (const auto* m : {&dq, &dk, &dv}) agree(*m, "attention_backward");
  }
}

template <class B>
void check_losses_and_optimisers() {
  using T = typename B::scalar;
  using cpu_b = cpu<T>;
  for (const auto& s : shapes) {
    mirrored<B> logits(s.rows, s.cols, s.ld, 100, 3.0), target(s.rows, s.cols, s.ld + 1, 101),
        probs(s.rows, s.cols, s.ld + 2, 102), dlogits(s.rows, s.cols, s.ld, 103);
    // Targets: the probabilities of other logits, so that the KL below is not zero.
    cpu_b::softmax(probs.cpu(), T(2), target.cpu());
    B::softmax(probs.dev(), T(2), target.dev());
    agree(target, "softmax");
    // The mean loss in back-end memory (cross-entropy, then KL), the gradient written and added.
    mirrored<B> loss(1, 104);
    for (const bool relative : {false, true})
      for (const bool accumulate : {false, true}) {
        const soft_target_loss<T> how{
            .temperature = T(2), .weight = T(0.7), .relative = relative, .accumulate = accumulate};
        cpu_b::soft_cross_entropy(logits.cpu(), target.cpu(), how, dlogits.cpu(), loss.host.data());
        B::soft_cross_entropy(logits.dev(), target.dev(), how, dlogits.dev(), loss.device.data());
        agree(loss, relative ? "soft_cross_entropy (KL)" : "soft_cross_entropy");
        agree(dlogits, "soft_cross_entropy's gradient");
      }
    // The loss alone, and the gradient alone.
    cpu_b::soft_cross_entropy(logits.cpu(), target.cpu(), {}, matrix_view<T>{}, loss.host.data());
    B::soft_cross_entropy(logits.dev(), target.dev(), {}, matrix_view<T>{}, loss.device.data());
    agree(loss, "soft_cross_entropy without a gradient");
    cpu_b::soft_cross_entropy(logits.cpu(), target.cpu(), {}, dlogits.cpu(), nullptr);
    B::soft_cross_entropy(logits.dev(), target.dev(), {}, dlogits.dev(), nullptr);
    agree(dlogits, "soft_cross_entropy without a loss");
  }
  for (const std::size_t n : {std::size_t(1), std::size_t(777), std::size_t(50000)}) {
    mirrored<B> param(n, 110), grad(n, 111), m(n, 112), v(n, 113), buffer(n, 114);
    for (auto& x : v.host) x = std::abs(x);
    v.set(v.host);
    // Clipping by a norm that stays in back-end memory: above the limit, then below it.
    double sum_of_squares = 0;
    for (const T g : grad.host) sum_of_squares += static_cast<double>(g) * static_cast<double>(g);
    mirrored<B> total(1, 115);
    cpu_b::sum_of_squares_into(grad.host.data(), n, total.host.data());
    B::sum_of_squares_into(grad.device.data(), n, total.device.data());
    agree(total, "sum_of_squares_into");
    CHECK(static_cast<double>(total.host[0]) == doctest::Approx(sum_of_squares).epsilon(1e-6));
    const T norm = std::sqrt(total.host[0]);
    for (const T limit : {T(0.5) * norm, T(2) * norm}) {
      const auto before = grad.host;
      cpu_b::clip_to_norm(grad.host.data(), n, total.host.data(), limit);
      B::clip_to_norm(grad.device.data(), n, total.device.data(), limit);
      agree(grad, "clip_to_norm");
      CHECK(static_cast<double>(grad.host[0]) ==
            doctest::Approx(static_cast<double>(before[0]) *
                            std::min(1.0, static_cast<double>(limit) / (norm + 1e-6)))
                .epsilon(1e-5));
    }
    for (long step = 1; step <= 3; ++step) {
      cpu_b::adamw_update(param.host.data(), grad.host.data(), m.host.data(), v.host.data(), n,
                          1e-2, 0.9, 0.999, 1e-8, 0.05, step);
      B::adamw_update(param.device.data(), grad.device.data(), m.device.data(), v.device.data(), n,
                      1e-2, 0.9, 0.999, 1e-8, 0.05, step);
      for (const auto* x : {&param, &m, &v}) agree(*x, "adamw_update");
    }
    for (const bool nesterov : {false, true})
      for (const double momentum : {0.0, 0.9})
        for (const bool first : {true, false}) {
          cpu_b::sgd_update(param.host.data(), grad.host.data(), buffer.host.data(), n, 0.1,
                            momentum, 1e-4, nesterov, first);
          B::sgd_update(param.device.data(), grad.device.data(), buffer.device.data(), n, 0.1,
                        momentum, 1e-4, nesterov, first);
          agree(param, "sgd_update param");
          agree(buffer, "sgd_update buffer");
        }
  }
}

}  // namespace ovo::test
