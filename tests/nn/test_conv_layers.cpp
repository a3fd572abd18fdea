// The convolutional layers and ops on elastic channel prefixes, and the ResNet basic block built
// from them: values by hand, gradients by central finite differences in double precision, nothing
// written outside the active slice.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "finite_differences.hpp"

namespace {

using backend = ovo::cpu<double>;
using ovo::make_matrix_view;
using ovo::test::check_against_finite_differences;
using ovo::test::dot;
using ovo::test::random_vector;

// A channels-last image batch of `channels` active channels in rows of `ld` values.
struct image_rows {
  int rows, channels, ld;
  std::vector<double> values;

  image_rows(int rows_, int channels_, int ld_, std::uint64_t seed)
      : rows(rows_), channels(channels_), ld(ld_), values(random_vector(rows_ * ld_, seed)) {}
  ovo::matrix_view<double> view() { return make_matrix_view(values.data(), rows, channels, ld); }
  ovo::matrix_view<const double> cview() const {
    return make_matrix_view(values.data(), rows, channels, ld);
  }
  double at(int r, int c) const { return values[static_cast<std::size_t>(r) * ld + c]; }
};

// The values of a gradient of x laid out as x is (ld and all), 0 outside its active channels.
std::vector<double> in_layout_of(const image_rows& grad, const image_rows& x) {
  std::vector<double> out(x.values.size(), 0.0);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.channels; ++c)
      out[static_cast<std::size_t>(r) * x.ld + c] = grad.at(r, c);
  return out;
}

// Whether the columns of m beyond its active channels still hold the values it was made with.
bool padding_untouched(const image_rows& m, std::uint64_t seed) {
  const auto original = random_vector(m.values.size(), seed);
  for (int r = 0; r < m.rows; ++r)
    for (int c = m.channels; c < m.ld; ++c)
      if (m.at(r, c) != original[static_cast<std::size_t>(r) * m.ld + c]) return false;
  return true;
}

// The input value under tap (ky, kx) of output pixel (b, oy, ox) and channel c, 0 in the padding.
double input_at(const image_rows& x, const ovo::conv_geometry& g, int b, int oy, int ox, int ky,
                int kx, int c) {
  const int iy = oy * g.stride - g.padding + ky, ix = ox * g.stride - g.padding + kx;
  if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) return 0;
  return x.at((b * g.height + iy) * g.width + ix, c);
}

// The gradients minus the sentinels they started from; every element outside `active` (flat
// indices into the store) must still hold its sentinel.
std::vector<double> added_gradients(const ovo::parameter_store<backend>& params,
                                    const std::vector<double>& sentinel,
                                    const std::vector<bool>& active) {
  std::vector<double> added(params.size());
  std::size_t touched_outside = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    added[i] = params.grads()[i] - sentinel[i];
    if (!active[i]) touched_outside += params.grads()[i] != sentinel[i];
  }
  CHECK(touched_outside == 0);
  return added;
}

// Marks the rows x cols prefix of a tensor stored [.., row_length] at `offset` as active.
void mark_prefix(std::vector<bool>& active, std::size_t offset, int rows, int cols,
                 int row_length) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      active[offset + static_cast<std::size_t>(r) * row_length + c] = true;
}

}  // namespace

