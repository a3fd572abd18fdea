// The trainers: resumed supernet runs end with an uninterrupted run's weights (FocusFormer's
// sampler included), a budgeted run replays with its step count (supernet and classifier
// training); evaluation sets.
#include <doctest/doctest.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <ovo/ovo.hpp>

#include "../support.hpp"
#include "synthetic_loader.hpp"

namespace {

using ovo::test::tiny_space;

using ovo::test::synthetic_loader;

template <class Backend>
using trainer_for = ovo::supernet_trainer<tiny_space, ovo::vit_supernet<Backend>, synthetic_loader>;

// Data-parallel processes as threads of one test: gradients averaged through shared slots.
struct shared_slots {
  explicit shared_slots(int n) : size(n), barrier(n), slots(static_cast<std::size_t>(n)) {}
  int size;
  std::barrier<> barrier;
  std::vector<std::vector<double>> slots;
};

template <class T>
struct thread_group {
  shared_slots* shared = nullptr;
  int index = 0;

  int rank() const { return index; }
  int size() const { return shared->size; }
  void sum(std::span<double> values) {
    average(values.data(), values.size());
    for (double& v : values) v *= shared->size;
  }
  void average(T* values, std::size_t n) {
    shared->slots[static_cast<std::size_t>(index)].assign(values, values + n);
    shared->barrier.arrive_and_wait();
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (const auto& slot : shared->slots) sum += slot[i];
      values[i] = static_cast<T>(sum / shared->size);
    }
    shared->barrier.arrive_and_wait();  // every process has read the slots
  }
};

