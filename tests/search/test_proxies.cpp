// The training-free proxies against values computed by hand on a two-layer linear supernet, their
// pure parts (NASWOT's log-determinant, nuclear norms, TVT's attention maps and resize, rank
// fusion), and every proxy on a tiny ViT and a tiny EMO supernet with a ResNet teacher.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"

namespace {

using v = std::vector<double>;

// z = W2[:, :w] (W1[:w, :] x): a supernet of one elastic hidden width w <= 2 between 2 inputs (a
// 1 x 2 image of one channel) and 2 classes, no bias, no activation. W1 is named as a ViT's
// attention projection and W2 as an MLP layer, so that DSS sees one tensor of each kind.
struct hidden_width {
  int width = 2;
};

class two_layer_net {
 public:
  using backend = ovo::cpu<double>;
  using arch_type = hidden_width;

  explicit two_layer_net(int max_batch = 1) : max_batch_(max_batch) {
    w1_ = params_.add("blocks.0.attn.proj.weight", {2, 2}, true, ovo::parameter_init::ones);
    w2_ = params_.add("blocks.0.mlp.fc1.weight", {2, 2}, true, ovo::parameter_init::ones);
    params_.allocate();
    buffers_.allocate();
  }

  const double* forward(const ovo::image_batch<double>& images, const hidden_width& a,
                        ovo::forward_mode) {
    batch_ = images.batch;
    width_ = a.width;
    x_.assign(images.data, images.data + 2 * batch_);
    hidden_.assign(2 * static_cast<std::size_t>(batch_), 0.0);
    logits_.assign(2 * static_cast<std::size_t>(batch_), 0.0);
    const double *w1 = params_.value(w1_), *w2 = params_.value(w2_);
    for (int b = 0; b < batch_; ++b) {
      for (int j = 0; j < width_; ++j)
        hidden_[b * 2 + j] = w1[j * 2] * x_[b * 2] + w1[j * 2 + 1] * x_[b * 2 + 1];
      for (int k = 0; k < 2; ++k)
        for (int j = 0; j < width_; ++j) logits_[b * 2 + k] += w2[k * 2 + j] * hidden_[b * 2 + j];
    }
    return logits_.data();
  }
  void backward(const double* dlogits) {
    const double* w2 = params_.value(w2_);
    double *dw1 = params_.grad(w1_), *dw2 = params_.grad(w2_);
    for (int b = 0; b < batch_; ++b)
      for (int j = 0; j < width_; ++j) {
        double dh = 0;
        for (int k = 0; k < 2; ++k) {
          dw2[k * 2 + j] += dlogits[b * 2 + k] * hidden_[b * 2 + j];
          dh += dlogits[b * 2 + k] * w2[k * 2 + j];
        }
        for (int i = 0; i < 2; ++i) dw1[j * 2 + i] += dh * x_[b * 2 + i];
      }
  }

  ovo::parameter_store<backend>& parameters() { return params_; }
  const ovo::parameter_store<backend>& parameters() const { return params_; }
  ovo::parameter_store<backend>& buffers() { return buffers_; }
  const ovo::parameter_store<backend>& buffers() const { return buffers_; }
  void initialize(ovo::rng_engine& rng) { params_.initialize(rng); }
  std::vector<ovo::subnet_tensor> subnet_tensors(const hidden_width& a) const {
    return {{"blocks.0.attn.proj.weight", {a.width, 2}, w1_, ovo::prefix_block(a.width, 2, 2)},
            {"blocks.0.mlp.fc1.weight", {2, a.width}, w2_, ovo::prefix_block(2, a.width, 2)}};
  }
  ovo::text_fields subnet_description(const hidden_width& a) const {
    return {{"width", std::to_string(a.width)}};
  }
  static std::pair<two_layer_net, hidden_width> standalone(const ovo::text_fields& fields,
                                                           const ovo::tensor_shapes&,
                                                           int max_batch) {
    return {two_layer_net(max_batch), {std::stoi(ovo::required_field(fields, "width"))}};
  }
  std::vector<ovo::identity_field> identity() const { return {}; }
  int max_batch() const { return max_batch_; }
  int classes() const { return 2; }
  ovo::image_geometry input() const { return {1, 1, 2}; }