TEST_CASE("conv2d on channel prefixes: values by hand, stride and padding, every gradient") {
  struct kernel_case {
    int kernel, stride, padding;
  };
  for (const auto [kernel, stride, padding] :
       {kernel_case{3, 1, 1}, kernel_case{3, 2, 1}, kernel_case{2, 2, 0}, kernel_case{1, 1, 0}}) {
    CAPTURE(kernel);
    CAPTURE(stride);
    const int in_super = 4, out_super = 5, in = 3, out = 2, taps = kernel * kernel;
    const ovo::conv_geometry g{2, 5, 4, kernel, stride, padding};
    ovo::parameter_store<backend> params;
    ovo::workspace<backend> ws;
    const ovo::conv2d<backend> conv(params, ws, "conv", out_super, in_super, g, true);
    params.allocate();
    ws.allocate();
    auto values = random_vector(params.size(), 20 + kernel + stride);
    std::copy(values.begin(), values.end(), params.values());
    image_rows x(g.in_rows(), in, in_super + 1, 21);
    auto dir = random_vector(g.out_rows() * out, 22);
    std::vector<double> y(g.out_rows() * out);
    auto loss = [&] {
      conv.forward(params, ws, x.cview(), g, make_matrix_view(y.data(), g.out_rows(), out));
      return dot(y.data(), dir.data(), y.size());
    };
    loss();
    // By hand: y[b, oy, ox, o] = b[o] + sum over c, ky, kx of W[o, c, ky, kx] x[b, iy, ix, c].
    const double* w = params.value(conv.weight);
    const double* bias = params.value(conv.bias);
    for (int b = 0; b < g.batch; ++b)
      for (int oy = 0; oy < g.out_height(); ++oy)
        for (int ox = 0; ox < g.out_width(); ++ox)
          for (int o = 0; o < out; ++o) {
            double expected = bias[o];
            for (int c = 0; c < in; ++c)
              for (int ky = 0; ky < kernel; ++ky)
                for (int kx = 0; kx < kernel; ++kx)
                  expected += w[((o * in_super + c) * kernel + ky) * kernel + kx] *
                              input_at(x, g, b, oy, ox, ky, kx, c);
            const int row = (b * g.out_height() + oy) * g.out_width() + ox;
            CHECK(y[row * out + o] == doctest::Approx(expected).epsilon(1e-12));
          }

    const auto sentinel = random_vector(params.size(), 23);
    std::copy(sentinel.begin(), sentinel.end(), params.grads());
    image_rows dx(g.in_rows(), in, in_super + 2, 24);
    conv.backward(params, ws, make_matrix_view<const double>(dir.data(), g.out_rows(), out),
                  x.cview(), g, dx.view());
    CHECK(padding_untouched(dx, 24));
    const auto dx_packed = in_layout_of(dx, x);
    check_against_finite_differences(x.values.data(), x.values.size(), dx_packed.data(), loss,
                                     "dx");

    std::vector<bool> active(params.size(), false);
    mark_prefix(active, conv.weight.offset, out, in * taps, in_super * taps);
    mark_prefix(active, conv.bias.offset, 1, out, out_super);
    const auto added = added_gradients(params, sentinel, active);
    check_against_finite_differences(params.values(), params.size(), added.data(), loss, "dparams");
  }
}

TEST_CASE("a 1x1 convolution is the linear layer on channels-last rows") {
  const int in_super = 6, out_super = 5, in = 4, out = 3;
  const ovo::conv_geometry g{2, 3, 3, 1, 1, 0};
  ovo::parameter_store<backend> params;
  ovo::workspace<backend> ws;
  const ovo::conv2d<backend> conv(params, ws, "conv", out_super, in_super, g, true);
  params.allocate();
  ws.allocate();
  auto values = random_vector(params.size(), 30);
  std::copy(values.begin(), values.end(), params.values());
  image_rows x(g.in_rows(), in, in_super, 31);
  std::vector<double> by_conv(g.out_rows() * out), by_linear(g.out_rows() * out);
  conv.forward(params, ws, x.cview(), g, make_matrix_view(by_conv.data(), g.out_rows(), out));
  ovo::linear_forward<backend>(
      x.cview(),
      make_matrix_view<const double>(params.value(conv.weight), out_super, in_super)
          .prefix(out, in),
      params.value(conv.bias), make_matrix_view(by_linear.data(), g.in_rows(), out));
  for (std::size_t i = 0; i < by_conv.size(); ++i)
    CHECK(by_conv[i] == doctest::Approx(by_linear[i]).epsilon(1e-14));
}