// The weights after training with `options`, stopped at each of `stops` in turn (each stop a new
// process' worth of objects, resuming); the history and step count of the last. With `teacher`,
// every step distils from it.
template <class Backend>
std::vector<typename Backend::scalar> weights_after(const ovo::trainer_options& options,
                                                    std::vector<long> stops,
                                                    std::vector<ovo::training_record>* history,
                                                    long* total_steps = nullptr,
                                                    ovo::resnet<Backend>* teacher = nullptr) {
  std::vector<typename Backend::scalar> out;
  for (long stop : stops) {  // each stop: a new process' worth of objects, resuming
    ovo::vit_supernet<Backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
    ovo::rng_engine init(1);
    net.initialize(init);
    synthetic_loader loader;
    trainer_for<Backend> trainer(net, loader, options);
    if (teacher) trainer.distill_from(*teacher);
    trainer.resume();
    trainer.train({}, stop);
    const auto& p = net.parameters();
    out.assign(p.values(), p.values() + p.size());
    if (history) *history = trainer.history();
    if (total_steps) *total_steps = trainer.total_steps();
  }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("trainer: a run stopped and resumed ends with the uninterrupted weights",
                   strategy, std::integral_constant<int, 0>, std::integral_constant<int, 1>,
                   std::integral_constant<int, 2>) {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer");
  ovo::trainer_options options;
  options.total_steps = 8;
  options.lr = 1e-3;
  options.warmup_steps = 2;
  options.log_every = 2;
  options.seed = 5;
  options.sampler.strategy = static_cast<ovo::sampling_strategy>(strategy::value);
  options.sampler.sandwich_random = 1;
  options.checkpoint_every = 2;
  options.checkpoint_path = dir / "straight.safetensors";
  std::vector<ovo::training_record> straight_history, resumed_history;
  const auto straight = weights_after<backend>(options, {8}, &straight_history);
  options.checkpoint_path = dir / "resumed.safetensors";
  // Stops at 3 (after the checkpoint of step 2: step 3 is redone), at 4 and at the end; across
  // epochs (3 batches each).
  const auto resumed = weights_after<backend>(options, {3, 4, 8}, &resumed_history);
  CHECK(resumed == straight);
  REQUIRE(straight_history.size() == 4);
  REQUIRE(resumed_history.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(resumed_history[i].step == straight_history[i].step);
    CHECK(resumed_history[i].loss == straight_history[i].loss);
    CHECK(resumed_history[i].epoch == straight_history[i].epoch);
  }
  CHECK(straight_history.back().step == 8);
  CHECK(straight_history.back().epoch == 2);
  // The loss of the subnet trained on the targets falls on this separable task.
  const bool has_teacher = options.sampler.strategy != ovo::sampling_strategy::uniform;
  auto supervised_loss = [&](const ovo::training_record& r) {
    return has_teacher ? r.teacher_loss : r.loss;
  };
  CHECK(supervised_loss(straight_history.back()) < supervised_loss(straight_history.front()));

  // A checkpoint of another seed or strategy is refused by name.
  options.seed = 6;
  ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
  synthetic_loader loader;
  trainer_for<backend> other(net, loader, options);
  CHECK_THROWS_WITH_AS(other.resume(),
                       doctest::Contains("checkpoint field 'trainer.seed' is '5', this run "
                                         "expects '6'"),
                       std::runtime_error);
}

// Found with tests/fuzz/fuzz_checkpoint's resume: the trainer's own fields were read after the
// weights were loaded, and read leniently: a missing one threw std::out_of_range, a malformed one
// nlohmann's exceptions, and a step of 1e300 was converted to a long (undefined behaviour).
TEST_CASE(
    "trainer: a checkpoint with damaged trainer fields is refused by name, changing nothing") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer_fields");
  ovo::trainer_options options;
  options.total_steps = 4;
  options.log_every = 2;
  options.seed = 5;
  options.checkpoint_path = dir / "run.safetensors";
  weights_after<backend>(options, {2}, nullptr);  // a checkpoint after two steps, one record
  const auto saved = ovo::io::safetensors::load(options.checkpoint_path);
  const std::string record = R"({"step":2,"epoch":0,"lr":0.001,"loss":1.0,"teacher_loss":1.0,)"
                             R"("kl":0.0,"images_per_second":1.0,"data_wait_fraction":0.0})";
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const auto& [key, value, message] :
       {std::tuple<std::string, std::string, std::string>{
            "trainer.history", "", "checkpoint field 'trainer.history' is missing"},
        {"trainer.history", "[1]", "checkpoint field 'trainer.history': "},
        {"trainer.history", "[" + record.substr(0, 8) + "1e300" + record.substr(9) + "]",
         "checkpoint field 'trainer.history': step is 1e+300, expected an integer"},
        {"trainer.history", deep, "nested more than 64 levels deep"},
        {"trainer.interval", "[1, 2]", "checkpoint field 'trainer.interval': "},
        {"trainer.interval", "[1.5, 2, 0, 0, 0, 0]",
         "checkpoint field 'trainer.interval': steps is 1.5, expected an integer"}}) {
    CAPTURE(key);
    CAPTURE(message);
    auto edited = saved;
    if (value.empty())
      edited.metadata.erase(key);
    else
      edited.metadata[key] = value;
    const auto bad = dir / "bad.safetensors";
    edited.save(bad);
    ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
    ovo::rng_engine init(1);
    net.initialize(init);
    const std::vector<float> before(net.parameters().values(),
                                    net.parameters().values() + net.parameters().size());
    synthetic_loader loader;
    auto bad_options = options;
    bad_options.checkpoint_path = bad;
    trainer_for<backend> trainer(net, loader, bad_options);
    CHECK_THROWS_WITH_AS(trainer.resume(), doctest::Contains(message.c_str()), std::runtime_error);
    CHECK(std::equal(before.begin(), before.end(), net.parameters().values()));
    CHECK(trainer.step() == 0);
    CHECK(trainer.history().empty());
  }
}

TEST_CASE("evaluation set: top-1 of a subnet equals a count by hand, streamed or held") {
  using backend = ovo::cpu<float>;
  ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
  ovo::rng_engine rng(2);
  net.initialize(rng);
  synthetic_loader loader;
  const auto held = ovo::evaluation_set<backend>::from_loader(loader);
  CHECK(held.images() == 12);
  for (int trial = 0; trial < 4; ++trial) {
    const auto a = tiny_space::sample(rng);
    std::size_t correct = 0;
    loader.start(0);
    while (auto b = loader.next()) {
      const float* logits =
          net.forward({b->images.data(), b->size, 2, 8, 8}, a, ovo::forward_mode::eval());
      for (int r = 0; r < b->size; ++r) {
        const float* row = logits + r * b->classes;
        const auto best = std::max_element(row, row + b->classes) - row;
        correct += best == b->labels[static_cast<std::size_t>(r)];
      }
    }
    CHECK(held.top1(net, a) == static_cast<double>(correct) / 12.0);
    CHECK(ovo::streamed_top1(net, a, loader) == held.top1(net, a));
  }
}