 private:
  int max_batch_, batch_ = 0, width_ = 0;
  ovo::parameter_store<backend> params_, buffers_;
  ovo::parameter_ref w1_, w2_;
  std::vector<double> x_, hidden_, logits_;
};
static_assert(ovo::supernet<two_layer_net>);

// W1 = [[1, -2], [3, 0.5]] (hidden x input), W2 = [[-1, 2], [0.5, 1]] (classes x hidden).
two_layer_net hand_net() {
  two_layer_net net;
  const v weights{1, -2, 3, 0.5, -1, 2, 0.5, 1};
  std::copy(weights.begin(), weights.end(), net.parameters().values());
  return net;
}

// The values of a parameter store, as a host copy.
template <class Backend>
std::vector<typename Backend::scalar> values_of(const ovo::parameter_store<Backend>& store) {
  return {store.values(), store.values() + store.size()};
}

// Whether the store holds `values` bit for bit.
template <class Backend>
bool same_values(const ovo::parameter_store<Backend>& store,
                 const std::vector<typename Backend::scalar>& values) {
  return std::equal(values.begin(), values.end(), store.values());
}

// Whether every gradient of the store is `g`.
template <class Backend>
bool all_grads_are(const ovo::parameter_store<Backend>& store, typename Backend::scalar g) {
  return std::all_of(store.grads(), store.grads() + store.size(), [&](auto x) { return x == g; });
}

// Whether a gradient proxy left the store as it should: the weights bit for bit, the gradients
// zeroed.
template <class Backend>
bool restored(const ovo::parameter_store<Backend>& store,
              const std::vector<typename Backend::scalar>& values) {
  return same_values(store, values) && all_grads_are(store, typename Backend::scalar(0));
}

}  // namespace

TEST_CASE("synflow and DSS of a two-layer linear net, by hand") {
  auto net = hand_net();
  const auto values = values_of(net.parameters());
  // Width 1: |W1[0, :]| = [1, 2], |W2[:, 0]| = [1, 0.5], x = [1, 1]. h = 1 + 2 = 3, z = [3, 1.5],
  // R = 4.5. dR/dW2[k, 0] = h = 3: sum |W2| * 3 = 4.5. dR/dW1[0, i] = (1 + 0.5) * x_i = 1.5:
  // sum |W1| * 1.5 = 4.5. Synflow = 9 (= 2 R, as for any bias-free two-layer linear net).
  CHECK(ovo::synflow_score(net, hidden_width{1}) == doctest::Approx(9.0));
  // Width 2: h = [1 + 2, 3 + 0.5] = [3, 3.5], z = [3 + 7, 1.5 + 3.5] = [10, 5], R = 15: 30.
  CHECK(ovo::synflow_score(net, hidden_width{2}) == doctest::Approx(30.0));
  CHECK(restored(net.parameters(), values));
  // DSS, width 1: W1 (attention) is the 1 x 2 row [1, 2], its gradient [1.5, 1.5]: nuclear norms
  // are the vectors' lengths, sqrt(5) * 1.5 sqrt(2) = 1.5 sqrt(10); W2 (MLP) adds its saliency
  // 4.5 (as in synflow).
  CHECK(ovo::dss_score(net, hidden_width{1}) == doctest::Approx(1.5 * std::sqrt(10.0) + 4.5));
  // Width 2: |W1| = [[1, 2], [3, 0.5]]; a 2 x 2 matrix's nuclear norm is sqrt(||A||_F^2 +
  // 2 |det A|) = sqrt(14.25 + 2 * 5.5) = sqrt(25.25). dR/dW1[j, i] = (sum_k |W2[k, j]|) x_i =
  // [[1.5, 1.5], [3, 3]], rank one: ||[1.5, 3]|| * ||[1, 1]|| = sqrt(22.5). W2's saliency:
  // sum_kj |W2[k, j]| h_j = R = 15.
  CHECK(ovo::dss_score(net, hidden_width{2}) == doctest::Approx(std::sqrt(25.25 * 22.5) + 15.0));
  CHECK(restored(net.parameters(), values));
  // The weights' norms, width 1: ||[1, -2]|| + ||[-1, 0.5]|| = sqrt(5) + sqrt(1.25).
  CHECK(ovo::weight_norm_score(net, hidden_width{1}) ==
        doctest::Approx(std::sqrt(5.0) + std::sqrt(1.25)));
}

