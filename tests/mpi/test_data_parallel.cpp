// Data-parallel training and distributed search on the processes of `mpirun -np 2`: the weights
// and searches of one process, checkpoints across process counts, and waits that time out.
#include <doctest/doctest.h>
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <ovo/data/loader.hpp>
#include <ovo/ovo.hpp>
#include <ovo/parallel/mpi_process_group.hpp>

#include "../support.hpp"

namespace {

using ovo::test::tiny_space;
using backend = ovo::cpu<double>;
using net_type = ovo::vit_supernet<backend>;
using mpi_group = ovo::parallel::mpi_process_group<backend>;

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// 64 random 8x8 two-channel images of tiny_space's 5 classes.
ovo::data::image_set random_images() {
  ovo::data::image_set set;
  set.height = set.width = 8;
  set.channels = 2;
  set.classes = 5;
  ovo::rng_engine rng(17);
  for (int i = 0; i < 64; ++i) {
    for (std::size_t p = 0; p < set.image_bytes(); ++p)
      set.pixels.push_back(static_cast<std::uint8_t>(ovo::uniform_index(rng, 256)));
    set.labels.push_back(i % 5);
  }
  return set;
}

// Pad-1 random crops and flips, label smoothing, no mixing: a shard's rows are the whole batch's.
ovo::data::augment_options augmentation() {
  ovo::data::augment_options a;
  a.size = 8;
  a.channels = 2;
  a.mean = {0.5f, 0.5f};
  a.std = {0.25f, 0.25f};
  a.crop = ovo::data::train_crop::padded_random_crop;
  a.crop_padding = 1;
  a.mix.label_smoothing = 0.1;
  a.eval_crop_ratio = 1.0;
  return a;
}

ovo::trainer_options training(std::uint64_t seed) {
  ovo::trainer_options o;
  o.total_steps = 6;
  o.lr = 1e-3;
  o.warmup_steps = 2;
  o.log_every = 3;
  o.seed = seed;
  o.max_grad_norm = 1.0;
  o.sampler.strategy = ovo::sampling_strategy::ovo;  // a teacher and students, distilled
  return o;
}

// The weights after training from the same initial weights with a batch of 8, on the processes
// of `group` (each loading its shard), stopping at `stop_at` and resuming when asked.
template <class Group>
std::vector<double> trained(const ovo::trainer_options& options, Group group,
                            std::optional<long> stop_at = std::nullopt, bool resume = false,
                            std::vector<ovo::training_record>* history = nullptr) {
  static const auto images = random_images();
  std::vector<std::size_t> indices(images.size());
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  net_type net(tiny_space::shape(), 8);
  ovo::rng_engine init(1);
  net.initialize(init);
  ovo::data::batch_loader<ovo::data::image_set> loader(
      images, indices, augmentation(),
      {.batch_size = 8, .workers = 0, .seed = 5, .rank = group.rank(), .processes = group.size()});
  ovo::supernet_trainer<tiny_space, net_type, decltype(loader), Group> trainer(net, loader, options,
                                                                               group);
  if (resume) REQUIRE(trainer.resume());
  trainer.train({}, stop_at);
  if (history) *history = trainer.history();
  const auto& p = net.parameters();
  return {p.values(), p.values() + p.size()};
}

// Every process's copy of `values`, gathered on every process.
std::vector<std::vector<double>> gathered(const std::vector<double>& values) {
  std::vector<double> all(values.size() * static_cast<std::size_t>(world_size()));
  MPI_Allgather(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, all.data(),
                static_cast<int>(values.size()), MPI_DOUBLE, MPI_COMM_WORLD);
  std::vector<std::vector<double>> out;
  for (int r = 0; r < world_size(); ++r)
    out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(r * values.size()),
                     all.begin() + static_cast<std::ptrdiff_t>((r + 1) * values.size()));
  return out;
}

std::size_t within(const std::vector<double>& a, const std::vector<double>& b, double tolerance) {
  REQUIRE(a.size() == b.size());
  std::size_t close = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    close += std::abs(a[i] - b[i]) <= tolerance * (1 + std::abs(b[i]));
  return close;
}

// A number that names an arch, the same in every process.
double code_of(const ovo::space_arch<tiny_space>& a) {
  return static_cast<double>(std::hash<std::string>{}(ovo::to_string(a)) % 1000003);
}

}  // namespace

