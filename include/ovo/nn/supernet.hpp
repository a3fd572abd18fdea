// The supernet concept: what training, checkpoints, export and evaluation need of a network.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ovo/nn/parameters.hpp"
#include "ovo/util/random.hpp"

namespace ovo {

// A batch of NCHW images in the back end's memory.
template <class T>
struct image_batch {
  const T* data = nullptr;
  int batch = 0, channels = 0, height = 0, width = 0;
};

// The images a network takes: channels x height x width.
struct image_geometry {
  int channels = 0, height = 0, width = 0;
  std::size_t values() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
};

// How a forward pass runs: training (random choices such as drop-path drawn from an engine, batch
// statistics for batch norms, which move their running statistics), evaluation (deterministic,
// running statistics) or calibration (deterministic, batch statistics: pass `index` of a batch-norm
// recalibration makes every running statistic the mean over passes 0..index).
class forward_mode {
 public:
  static forward_mode train(rng_engine& rng) { return forward_mode(&rng, true, 0); }
  static forward_mode eval() { return forward_mode(nullptr, false, 0); }
  static forward_mode calibration(long index) {
    if (index < 0) throw std::invalid_argument("forward_mode::calibration: negative pass index");
    return forward_mode(nullptr, true, 1.0 / static_cast<double>(index + 1));
  }

  // Whether random training choices (drop-path) are drawn: a training pass.
  bool training() const { return rng_ != nullptr; }
  // Whether batch norms normalise with the batch's statistics: training and calibration.
  bool batch_statistics() const { return batch_statistics_; }
  // The momentum with which a pass on batch statistics moves the running statistics: the layer's
  // own (`layer_momentum`) in training, 1 / (index + 1) in calibration pass `index`.
  double running_momentum(double layer_momentum) const {
    return calibration_momentum_ > 0 ? calibration_momentum_ : layer_momentum;
  }
  // The engine of a training pass.
  rng_engine& rng() const {
    if (rng_ == nullptr) throw std::logic_error("forward_mode: only a training pass has an engine");
    return *rng_;
  }

 private:
  forward_mode(rng_engine* rng, bool batch_statistics, double calibration_momentum)
      : rng_(rng),
        batch_statistics_(batch_statistics),
        calibration_momentum_(calibration_momentum) {}
  rng_engine* rng_;
  bool batch_statistics_;
  double calibration_momentum_;
};

// A block of rows of one parameter, viewed as a matrix: rows `first + i * stride` (elements from
// the parameter's start) for i < rows, each of its first `cols` values.
struct row_block {
  std::ptrdiff_t first = 0, stride = 0;
  int rows = 0, cols = 0;
};

// The one block of a rows x cols prefix of a parameter whose rows hold `ld` values.
inline std::vector<row_block> prefix_block(int rows, int cols, int ld) {
  return {{0, ld, rows, cols}};
}

// One tensor of a subnet, as a standalone model names and shapes it, and where it lives in the
// supernet's parameters (or buffers): its values are the row blocks, in order, concatenated.
struct subnet_tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  parameter_ref parameter;
  std::vector<row_block> blocks;
  bool buffer = false;  // held in buffers(), not parameters()
};

// Text fields that describe a network (its identity in a checkpoint) or one standalone subnet.
using text_fields = std::map<std::string, std::string>;
// The shapes of the tensors a file holds, by name.
using tensor_shapes = std::map<std::string, std::vector<std::int64_t>>;

// The value of `key` in a file's text fields; throws std::invalid_argument "metadata field 'key'
// is missing" without it.
inline const std::string& required_field(const text_fields& fields, const std::string& key) {
  const auto it = fields.find(key);
  if (it == fields.end())
    throw std::invalid_argument(fmt::format("metadata field '{}' is missing", key));
  return it->second;
}

// Throws std::invalid_argument unless the file holds tensor `name` of shape `expected`, which
// `source` determines ("the shape's classes"): what a standalone network checks before it
// allocates.
inline void require_stored_shape(const tensor_shapes& stored, const std::string& name,
                                 const std::vector<std::int64_t>& expected,
                                 std::string_view source) {
  const auto it = stored.find(name);
  if (it == stored.end()) throw std::invalid_argument(fmt::format("tensor '{}' is missing", name));
  if (it->second != expected)
    throw std::invalid_argument(fmt::format("tensor '{}' has shape {}, but {} make it {}", name,
                                            it->second, source, expected));
}

// One field of a network's identity: a checkpoint of another network is refused, naming it.
struct identity_field {
  std::string key;          // the checkpoint's metadata key
  std::string description;  // what the field is, in the error: "supernet shape"
  std::string value;
};

// A weight-sharing network whose subnets (its archs) all run on one set of weights.
//   N::backend, N::arch_type          the back end (see backend/) and the genome of one subnet
//   net.forward(images, a, mode)      logits [images.batch, classes()] of subnet `a`, in back-end
//                                     memory, valid until the next forward; throws
//                                     std::invalid_argument on images of another geometry, a batch
//                                     above max_batch() or an arch the network cannot run
//   net.backward(dlogits)             from d(loss)/d(logits) of the last forward, accumulates into
//                                     parameters().grads(); dlogits is back-end memory
//   net.parameters()                  the trainable tensors: the optimiser and clipping see these
//   net.buffers()                     non-trainable tensors (batch-norm running statistics): saved
//                                     in checkpoints and exported, never optimised or clipped
//   net.initialize(rng)               every parameter and buffer to its initial value
//   net.subnet_tensors(a)             the tensors of `a` as a standalone model
//   net.subnet_description(a)         text fields naming `a` and its standalone shape
//   N::standalone(fields, shapes, b)  the network of exactly one subnet and that subnet's arch,
//   from
//                                     export's fields, checked against the stored tensor shapes
//                                     before anything is allocated; throws std::invalid_argument
//   net.identity()                    the fields a checkpoint must match to load into the network
//   net.max_batch(), net.classes(), net.input()
template <class N>
concept supernet = requires(N& net, const N& cnet, const typename N::arch_type& a,
                            const image_batch<typename N::backend::scalar>& images,
                            const typename N::backend::scalar* dlogits, forward_mode mode,
                            rng_engine& rng, const text_fields& fields, const tensor_shapes& shapes,
                            int max_batch) {
  typename N::backend;
  typename N::arch_type;
  { net.forward(images, a, mode) } -> std::same_as<const typename N::backend::scalar*>;
  net.backward(dlogits);
  { net.parameters() } -> std::same_as<parameter_store<typename N::backend>&>;
  { cnet.parameters() } -> std::same_as<const parameter_store<typename N::backend>&>;
  { net.buffers() } -> std::same_as<parameter_store<typename N::backend>&>;
  { cnet.buffers() } -> std::same_as<const parameter_store<typename N::backend>&>;
  net.initialize(rng);
  { cnet.subnet_tensors(a) } -> std::same_as<std::vector<subnet_tensor>>;
  { cnet.subnet_description(a) } -> std::same_as<text_fields>;
  { N::standalone(fields, shapes, max_batch) } -> std::same_as<std::pair<N, typename N::arch_type>>;
  { cnet.identity() } -> std::same_as<std::vector<identity_field>>;
  { cnet.max_batch() } -> std::same_as<int>;
  { cnet.classes() } -> std::same_as<int>;
  { cnet.input() } -> std::same_as<image_geometry>;
};

// The scalar and arch of a supernet.
template <supernet N>
using scalar_of = typename N::backend::scalar;
template <supernet N>
using arch_of = typename N::arch_type;

}  // namespace ovo