TEST_CASE("trainer: a frozen ResNet teacher changes every run, resumes exactly, stays frozen") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer_frozen");
  ovo::resnet<backend> teacher(
      {.depth = 8, .classes = tiny_space::num_classes, .channels = 2, .height = 8, .width = 8}, 4);
  ovo::rng_engine init(3);
  teacher.initialize(init);
  const auto& tp = teacher.parameters();
  const std::vector<float> teacher_weights(tp.values(), tp.values() + tp.size());
  for (const auto strategy : {ovo::sampling_strategy::uniform, ovo::sampling_strategy::ovo}) {
    CAPTURE(ovo::to_string(strategy));
    ovo::trainer_options options;
    options.total_steps = 6;
    options.lr = 1e-3;
    options.log_every = 2;
    options.seed = 4;
    options.sampler.strategy = strategy;
    options.distillation = {.alpha = 0.6, .temperature = 2.0};
    std::vector<ovo::training_record> history;
    const auto alone = weights_after<backend>(options, {1000}, nullptr);
    const auto taught = weights_after<backend>(options, {1000}, &history, nullptr, &teacher);
    CHECK(taught != alone);
    CHECK(history.back().kl > 0);
    options.checkpoint_path = dir / (ovo::to_string(strategy) + ".safetensors");
    CHECK(weights_after<backend>(options, {3, 1000}, nullptr, nullptr, &teacher) == taught);
  }
  CHECK(std::equal(teacher_weights.begin(), teacher_weights.end(), tp.values()));
}

namespace {

// The weights and sampler state after a FocusFormer run of `options` stopped at each of `stops`
// in turn, as weights_after does, its sampler updated on two batches of the synthetic loader.
std::pair<std::vector<float>, nlohmann::json> focused_run(const ovo::trainer_options& options,
                                                          const ovo::focusformer_options& focus,
                                                          std::vector<long> stops) {
  using backend = ovo::cpu<float>;
  std::pair<std::vector<float>, nlohmann::json> out;
  for (long stop : stops) {
    ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
    ovo::rng_engine init(1);
    net.initialize(init);
    synthetic_loader loader, held_loader{.per_epoch = 2};
    const auto held = ovo::evaluation_set<backend>::from_loader(held_loader);
    ovo::focusformer_sampler<tiny_space> sampler(focus, options.seed);
    trainer_for<backend> trainer(net, loader, options);
    trainer.focus_with(sampler, held);
    trainer.resume();
    trainer.train({}, stop);
    const auto& p = net.parameters();
    out = {std::vector<float>(p.values(), p.values() + p.size()), sampler.state()};
  }
  return out;
}

}  // namespace