TEST_CASE("SNIP and the gradient norm of a two-layer linear net, by hand") {
  auto net = hand_net();
  const auto values = values_of(net.parameters());
  // Width 1, x = [1, 2], label 0: h = 1 - 4 = -3, z = [-1 * -3, 0.5 * -3] = [3, -1.5].
  // dL/dz = softmax(z) - [1, 0] = [-p, p], p = 1 / (1 + e^4.5).
  // dL/dW2[:, 0] = dz * h = [3p, -3p]: |W2 * g| = 3p + 1.5p = 4.5p.
  // dL/dh = -p * -1 + p * 0.5 = 1.5p; dL/dW1[0, :] = 1.5p * x = [1.5p, 3p]: |W1 * g| = 1.5p + 6p.
  // SNIP = 12p; the gradient norm is p sqrt(9 + 9 + 2.25 + 9).
  const v image{1, 2}, target{1, 0};
  const ovo::labelled_images<double> batch{{image.data(), 1, 1, 1, 2}, target.data()};
  const double p = 1.0 / (1.0 + std::exp(4.5));
  CHECK(ovo::snip_score(net, hidden_width{1}, batch) == doctest::Approx(12 * p).epsilon(1e-12));
  CHECK(restored(net.parameters(), values));
  std::fill(net.parameters().grads(), net.parameters().grads() + 8, 7.0);  // stale gradients
  CHECK(ovo::grad_norm_score(net, hidden_width{1}, batch) ==
        doctest::Approx(p * std::sqrt(29.25)).epsilon(1e-12));
  CHECK(restored(net.parameters(), values));
}

TEST_CASE("NASWOT: the log-determinant of the Hamming kernel of fixed codes") {
  // [1,0,1] and [1,1,0] agree on 1 bit of 3: K = [[3, 1], [1, 3]], det 8.
  Eigen::MatrixXd codes(2, 3);
  codes << 1, 0, 1, 1, 1, 0;
  CHECK(ovo::naswot_log_determinant(codes) == doctest::Approx(std::log(8.0)));
  // With [0,0,0], which agrees with each on 1 bit: K = 2 I + J (J all ones), det = 3(9 - 1) -
  // (3 - 1) + (1 - 3) = 20.
  Eigen::MatrixXd three(3, 3);
  three << 1, 0, 1, 1, 1, 0, 0, 0, 0;
  CHECK(ovo::naswot_log_determinant(three) == doctest::Approx(std::log(20.0)));
  // Two images of one code: K is singular.
  Eigen::MatrixXd twins(2, 3);
  twins << 1, 0, 1, 1, 0, 1;
  CHECK(ovo::naswot_log_determinant(twins) == -std::numeric_limits<double>::infinity());
  Eigen::MatrixXd half(1, 2);
  half << 1, 0.5;
  CHECK_THROWS_WITH_AS(ovo::naswot_log_determinant(half),
                       "naswot_log_determinant: code (0, 1) is 0.5, expected 0 or 1",
                       std::invalid_argument);
  CHECK_THROWS_AS(ovo::naswot_log_determinant(Eigen::MatrixXd(0, 3)), std::invalid_argument);
}

TEST_CASE("DSS: nuclear norms of 2 x 2 matrices and which tensors feed which term") {
  // [[1, 1], [0, 1]]: A^T A = [[1, 1], [1, 2]], eigenvalues (3 +- sqrt 5) / 2, singular values
  // (sqrt 5 +- 1) / 2, sum sqrt 5. [[3, 0], [4, 5]]: singular values sqrt 45 and sqrt 5, sum
  // 4 sqrt 5. diag(2, -3): 5.
  Eigen::MatrixXd a(2, 2), b(2, 2);
  a << 1, 1, 0, 1;
  b << 3, 0, 4, 5;
  CHECK(ovo::nuclear_norm(a) == doctest::Approx(std::sqrt(5.0)));
  CHECK(ovo::nuclear_norm(b) == doctest::Approx(4 * std::sqrt(5.0)));
  CHECK(ovo::nuclear_norm(Eigen::Vector2d(2, -3).asDiagonal().toDenseMatrix()) ==
        doctest::Approx(5.0));
  const auto term = [](std::string name, std::vector<std::int64_t> shape) {
    return ovo::dss_term_of({std::move(name), std::move(shape), {}, {}});
  };
  CHECK(term("blocks.3.attn.qkv.weight", {24, 8}) == ovo::dss_term::diversity);
  CHECK(term("blocks.3.attn.proj.weight", {8, 8}) == ovo::dss_term::diversity);
  CHECK(term("stage3.1.qk.conv.weight", {16, 8, 1, 1}) == ovo::dss_term::diversity);
  CHECK(term("blocks.3.mlp.fc2.weight", {8, 16}) == ovo::dss_term::saliency);
  CHECK(term("stage2.0.conv_local.conv.weight", {16, 1, 3, 3}) == ovo::dss_term::saliency);
  CHECK(term("stage0.1.proj.conv.weight", {4, 4, 1, 1}) == ovo::dss_term::saliency);
  CHECK(term("stage0.0.convs.0.0.weight", {4, 2, 3, 3}) == ovo::dss_term::none);
  CHECK(term("blocks.3.attn.qkv.bias", {24}) == ovo::dss_term::none);
  CHECK(term("blocks.3.norm1.weight", {8}) == ovo::dss_term::none);
  CHECK(term("patch_embed.proj.weight", {8, 2, 4, 4}) == ovo::dss_term::none);
  CHECK(term("head.weight", {5, 8}) == ovo::dss_term::none);
}