TEST_CASE("depthwise conv, kernels 3 and 5, strides 1 and 2: values by hand and gradients") {
  for (const int kernel : {3, 5})
    for (const int stride : {1, 2}) {
      CAPTURE(kernel);
      CAPTURE(stride);
      const int channels_super = 5, channels = 3, taps = kernel * kernel;
      ovo::parameter_store<backend> params;
      const ovo::depthwise_conv<backend> conv(params, "dw", channels_super, kernel, stride, true);
      params.allocate();
      const auto g = conv.geometry(2, 5, 6);
      CHECK(g.padding == kernel / 2);
      CHECK(g.out_height() == (stride == 1 ? 5 : 3));
      auto values = random_vector(params.size(), 40 + kernel + stride);
      std::copy(values.begin(), values.end(), params.values());
      image_rows x(g.in_rows(), channels, channels_super + 1, 41);
      auto dir = random_vector(g.out_rows() * channels, 42);
      std::vector<double> y(g.out_rows() * channels);
      auto loss = [&] {
        conv.forward(params, x.cview(), g, make_matrix_view(y.data(), g.out_rows(), channels));
        return dot(y.data(), dir.data(), y.size());
      };
      loss();
      const double* w = params.value(conv.weight);
      const double* bias = params.value(conv.bias);
      for (int b = 0; b < g.batch; ++b)
        for (int oy = 0; oy < g.out_height(); ++oy)
          for (int ox = 0; ox < g.out_width(); ++ox)
            for (int c = 0; c < channels; ++c) {
              double expected = bias[c];
              for (int ky = 0; ky < kernel; ++ky)
                for (int kx = 0; kx < kernel; ++kx)
                  expected += w[c * taps + ky * kernel + kx] * input_at(x, g, b, oy, ox, ky, kx, c);
              const int row = (b * g.out_height() + oy) * g.out_width() + ox;
              CHECK(y[row * channels + c] == doctest::Approx(expected).epsilon(1e-12));
            }

      const auto sentinel = random_vector(params.size(), 43);
      std::copy(sentinel.begin(), sentinel.end(), params.grads());
      image_rows dx(g.in_rows(), channels, channels_super + 2, 44);
      conv.backward(params, make_matrix_view<const double>(dir.data(), g.out_rows(), channels),
                    x.cview(), g, dx.view());
      CHECK(padding_untouched(dx, 44));
      const auto dx_packed = in_layout_of(dx, x);
      check_against_finite_differences(x.values.data(), x.values.size(), dx_packed.data(), loss,
                                       "dx");
      std::vector<bool> active(params.size(), false);
      mark_prefix(active, conv.weight.offset, channels, taps, taps);
      mark_prefix(active, conv.bias.offset, 1, channels, channels_super);
      const auto added = added_gradients(params, sentinel, active);
      check_against_finite_differences(params.values(), params.size(), added.data(), loss,
                                       "dparams");
    }
}