TEST_CASE("trainer: a FocusFormer run updates its sampler on held-out loss and resumes exactly") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer_focusformer");
  const ovo::focusformer_options focus{
      .bins = 2, .candidates = 2, .update_every = 3, .update_samples = 3, .bin_sample = 256};
  for (const auto strategy : {ovo::sampling_strategy::uniform, ovo::sampling_strategy::sandwich}) {
    CAPTURE(ovo::to_string(strategy));
    ovo::trainer_options options;
    options.total_steps = 8;
    options.lr = 1e-3;
    options.warmup_steps = 2;
    options.log_every = 2;
    options.seed = 5;
    options.sampler.strategy = strategy;
    options.sampler.sandwich_random = 1;
    options.checkpoint_every = 2;
    const auto [weights, state] = focused_run(options, focus, {8});
    // Updates after steps 3 and 6, one per bin each; the logits moved.
    CHECK(state["updates"] == nlohmann::json::array({2, 2}));
    const auto logits = state["logits"].get<std::vector<double>>();
    CHECK(std::any_of(logits.begin(), logits.end(), [](double z) { return z != 0; }));
    CHECK(weights != weights_after<backend>(options, {8}, nullptr));
    // Stopped after an update (3), before one (5) and at the end: the same weights and sampler.
    options.checkpoint_path = dir / (ovo::to_string(strategy) + ".safetensors");
    const auto [resumed, resumed_state] = focused_run(options, focus, {3, 5, 8});
    CHECK(resumed == weights);
    CHECK(resumed_state == state);
  }
  // A checkpoint of a run without the sampler, or with other sampler options, is refused by name.
  ovo::trainer_options options;
  options.total_steps = 2;
  options.seed = 5;
  options.checkpoint_path = dir / "plain.safetensors";
  weights_after<backend>(options, {2}, nullptr);
  CHECK_THROWS_WITH_AS(focused_run(options, focus, {4}),
                       doctest::Contains("checkpoint field 'trainer.focusformer_options' is "
                                         "'(missing)'"),
                       std::runtime_error);
  // Nor does a run without the sampler resume a FocusFormer checkpoint.
  options.checkpoint_path = dir / "focused.safetensors";
  focused_run(options, focus, {2});
  CHECK_THROWS_WITH_AS(weights_after<backend>(options, {2}, nullptr),
                       doctest::Contains("checkpoint field 'trainer.focusformer_options' is "
                                         "'{\"baseline_momentum\""),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(weights_after<backend>(options, {2}, nullptr),
                       doctest::Contains("this run expects none"), std::runtime_error);
}