TEST_CASE("TVT: attention maps of a fixed feature map, the resize, the teacher-aware score") {
  // Channels [[1, 2], [3, 0]] and [[1, 0], [1, 2]]: mean of squares [[1, 2], [5, 2]]; its L2 norm
  // over the positions is sqrt(1 + 4 + 25 + 4) = sqrt(34).
  const ovo::host_feature_map f{1, 2, 2, 2, {1, 2, 3, 0, 1, 0, 1, 2}};
  const auto energy = ovo::channel_energy(f);
  CHECK(energy.values == v{1, 2, 5, 2});
  const auto at = ovo::attention_maps(energy, 2, 2);
  const double root = std::sqrt(34.0);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(at.values[i] == doctest::Approx(energy.values[i] / root));

  // 4 x 4 to 2 x 2: each output the mean of its 2 x 2 block.
  ovo::spatial_maps fine{1, 4, 4, {}};
  for (int i = 0; i < 16; ++i) fine.values.push_back(i);
  CHECK(ovo::resize_maps(fine, 2, 2).values == v{2.5, 4.5, 10.5, 12.5});
  // 3 x 3 to 2 x 2, bilinear: source coordinates (i + 0.5) * 1.5 - 0.5 = 0.25 and 1.75; the map
  // 3y + x is linear, so the output is 3y + x there: 1, 2.5, 5.5, 7.
  ovo::spatial_maps odd{1, 3, 3, {}};
  for (int i = 0; i < 9; ++i) odd.values.push_back(i);
  const auto bilinear = ovo::resize_maps(odd, 2, 2).values;
  const v expected{1, 2.5, 5.5, 7};
  for (std::size_t i = 0; i < 4; ++i) CHECK(bilinear[i] == doctest::Approx(expected[i]));
  // 2 x 2 to 3 x 3: source coordinates -1/6 (clamped to 0), 0.5 and 7/6 (the last row or column
  // twice): 2y + x becomes rows [0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3].
  const ovo::spatial_maps coarse{1, 2, 2, {0, 1, 2, 3}};
  const auto up = ovo::resize_maps(coarse, 3, 3).values;
  const v expected_up{0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3};
  for (std::size_t i = 0; i < 9; ++i) CHECK(up[i] == doctest::Approx(expected_up[i]));

  // A teacher on a 4 x 4 grid whose 2 x 2 blocks all average 3: AT_t = 1/2 everywhere, and
  // sum (AT_s - 1/2)^2 = sum AT_s^2 - sum AT_s + 1 = 2 - 10 / sqrt(34): the score is minus its
  // mean over the 4 positions.
  ovo::spatial_maps teacher{1, 4, 4, {}};
  for (int i = 0; i < 16; ++i) teacher.values.push_back(i % 2 == 0 ? 2.0 : 4.0);
  CHECK(ovo::teacher_aware_score(energy, teacher) ==
        doctest::Approx(-(2 - 10 / root) / 4).epsilon(1e-12));
  CHECK(ovo::teacher_aware_score(teacher, teacher) == 0.0);
  CHECK_THROWS_AS(ovo::teacher_aware_score(energy, ovo::spatial_maps{2, 2, 2, v(8, 1.0)}),
                  std::invalid_argument);
}