TEST_CASE("batch norm 2d: running statistics by hand after three training passes, eval on them") {
  const int channels_super = 5, channels = 3, rows = 2 * 3 * 2;
  ovo::parameter_store<backend> params, buffers;
  ovo::workspace<backend> ws;
  const ovo::batch_norm2d<backend> norm(params, buffers, ws, "bn", channels_super);
  params.allocate();
  buffers.allocate();
  ws.allocate();
  ovo::rng_engine rng(0);
  buffers.initialize(rng);  // running mean 0, running variance 1
  auto values = random_vector(params.size(), 50);
  std::copy(values.begin(), values.end(), params.values());
  const double* gamma = params.value(norm.gamma);
  const double* beta = params.value(norm.beta);
  std::vector<double> y(rows * channels);
  const auto y_view = make_matrix_view(y.data(), rows, channels);

  // Three training passes on different batches; the running statistics by hand.
  std::vector<double> running_mean(channels, 0.0), running_var(channels, 1.0);
  for (int pass = 0; pass < 3; ++pass) {
    image_rows x(rows, channels, channels_super, 51 + pass);
    norm.forward(params, buffers, ws, x.cview(), ovo::forward_mode::train(rng), y_view);
    for (int c = 0; c < channels; ++c) {
      double mean = 0, squares = 0;
      for (int r = 0; r < rows; ++r) mean += x.at(r, c) / rows;
      for (int r = 0; r < rows; ++r) squares += (x.at(r, c) - mean) * (x.at(r, c) - mean);
      for (int r = 0; r < rows; ++r)
        CHECK(y[r * channels + c] ==
              doctest::Approx((x.at(r, c) - mean) / std::sqrt(squares / rows + 1e-5) * gamma[c] +
                              beta[c])
                  .epsilon(1e-12));
      running_mean[c] = 0.9 * running_mean[c] + 0.1 * mean;
      running_var[c] = 0.9 * running_var[c] + 0.1 * squares / (rows - 1);
    }
  }
  const double* stored_mean = buffers.value(norm.running_mean);
  const double* stored_var = buffers.value(norm.running_var);
  for (int c = 0; c < channels_super; ++c) {
    CAPTURE(c);
    CHECK(stored_mean[c] == doctest::Approx(c < channels ? running_mean[c] : 0.0).epsilon(1e-12));
    CHECK(stored_var[c] == doctest::Approx(c < channels ? running_var[c] : 1.0).epsilon(1e-12));
  }

  // Eval normalises with the running statistics and leaves them as they are.
  image_rows x(rows, channels, channels_super + 1, 60);
  const std::vector<double> before_eval(buffers.values(), buffers.values() + buffers.size());
  norm.forward(params, buffers, ws, x.cview(), ovo::forward_mode::eval(), y_view);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < channels; ++c)
      CHECK(y[r * channels + c] == doctest::Approx((x.at(r, c) - running_mean[c]) /
                                                       std::sqrt(running_var[c] + 1e-5) * gamma[c] +
                                                   beta[c])
                                       .epsilon(1e-12));
  CHECK(std::equal(before_eval.begin(), before_eval.end(), buffers.values()));
}

TEST_CASE("batch norm 2d: calibration passes make the running statistics the batches' means") {
  const int channels_super = 4, channels = 3, rows = 2 * 2 * 3;
  ovo::parameter_store<backend> params, buffers;
  ovo::workspace<backend> ws;
  const ovo::batch_norm2d<backend> norm(params, buffers, ws, "bn", channels_super);
  params.allocate();
  buffers.allocate();
  ws.allocate();
  ovo::rng_engine rng(0);
  params.initialize(rng);
  // Statistics left by training: calibration must not depend on them.
  const auto stale = random_vector(buffers.size(), 80);
  std::copy(stale.begin(), stale.end(), buffers.values());
  std::vector<double> y(rows * channels);
  std::vector<double> mean_of_means(channels, 0.0), mean_of_vars(channels, 0.0);
  const int passes = 4;
  for (int pass = 0; pass < passes; ++pass) {
    image_rows x(rows, channels, channels_super, 81 + pass);
    norm.forward(params, buffers, ws, x.cview(), ovo::forward_mode::calibration(pass),
                 make_matrix_view(y.data(), rows, channels));
    for (int c = 0; c < channels; ++c) {
      double mean = 0, squares = 0;
      for (int r = 0; r < rows; ++r) mean += x.at(r, c) / rows;
      for (int r = 0; r < rows; ++r) squares += (x.at(r, c) - mean) * (x.at(r, c) - mean);
      mean_of_means[c] += mean / passes;
      mean_of_vars[c] += squares / (rows - 1) / passes;
    }
  }
  for (int c = 0; c < channels_super; ++c) {
    CAPTURE(c);
    const double mean = buffers.value(norm.running_mean)[c];
    const double var = buffers.value(norm.running_var)[c];
    if (c < channels) {
      CHECK(mean == doctest::Approx(mean_of_means[c]).epsilon(1e-12));
      CHECK(var == doctest::Approx(mean_of_vars[c]).epsilon(1e-12));
    } else {  // outside the prefix: untouched
      CHECK(mean == stale[norm.running_mean.offset + c]);
      CHECK(var == stale[norm.running_var.offset + c]);
    }
  }
  CHECK_THROWS_AS(ovo::forward_mode::calibration(-1), std::invalid_argument);
}