TEST_CASE("mpi: the job has two processes") {
  CHECK(world_size() == 2);
  mpi_group group(20);
  CHECK(group.rank() == world_rank());
  std::vector<double> values{1.0 + world_rank(), 10.0};
  group.sum(values);
  CHECK(values == std::vector<double>{3.0, 20.0});
  std::vector<double> gradients{2.0 * world_rank(), 4.0};
  group.average(gradients.data(), gradients.size());
  CHECK(gradients == std::vector<double>{1.0, 4.0});
  CHECK_THROWS_WITH_AS(mpi_group(0), doctest::Contains("timeout of 0 s"), std::invalid_argument);
}

TEST_CASE("mpi: two processes on shards of a batch of 8 end with one process's weights") {
  auto options = training(3);
  // Uniform sampling's small subnets average only the blocks they touched; OVO's largest, all.
  SUBCASE("uniform") {
    options.sampler.strategy = ovo::sampling_strategy::uniform;
    // Some of its steps average only their blocks (less than 3/4 of the parameters).
    net_type net(tiny_space::shape(), 8);
    int packed = 0;
    for (long s = 0; s < options.total_steps; ++s) {
      ovo::rng_engine rng(ovo::seeds::step(options.seed, s));
      ovo::touched_blocks touched;
      touched.cover(net, ovo::draw_step_archs<tiny_space>(options.sampler, rng).students);
      packed += 4 * touched.values() < 3 * net.parameters().size();
    }
    CHECK(packed >= 2);
  }
  SUBCASE("ovo") {}
  std::vector<ovo::training_record> history, whole_history;
  const auto two = trained(options, mpi_group(60), std::nullopt, false, &history);
  const auto one = trained(options, ovo::single_process{}, std::nullopt, false, &whole_history);
  // Every process holds the same weights, bit for bit.
  for (const auto& other : gathered(two)) CHECK(other == two);
  // And they are one process's, to rounding (the shards' sums add in another order).
  CHECK(within(two, one, 1e-10) == one.size());
  // The logged losses are the means over the whole batch.
  REQUIRE(history.size() == whole_history.size());
  for (std::size_t i = 0; i < history.size(); ++i)
    CHECK(history[i].loss == doctest::Approx(whole_history[i].loss).epsilon(1e-10));
  // A loader built for another process is refused.
  static const auto images = random_images();
  net_type net(tiny_space::shape(), 8);
  ovo::data::batch_loader<ovo::data::image_set> whole_batches(images, {0, 1, 2, 3, 4, 5, 6, 7},
                                                              augmentation(), {.batch_size = 8});
  const std::string expected_error =
      "the loader builds shards for process 0 of 1, expected process " +
      std::to_string(world_rank()) + " of 2";
  using mismatched =
      ovo::supernet_trainer<tiny_space, net_type, decltype(whole_batches), mpi_group>;
  CHECK_THROWS_WITH_AS(mismatched(net, whole_batches, options, mpi_group(60)),
                       doctest::Contains(expected_error.c_str()), std::invalid_argument);
}

TEST_CASE("mpi: every process draws the same subnets at every step") {
  for (const auto strategy : {ovo::sampling_strategy::uniform, ovo::sampling_strategy::sandwich,
                              ovo::sampling_strategy::ovo}) {
    std::vector<double> codes;
    for (long step = 0; step < 20; ++step) {
      ovo::rng_engine rng(ovo::seeds::step(11, step));
      const auto archs = ovo::draw_step_archs<tiny_space>({.strategy = strategy}, rng);
      if (archs.teacher) codes.push_back(code_of(*archs.teacher));
      for (const auto& a : archs.students) codes.push_back(code_of(a));
    }
    for (const auto& other : gathered(codes)) CHECK(other == codes);
  }
}