TEST_CASE("rank fusion: rank-sum with ties, weighted sum and product of min-max scores") {
  // a = {3, 1, 3, 2}: ranks {3.5, 1, 3.5, 2}; b = {10, 20, 20, 5}: ranks {2, 3.5, 3.5, 1}.
  const std::vector<v> scorings{{3, 1, 3, 2}, {10, 20, 20, 5}};
  CHECK(ovo::fuse_scores(scorings) == v{5.5, 4.5, 7, 3});
  // Min-max: a -> {1, 0, 1, 0.5}, b -> {1/3, 1, 1, 0}.
  const auto weighted = ovo::fuse_scores(scorings, ovo::fusion_rule::weighted_sum, v{2, 1});
  const v expected_weighted{2 + 1.0 / 3, 1, 3, 1};
  for (std::size_t i = 0; i < 4; ++i) CHECK(weighted[i] == doctest::Approx(expected_weighted[i]));
  const auto product = ovo::fuse_scores(scorings, ovo::fusion_rule::product);
  const v expected_product{1.0 / 3, 0, 1, 0};
  for (std::size_t i = 0; i < 4; ++i) CHECK(product[i] == doctest::Approx(expected_product[i]));
  // A constant scoring normalises to 1 everywhere: it changes no product.
  CHECK(ovo::fuse_scores(std::vector<v>{{4, 4}, {1, 3}}, ovo::fusion_rule::product) == v{0, 1});
  // Rank-sum takes infinite scores (NASWOT's singular kernels) as the extremes.
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(ovo::fuse_scores(std::vector<v>{{-inf, 0, 1}}) == v{1, 2, 3});

  CHECK(ovo::parse_fusion_rule("weighted-sum") == ovo::fusion_rule::weighted_sum);
  for (const auto rule :
       {ovo::fusion_rule::rank_sum, ovo::fusion_rule::weighted_sum, ovo::fusion_rule::product})
    CHECK(ovo::parse_fusion_rule(ovo::to_string(rule)) == rule);
  CHECK_THROWS_WITH_AS(ovo::parse_fusion_rule("max"),
                       "fusion rule 'max': expected rank-sum, weighted-sum or product",
                       std::invalid_argument);
}