TEST_CASE("batch norm 2d gradients in training and eval mode, on a channel prefix") {
  const int channels_super = 5, channels = 3, rows = 2 * 2 * 3;
  ovo::parameter_store<backend> params, buffers;
  ovo::workspace<backend> ws;
  const ovo::batch_norm2d<backend> norm(params, buffers, ws, "bn", channels_super);
  params.allocate();
  buffers.allocate();
  ws.allocate();
  auto values = random_vector(params.size(), 70);
  std::copy(values.begin(), values.end(), params.values());
  auto running = random_vector(buffers.size(), 71, 0.5);
  for (std::size_t i = 0; i < running.size(); ++i)
    if (i >= norm.running_var.offset) running[i] = 0.5 + running[i] * running[i];
  std::copy(running.begin(), running.end(), buffers.values());
  for (const bool training : {true, false}) {
    CAPTURE(training);
    image_rows x(rows, channels, channels_super + 1, 72);
    auto dir = random_vector(rows * channels, 73);
    std::vector<double> y(rows * channels);
    ovo::rng_engine rng(0);
    auto loss = [&] {
      norm.forward(params, buffers, ws, x.cview(),
                   training ? ovo::forward_mode::train(rng) : ovo::forward_mode::eval(),
                   make_matrix_view(y.data(), rows, channels));
      return dot(y.data(), dir.data(), y.size());
    };
    loss();
    const auto sentinel = random_vector(params.size(), 74);
    std::copy(sentinel.begin(), sentinel.end(), params.grads());
    image_rows dx(rows, channels, channels_super + 1, 75);
    norm.backward(params, buffers, ws, make_matrix_view<const double>(dir.data(), rows, channels),
                  x.cview(), training, dx.view());
    CHECK(padding_untouched(dx, 75));
    const auto dx_packed = in_layout_of(dx, x);
    check_against_finite_differences(x.values.data(), x.values.size(), dx_packed.data(), loss,
                                     "dx");
    std::vector<bool> active(params.size(), false);
    mark_prefix(active, norm.gamma.offset, 1, channels, channels_super);
    mark_prefix(active, norm.beta.offset, 1, channels, channels_super);
    const auto added = added_gradients(params, sentinel, active);
    check_against_finite_differences(params.values(), params.size(), added.data(), loss, "dparams");
  }
}

TEST_CASE("ReLU and SiLU: values and gradients") {
  auto x = random_vector(40000, 80, 3.0);  // more than one parallel chunk
  auto dir = random_vector(x.size(), 81);
  std::vector<double> y(x.size()), dx(x.size());
  backend::relu_forward(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); i += 997) CHECK(y[i] == (x[i] > 0 ? x[i] : 0.0));
  backend::silu_forward(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); i += 997)
    CHECK(y[i] == doctest::Approx(x[i] / (1 + std::exp(-x[i]))).epsilon(1e-14));
  auto relu_loss = [&] {
    backend::relu_forward(x.data(), y.data(), x.size());
    return dot(y.data(), dir.data(), y.size());
  };
  backend::relu_backward(x.data(), dir.data(), dx.data(), x.size());
  check_against_finite_differences(x.data(), 300, dx.data(), relu_loss, "relu dx");
  auto silu_loss = [&] {
    backend::silu_forward(x.data(), y.data(), x.size());
    return dot(y.data(), dir.data(), y.size());
  };
  backend::silu_backward(x.data(), dir.data(), dx.data(), x.size());
  check_against_finite_differences(x.data(), 300, dx.data(), silu_loss, "silu dx");
}

TEST_CASE("global average pooling of a channel prefix, and its backward") {
  const int batch = 3, pixels = 4, channels = 3, ld = 5;
  image_rows x(batch * pixels, channels, ld, 90);
  auto dir = random_vector(batch * channels, 91);
  std::vector<double> y(batch * channels);
  auto loss = [&] {
    backend::global_average_pool(x.cview(), batch, make_matrix_view(y.data(), batch, channels));
    return dot(y.data(), dir.data(), y.size());
  };
  loss();
  for (int b = 0; b < batch; ++b)
    for (int c = 0; c < channels; ++c) {
      double mean = 0;
      for (int p = 0; p < pixels; ++p) mean += x.at(b * pixels + p, c) / pixels;
      CHECK(y[b * channels + c] == doctest::Approx(mean).epsilon(1e-14));
    }
  image_rows dx(batch * pixels, channels, ld + 1, 92);
  backend::global_average_pool_backward(make_matrix_view<const double>(dir.data(), batch, channels),
                                        batch, dx.view());
  CHECK(padding_untouched(dx, 92));
  const auto dx_packed = in_layout_of(dx, x);
  check_against_finite_differences(x.values.data(), x.values.size(), dx_packed.data(), loss, "dx");
}