TEST_CASE("trainer: train_only trains one subnet alone, leaving every other weight untouched") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer_only");
  const ovo::arch only{12, 2, {1, 2}, {2.0, 1.5}};
  ovo::trainer_options options;
  options.total_steps = 12;
  options.lr = 3e-3;
  options.log_every = 6;
  options.seed = 2;
  options.weight_decay = 0;  // AdamW's decay shrinks every weight of the super weights, as torch's
  options.checkpoint_path = dir / "only.safetensors";
  ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
  ovo::rng_engine init(1);
  net.initialize(init);
  const auto& p = net.parameters();
  const std::vector<float> before(p.values(), p.values() + p.size());
  synthetic_loader loader;
  trainer_for<backend> trainer(net, loader, options);
  trainer.train_only(only);
  trainer.train();
  const auto covered = ovo::test::covered_indices(net.subnet_tensors(only));
  std::size_t changed = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (covered.contains(i))
      changed += p.values()[i] != before[i];
    else
      REQUIRE(p.values()[i] == before[i]);
  }
  CHECK(changed > covered.size() / 2);
  CHECK(trainer.history().back().loss < trainer.history().front().loss);
  // Its checkpoint is refused by a run of another arch.
  trainer_for<backend> other(net, loader, options);
  other.train_only(tiny_space::largest());
  CHECK_THROWS_WITH_AS(other.resume(), doctest::Contains("checkpoint field 'trainer.only_arch'"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(other.train_only(ovo::arch{10, 1, {1}, {2.0}}),
                       doctest::Contains("embed = 10"), std::invalid_argument);
}

TEST_CASE("trainer: a time budget sizes the run, and its step count replays it exactly") {
  using backend = ovo::cpu<float>;
  const ovo::test::temp_dir dir("trainer_budget");
  ovo::trainer_options options;
  options.total_steps = 5;  // provisional: the budget decides
  options.lr = 1e-3;
  options.warmup_steps = 4;
  options.budget_skip_steps = 1;
  options.budget_probe_steps = 3;
  options.log_every = 0;
  options.seed = 9;
  options.sampler.strategy = ovo::sampling_strategy::ovo;

  auto run = [](const ovo::trainer_options& o, std::vector<long> stops, long* total) {
    return weights_after<backend>(o, std::move(stops), nullptr, total);
  };

  // A budget already spent by the probe: the run ends where the probe does.
  long total = 0;
  options.time_budget_seconds = 1e-9;
  run(options, {1000}, &total);
  CHECK(total == 4);

  // Whatever count a budget of a fraction of a second gives, the same count without a budget
  // replays the run: the probe lies within the warm-up, where the schedule ignores the count.
  options.time_budget_seconds = 0.3;
  const auto budgeted = run(options, {1'000'000}, &total);
  CHECK(total >= 4);
  ovo::trainer_options replay = options;
  replay.time_budget_seconds = 0;
  replay.total_steps = total;
  long replay_total = 0;
  CHECK(run(replay, {1'000'000}, &replay_total) == budgeted);
  CHECK(replay_total == total);

  // Stopped after its probe and resumed, a budgeted run keeps the count it measured.
  options.time_budget_seconds = 0.3;
  options.checkpoint_path = dir / "budget.safetensors";
  long first_total = 0, resumed_total = 0;
  run(options, {5}, &first_total);
  const auto resumed = run(options, {1'000'000}, &resumed_total);
  CHECK(resumed_total == first_total);
  replay.total_steps = first_total;
  CHECK(run(replay, {1'000'000}, &replay_total) == resumed);

  // The probe must fit in the warm-up.
  options.warmup_steps = 3;
  ovo::vit_supernet<backend, ovo::qkv_blocked> net(tiny_space::shape(), 4);
  synthetic_loader loader;
  CHECK_THROWS_WITH_AS(trainer_for<backend>(net, loader, options),
                       doctest::Contains("warmup_steps is 3, expected at least 4"),
                       std::invalid_argument);
}

TEST_CASE("trainer: two data-parallel processes on half batches end with one process's weights") {
  using backend = ovo::cpu<double>;
  using net_type = ovo::vit_supernet<backend>;
  static_assert(ovo::process_group<ovo::single_process, double>);
  static_assert(ovo::process_group<thread_group<double>, double>);
  ovo::trainer_options options;
  options.total_steps = 4;
  options.lr = 1e-3;
  options.warmup_steps = 1;
  options.log_every = 0;
  options.seed = 3;
  options.max_grad_norm = 1.0;
  auto trained = [&](auto group) {
    net_type net(tiny_space::shape(), 4);
    ovo::rng_engine init(1);
    net.initialize(init);
    synthetic_loader loader;
    ovo::supernet_trainer<tiny_space, net_type, synthetic_loader, decltype(group)> trainer(
        net, loader, options, group);
    trainer.train();
    const auto& p = net.parameters();
    return std::vector<double>(p.values(), p.values() + p.size());
  };
  const auto whole = trained(ovo::single_process{});
  shared_slots shared(2);
  std::vector<double> first, second;
  std::thread other([&] { second = trained(thread_group<double>{&shared, 1}); });
  first = trained(thread_group<double>{&shared, 0});
  other.join();
  CHECK(first == second);  // every process updates with the same averaged gradients
  REQUIRE(first.size() == whole.size());
  std::size_t close = 0;
  for (std::size_t i = 0; i < whole.size(); ++i)
    close += std::abs(first[i] - whole[i]) <= 1e-9 * (1 + std::abs(whole[i]));
  CHECK(close == whole.size());
  // A batch the processes cannot share equally is refused.
  CHECK_THROWS_WITH_AS(ovo::shard_of(5, 0, 2),
                       doctest::Contains("a batch of 5 rows for process 0 of 2"),
                       std::invalid_argument);
  CHECK(ovo::shard_of(6, 1, 3).first == 2);
  CHECK(ovo::shard_of(6, 1, 3).count == 2);
}

TEST_CASE("classifier trainer: SGD trains a ResNet-8; a time budget's step count replays it") {
  using backend = ovo::cpu<float>;
  using net_type = ovo::resnet<backend>;
  const ovo::resnet_shape shape{
      .depth = 8, .classes = tiny_space::num_classes, .channels = 2, .height = 8, .width = 8};
  // The weights, buffers, history and step count after training with `options`.
  struct outcome {
    std::vector<float> weights, buffers;
    std::vector<ovo::training_record> history;
    long total_steps = 0;
  };
  auto train = [&](const ovo::classifier_training_options& options, int batch = 4) {
    net_type net(shape, 4);
    ovo::rng_engine init(1);
    net.initialize(init);
    synthetic_loader loader;
    loader.batch = batch;
    ovo::classifier_trainer<net_type, synthetic_loader> trainer(net, net.arch(), loader, options);
    trainer.train();
    const auto& p = net.parameters();
    const auto& b = net.buffers();
    return outcome{{p.values(), p.values() + p.size()},
                   {b.values(), b.values() + b.size()},
                   trainer.history(),
                   trainer.total_steps()};
  };
  ovo::classifier_training_options options;
  options.total_steps = 24;
  options.log_every = 6;
  options.seed = 3;
  const auto trained = train(options);
  REQUIRE(trained.history.size() == 4);
  CHECK(trained.history.back().step == 24);
  CHECK(trained.history.back().epoch == 7);  // 3 batches per epoch
  CHECK(trained.history.front().lr == doctest::Approx(0.1).epsilon(0.05));
  CHECK(trained.history.back().loss < trained.history.front().loss);
  auto one_step = options;
  one_step.total_steps = 1;
  CHECK(trained.buffers != train(one_step).buffers);

  // Whatever count a budget gives, the same count without a budget replays the run.
  options.log_every = 0;
  options.warmup_steps = 4;
  options.budget_skip_steps = 1;
  options.budget_probe_steps = 3;
  options.time_budget_seconds = 1e-9;  // spent by the probe: the run ends where the probe does
  CHECK(train(options).total_steps == 4);
  options.time_budget_seconds = 0.2;
  const auto budgeted = train(options);
  CHECK(budgeted.total_steps >= 4);
  auto replay = options;
  replay.time_budget_seconds = 0;
  replay.total_steps = budgeted.total_steps;
  CHECK(train(replay).weights == budgeted.weights);

  options.warmup_steps = 3;
  CHECK_THROWS_WITH_AS(train(options), doctest::Contains("warmup_steps is 3, expected at least 4"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(train(replay, 5),
                       doctest::Contains("a batch of 5 images of 2x8x8 (640 values), expected "
                                         "1..4 images of 2x8x8"),
                       std::invalid_argument);
}

TEST_CASE_TEMPLATE("trainer: a step's gradients lie in the blocks its subnets touched", Net,
                   ovo::vit_supernet<ovo::cpu<double>>, ovo::emo_supernet<ovo::cpu<double>>) {
  using backend = ovo::cpu<double>;
  constexpr bool vit = std::is_same_v<Net, ovo::vit_supernet<backend>>;
  using space = std::conditional_t<vit, tiny_space, ovo::test::tiny_emo_space>;
  auto net = [] {
    if constexpr (vit)
      return Net(tiny_space::shape(), 3);
    else
      return Net(space::geometry, space::largest(), 3);
  }();
  ovo::rng_engine rng(6);
  net.initialize(rng);
  const auto input = net.input();
  const auto images = ovo::test::random_vector(
      static_cast<std::size_t>(3) * input.channels * input.height * input.width, 2);
  const ovo::image_batch<double> batch{images.data(), 3, input.channels, input.height, input.width};
  std::vector<float> targets(static_cast<std::size_t>(3 * net.classes()), 0.0f);
  for (int r = 0; r < 3; ++r) targets[static_cast<std::size_t>(r * net.classes() + r)] = 1.0f;
  ovo::supervised_step<Net> step(net);
  auto& p = net.parameters();
  for (int trial = 0; trial < 6; ++trial) {
    // One or two random subnets, their gradients accumulated as a step's.
    std::vector<ovo::space_arch<space>> archs{space::sample(rng)};
    if (trial % 2 == 1) archs.push_back(space::sample(rng));
    std::vector<double> all(p.size(), 0.0);
    for (const auto& a : archs) {
      step.gradients(net, batch, targets, a, 1, rng);
      for (std::size_t i = 0; i < p.size(); ++i) all[i] += p.grads()[i];
    }
    ovo::touched_blocks touched;
    touched.cover(net, archs);
    const std::size_t n = touched.values();
    CHECK(n < p.size());
    std::vector<double> packed(n, -7.0), back(p.size(), 0.0);
    touched.pack<backend>(all.data(), packed.data());
    touched.unpack<backend>(packed.data(), back.data());
    CHECK(back == all);  // nothing outside the blocks: it was all zero
    std::size_t nonzero = 0;
    for (const double v : packed) nonzero += v != 0.0;
    CHECK(nonzero > n / 2);
  }
}