TEST_CASE("rank fusion: NaN, empty and mismatched input are refused, naming what was expected") {
  CHECK_THROWS_WITH_AS(ovo::fuse_scores(std::vector<v>{}),
                       "fuse_scores: no scorings, expected at least one", std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::fuse_scores(std::vector<v>{{}}),
                       "fuse_scores: no candidates, expected at least one", std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      ovo::fuse_scores(std::vector<v>{{1, 2, 3}, {1, 2}}),
      "fuse_scores: scoring 1 has 2 scores, expected 3 (one per candidate, as scoring 0)",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(ovo::fuse_scores(std::vector<v>{{1, 2}, {std::nan(""), 2}}),
                       "fuse_scores: score 0 of scoring 1 is NaN, expected a number",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      ovo::fuse_scores(std::vector<v>{{1, -std::numeric_limits<double>::infinity()}},
                       ovo::fusion_rule::product),
      "fuse_scores: score 1 of scoring 0 is -inf, expected a finite number for product",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      ovo::fuse_scores(std::vector<v>{{1, 2}, {2, 1}}, ovo::fusion_rule::weighted_sum, v{1}),
      "fuse_scores: 1 weights for 2 scorings, expected one per scoring", std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      ovo::fuse_scores(std::vector<v>{{1, 2}}, ovo::fusion_rule::rank_sum, v{1}),
      "fuse_scores: 1 weights for rank-sum, expected none (only weighted-sum takes weights)",
      std::invalid_argument);
}

TEST_CASE("proxy kinds: names both ways; an unknown name lists the valid ones") {
  for (const auto kind : ovo::all_proxy_kinds)
    CHECK(ovo::parse_proxy_kind(ovo::to_string(kind)) == kind);
  CHECK(ovo::parse_proxy_kind("grad-norm") == ovo::proxy_kind::grad_norm);
  CHECK_THROWS_WITH_AS(ovo::parse_proxy_kind("zen"),
                       "proxy 'zen': expected tvt, dss, synflow, naswot, snip, grad-norm, "
                       "l2-norm, params or macs",
                       std::invalid_argument);
}

namespace {

// Every proxy of `scorer` on the two archs: finite and different between them. The weights are
// left bit for bit; the gradient proxies zero the gradients, the others do not touch them.
template <class Space, class Net>
void check_every_proxy(Net& net, ovo::proxy_scorer<Space, Net>& scorer,
                       const std::vector<ovo::space_arch<Space>>& archs) {
  using Backend = typename Net::backend;
  using T = ovo::scalar_of<Net>;
  auto& store = net.parameters();
  const auto values = values_of(store);
  for (const auto kind : ovo::all_proxy_kinds) {
    if (kind == ovo::proxy_kind::tvt) continue;
    CAPTURE(ovo::to_string(kind));
    const bool gradient_proxy = kind == ovo::proxy_kind::dss || kind == ovo::proxy_kind::synflow ||
                                kind == ovo::proxy_kind::snip || kind == ovo::proxy_kind::grad_norm;
    v scores;
    for (const auto& a : archs) {
      Backend::fill(store.grads(), store.size(), T(1));  // stale gradients
      scores.push_back(scorer.score(a, kind));
      CHECK(std::isfinite(scores.back()));
      CHECK(same_values(store, values));
      CHECK(all_grads_are(store, gradient_proxy ? T(0) : T(1)));
    }
    CHECK(scores[0] != scores[1]);
    CHECK(scorer.scores(archs, kind) == scores);
  }
  v teacher_aware, capability;
  for (const auto& a : archs) {
    const auto s = scorer.tvt(a);
    CHECK(std::isfinite(s.teacher_aware));
    CHECK(s.teacher_aware <= 0);
    CHECK(s.capability == doctest::Approx(scorer.score(a, ovo::proxy_kind::l2_norm)));
    teacher_aware.push_back(s.teacher_aware);
    capability.push_back(s.capability);
  }
  CHECK(teacher_aware[0] != teacher_aware[1]);
  CHECK(scorer.scores(archs, ovo::proxy_kind::tvt) ==
        ovo::fuse_scores(std::vector<v>{teacher_aware, capability}));
  CHECK(same_values(store, values));
  CHECK_THROWS_AS(scorer.score(archs[0], ovo::proxy_kind::tvt), std::invalid_argument);
}

}  // namespace

TEST_CASE("every proxy on a tiny ViT with a ResNet teacher on the same images") {
  using space = ovo::test::tiny_space;
  using backend = ovo::cpu<float>;
  ovo::vit_supernet<backend> net(space::shape(), 4);
  ovo::rng_engine rng(21);
  net.initialize(rng);
  ovo::resnet<backend> teacher({.depth = 8, .classes = 5, .channels = 2, .height = 8, .width = 8},
                               4);
  teacher.initialize(rng);
  const auto pixels = ovo::test::random_vector(4 * 2 * 8 * 8, 22);
  const std::vector<float> images(pixels.begin(), pixels.end());
  const std::vector<int> labels{0, 3, 1, 4};
  ovo::proxy_scorer<space, ovo::vit_supernet<backend>> scorer(net, {images.data(), 4, 2, 8, 8},
                                                              labels);
  CHECK_THROWS_AS(scorer.tvt(space::smallest()), std::logic_error);
  scorer.set_teacher(teacher, teacher.arch());
  check_every_proxy(net, scorer, {space::smallest(), space::largest()});
  CHECK_THROWS_WITH_AS((ovo::proxy_scorer<space, ovo::vit_supernet<backend>>(
                           net, {images.data(), 4, 2, 8, 8}, std::vector<int>{0, 1})),
                       "proxy_scorer: 2 labels for 4 images, expected one per image",
                       std::invalid_argument);
}

TEST_CASE("every proxy on a tiny EMO supernet, soft targets, a teacher on a finer grid") {
  // The teacher's last stage is 10 x 10 at 40 px, the student's 2 x 2: TVT pools the teacher's
  // map by 5 x 5 blocks.
  using space = ovo::test::tiny_emo_space;
  using backend = ovo::cpu<float>;
  using net_type = ovo::emo_supernet<backend>;
  net_type net(space::geometry, space::largest(), 3);
  ovo::rng_engine rng(31);
  net.initialize(rng);
  ovo::resnet<backend> teacher({.depth = 8, .classes = 3, .channels = 2, .height = 40, .width = 40},
                               3);
  teacher.initialize(rng);
  const auto pixels = ovo::test::random_vector(3 * 2 * 40 * 40, 32);
  const std::vector<float> images(pixels.begin(), pixels.end());
  const std::vector<float> targets{0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f};
  ovo::proxy_scorer<space, net_type> scorer(net, {images.data(), 3, 2, 40, 40}, targets);
  scorer.set_teacher(teacher, teacher.arch());
  CHECK(ovo::features_to_host<backend>(teacher.last_features()).height == 10);
  check_every_proxy(net, scorer, {space::smallest(), space::largest()});
}