TEST_CASE("mpi: a checkpoint of two processes resumes on one, and one's on two") {
  const ovo::test::temp_dir dir("mpi_resume");
  // The directory is process 0's; process 1 reads what process 0 writes.
  std::string path = (dir / "supernet.safetensors").string();
  std::vector<char> shared(path.begin(), path.end());
  shared.resize(4096, '\0');
  MPI_Bcast(shared.data(), static_cast<int>(shared.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  path = shared.data();
  auto options = training(4);
  options.checkpoint_path = path;
  const auto whole = trained(training(4), ovo::single_process{});

  // Steps 0-2 on two processes, the rest on one.
  trained(options, mpi_group(60), 3);
  MPI_Barrier(MPI_COMM_WORLD);
  std::vector<double> resumed_on_one;
  if (world_rank() == 0)
    resumed_on_one = trained(options, ovo::single_process{}, std::nullopt, true);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) CHECK(within(resumed_on_one, whole, 1e-10) == whole.size());

  // Steps 0-2 on one process, the rest on two.
  if (world_rank() == 0) trained(options, ovo::single_process{}, 3);
  MPI_Barrier(MPI_COMM_WORLD);
  const auto resumed_on_two = trained(options, mpi_group(60), std::nullopt, true);
  CHECK(within(resumed_on_two, whole, 1e-10) == whole.size());
}

namespace {

// A fitness that any process computes alike, counting the candidates this process evaluated.
struct counted_fitness {
  int* evaluated;
  double operator()(const ovo::space_arch<tiny_space>& a) const {
    ++*evaluated;
    return std::sin(code_of(a) * 0.37) + 1e-6 * static_cast<double>(tiny_space::params(a));
  }
};

template <class Arch>
void check_same_search(const ovo::basic_search_result<Arch>& shared,
                       const ovo::basic_search_result<Arch>& alone) {
  REQUIRE(shared.history.size() == alone.history.size());
  for (std::size_t i = 0; i < alone.history.size(); ++i) {
    CHECK(shared.history[i].architecture == alone.history[i].architecture);
    CHECK(shared.history[i].fitness == alone.history[i].fitness);
    CHECK(shared.history[i].generation == alone.history[i].generation);
    CHECK(std::string(shared.history[i].origin) == alone.history[i].origin);
  }
  CHECK(shared.best.architecture == alone.best.architecture);
  CHECK(shared.best_fitness_per_generation == alone.best_fitness_per_generation);
  CHECK(shared.pareto.size() == alone.pareto.size());
}

}  // namespace

TEST_CASE("mpi: a search on two processes has the history of one, each evaluating half") {
  const ovo::cost_constraint constraint{.max_params = 4000};
  const ovo::evolution_options evolution{
      .population = 12, .generations = 4, .parents = 4, .mutations = 4, .crossovers = 4, .seed = 8};
  int shared_count = 0, alone_count = 0;
  const auto shared = ovo::evolutionary_search<tiny_space>(
      counted_fitness{&shared_count}, constraint, evolution, {}, mpi_group(60));
  const auto alone =
      ovo::evolutionary_search<tiny_space>(counted_fitness{&alone_count}, constraint, evolution);
  check_same_search(shared, alone);
  CHECK(alone_count == static_cast<int>(alone.history.size()));
  CHECK(std::abs(2 * shared_count - alone_count) <= 2 * 4);  // a half of each generation, +- 1
  std::vector<double> counts{static_cast<double>(shared_count)};
  mpi_group(60).sum(counts);
  CHECK(counts[0] == alone_count);  // each candidate evaluated once in the job

  shared_count = alone_count = 0;
  const auto random_shared = ovo::random_search<tiny_space>(
      counted_fitness{&shared_count}, constraint, 15, 2, {}, 1000, mpi_group(60));
  const auto random_alone =
      ovo::random_search<tiny_space>(counted_fitness{&alone_count}, constraint, 15, 2);
  check_same_search(random_shared, random_alone);
  CHECK(shared_count == (world_rank() == 0 ? 8 : 7));
}

// Run alone (ctest's mpi_stuck_process): process 1 stops taking part for longer than the timeout;
// process 0's wait must end the job with a message that names it.
TEST_CASE("mpi: a process that waits too long for the others ends the job" * doctest::skip()) {
  mpi_group group(0.5);
  std::vector<double> values(3, 1.0);
  if (world_rank() == 1) std::this_thread::sleep_for(std::chrono::seconds(20));
  group.average(values.data(), values.size());
  FAIL("the wait went on past the timeout");
}

namespace {

// The MPI group of a process that dies at its third average when it is process 1.
struct killing_group : mpi_group {
  using mpi_group::mpi_group;
  int calls = 0;
  template <class T>
  void average(T* values, std::size_t n) {
    if (rank() == 1 && ++calls == 3) std::raise(SIGKILL);
    mpi_group::average(values, n);
  }
};

}  // namespace

// Run alone (ctest's mpi_killed_process): process 1 dies in the middle of training; mpirun must
// end the job with the cause instead of leaving process 0 waiting.
TEST_CASE("mpi: a killed process ends the job" * doctest::skip()) {
  trained(training(3), killing_group(600));
  FAIL("the job went on after process 1 was killed");
}