TEST_CASE("basic block, identity and projection shortcut, training and eval: every gradient") {
  struct block_case {
    int in, out, stride;
  };
  for (const auto& [in, out, stride] : {block_case{3, 3, 1}, block_case{3, 4, 2}})
    for (const bool training : {true, false}) {
      CAPTURE(out);
      CAPTURE(training);
      const int batch = 2, height = 6, width = 5;
      using block_type = ovo::basic_block<backend>;
      ovo::parameter_store<backend> params, buffers;
      ovo::workspace<backend> ws;
      const auto columns =
          ws.reserve(block_type::column_values(in, out, stride, batch, height, width));
      const block_type block(params, buffers, ws, columns, "layer2.0", in, out, stride, batch,
                             height, width);
      CHECK(block.projection == (out != in));
      const auto first = ws.reserve(block.scratch_values(batch)),
                 second = ws.reserve(block.scratch_values(batch)), ones = ws.reserve(batch);
      params.allocate();
      buffers.allocate();
      ws.allocate();
      std::fill(ws[ones], ws[ones] + batch, 1.0);
      const block_type::scratch s{ws[first], ws[second], ws[ones]};
      auto values = random_vector(params.size(), 100 + out, 0.5);
      std::copy(values.begin(), values.end(), params.values());
      auto running = random_vector(buffers.size(), 101, 0.5);
      for (const auto& e : buffers.entries())  // positive running variances
        if (e.name.ends_with("running_var"))
          for (std::size_t i = e.offset; i < e.offset + e.size; ++i)
            running[i] = 0.5 + running[i] * running[i];
      std::copy(running.begin(), running.end(), buffers.values());

      image_rows x(batch * height * width, in, in + 1, 102);
      const int out_rows = batch * block.out_height * block.out_width;
      CHECK(block.out_height == (stride == 1 ? height : 3));
      const auto dir = random_vector(out_rows * out, 103);
      ovo::rng_engine rng(0);
      auto loss = [&] {
        block.forward(params, buffers, ws, x.cview(), batch,
                      training ? ovo::forward_mode::train(rng) : ovo::forward_mode::eval(), s);
        return dot(block.output(ws, batch).data, dir.data(), dir.size());
      };
      loss();
      const auto sentinel = random_vector(params.size(), 104);
      std::copy(sentinel.begin(), sentinel.end(), params.grads());
      auto d_out = dir;
      image_rows dx(x.rows, in, in + 2, 105);
      block.backward(params, buffers, ws, x.cview(), batch, training,
                     make_matrix_view(d_out.data(), out_rows, out), dx.view(), s);
      CHECK(padding_untouched(dx, 105));
      const auto dx_packed = in_layout_of(dx, x);
      check_against_finite_differences(x.values.data(), x.values.size(), dx_packed.data(), loss,
                                       "dx");
      const auto added = added_gradients(params, sentinel, std::vector<bool>(params.size(), true));
      check_against_finite_differences(params.values(), params.size(), added.data(), loss,
                                       "dparams");
    }
}

TEST_CASE("NCHW images to channels-last rows, non-square") {
  const int batch = 2, channels = 3, height = 2, width = 4;
  const auto images = random_vector(batch * channels * height * width, 110);
  image_rows rows(batch * height * width, channels, channels + 1, 111);
  backend::images_to_channels_last(images.data(), batch, channels, height, width, rows.view());
  CHECK(padding_untouched(rows, 111));
  for (int b = 0; b < batch; ++b)
    for (int c = 0; c < channels; ++c)
      for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
          CHECK(rows.at((b * height + y) * width + x, c) ==
                images[((b * channels + c) * height + y) * width + x]);
}
