// Training checkpoints at library level: an epoch trained in two ranges of batches, with the
// Learner saved after the first range and loaded into a fresh Learner (made with another seed,
// so nothing of its own initial weights may survive the load), must leave exactly the bits of
// two epochs trained straight: parameters, Adam moments, step count and the epoch's loss sum.
// The epoch has a short last batch, and the split falls inside the second epoch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "backends.hpp"
#include "uniform_values.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

template <class Case>
class LearnerRestart : public ::testing::Test {};
TYPED_TEST_SUITE(LearnerRestart, AllBackendsAndPrecisions, BackendPrecisionName);

constexpr int k_samples = 4, k_frames = 5, k_n = 16, k_batch = 5;
constexpr std::uint64_t k_seed = 3;

nn::ModelSpec tiny_fno() {
  nn::ModelSpec s;
  s.in_channels = 2;
  s.out_channels = 1;
  s.params.set("width", std::int64_t(6));
  s.params.set("modes", std::int64_t(4));
  s.params.set("layers", std::int64_t(2));
  s.params.set("projection", std::int64_t(8));
  return s;
}

nn::OptimizerSpec adam() {
  nn::OptimizerSpec o;
  o.lr = 3e-3;
  o.weight_decay = 1e-4;
  return o;
}

template <class Real>
std::unique_ptr<nn::Learner<Real>> learner(core::Backend backend, const nn::ModelSpec& spec,
                                           std::uint64_t seed) {
  auto l = nn::make_learner<Real>(backend, spec, adam(), nn::LossKind::relative_l2, seed);
  const std::vector<Real> v =
      test::uniform_values<Real>(std::size_t(k_samples) * k_frames * k_n * k_n, 11, 0);
  l->set_trajectories(nn::Split::train, {k_samples, k_frames, k_n, k_n}, v);
  return l;
}

template <class Real>
bool same_bits(const std::vector<nn::NamedArray<Real>>& a,
               const std::vector<nn::NamedArray<Real>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].values.size() != b[i].values.size() ||
        std::memcmp(a[i].values.data(), b[i].values.data(), a[i].values.size() * sizeof(Real)))
      return false;
  return true;
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-learner-restart-" + name);
  fs::remove_all(p);
  return p;
}

TYPED_TEST(LearnerRestart, SplitEpochSavedAndLoadedEqualsStraightBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const core::Backend backend = TypeParam::k_backend;
  const auto straight = learner<Real>(backend, tiny_fno(), k_seed);
  const std::int64_t windows = straight->windows(nn::Split::train);
  const std::int64_t batches = nn::batch_count(windows, k_batch);
  ASSERT_EQ(windows, 12);  // 4 samples x (5 - 2 - 1 + 1) windows: batches of 5, 5, 2
  ASSERT_EQ(batches, 3);
  const auto order0 = nn::shuffled(windows, k_seed, 0), order1 = nn::shuffled(windows, k_seed, 1);

  straight->train_batches(order0, 0, batches, k_batch, 1e-3, 0.0);
  const double sum_straight = straight->train_batches(order1, 0, batches, k_batch, 5e-4, 0.0);

  const auto first = learner<Real>(backend, tiny_fno(), k_seed);
  first->train_batches(order0, 0, batches, k_batch, 1e-3, 0.0);
  const double sum_first = first->train_batches(order1, 0, 1, k_batch, 5e-4, 0.0);
  const fs::path folder = scratch(std::string(core::to_string(backend)) + "-" +
                                  (sizeof(Real) == 4 ? "float" : "double"));
  io::Checkpoints(folder, {}, {"train", 0, 0.0, "test", ""})
      .write(first->optimizer_steps(), 0.0, [&](io::StateWriter& w) { first->save(w, "l/"); });
  const io::Restart restart(folder, "latest");

  const auto second = learner<Real>(backend, tiny_fno(), k_seed + 1);
  ASSERT_FALSE(same_bits(second->state(true), first->state(true)));
  second->load(restart.state(), "l/");
  EXPECT_TRUE(same_bits(second->state(true), first->state(true)));
  EXPECT_EQ(second->optimizer_steps(), 4);
  const double sum_second = second->train_batches(order1, 1, batches - 1, k_batch, 5e-4, sum_first);

  // The last two batches changed the weights: equality below is not that of the saved state.
  EXPECT_FALSE(same_bits(second->state(true), first->state(true)));
  EXPECT_TRUE(same_bits(second->state(true), straight->state(true)));
  EXPECT_EQ(second->optimizer_steps(), straight->optimizer_steps());
  EXPECT_EQ(std::memcmp(&sum_second, &sum_straight, sizeof(double)), 0)
      << sum_second << " vs " << sum_straight;
  EXPECT_GT(sum_straight, 0.0);
  fs::remove_all(folder);
}

TYPED_TEST(LearnerRestart, LoadRefusesTheStateOfAnotherArchitecture) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const auto narrow = learner<Real>(TypeParam::k_backend, tiny_fno(), k_seed);
  const fs::path folder = scratch(std::string("arch-") + (sizeof(Real) == 4 ? "f" : "d") +
                                  std::string(core::to_string(TypeParam::k_backend)));
  io::Checkpoints(folder, {}, {"train", 0, 0.0, "test", ""}).write(0, 0.0, [&](io::StateWriter& w) {
    narrow->save(w, "l/");
  });
  const io::Restart restart(folder, "latest");
  nn::ModelSpec wide = tiny_fno();
  wide.params.set("width", std::int64_t(7));
  const auto other = learner<Real>(TypeParam::k_backend, wide, k_seed);
  EXPECT_THROW(other->load(restart.state(), "l/"), core::Error);
  fs::remove_all(folder);
}

// The trainer's divergence check (issue: NaN detection) runs on the backend: a NaN in a
// parameter or an infinity in an Adam moment is found, a finite state is not, and a check
// reads one array of counts back (one synchronisation), allocates nothing after the first, and
// launches one reduction per array (parameters and their two moments).
TYPED_TEST(LearnerRestart, NonFiniteStateIsFoundOnTheBackendWithOneRead) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const auto l = learner<Real>(TypeParam::k_backend, tiny_fno(), k_seed);
  const std::int64_t windows = l->windows(nn::Split::train);
  l->train_batches(nn::shuffled(windows, k_seed, 0), 0, 1, k_batch, 1e-3, 0.0);
  EXPECT_FALSE(l->non_finite());
  const core::ExecCounts before = core::exec_counts();
  EXPECT_FALSE(l->non_finite());
  const core::ExecCounts c = core::exec_counts() - before;
  const std::vector<nn::NamedArray<Real>> finite = l->state(true);
  EXPECT_EQ(c.synchronizations, 1);
  EXPECT_EQ(c.allocations, 0);
  EXPECT_EQ(c.launches, std::int64_t(finite.size()));

  const auto with = [&](const std::string& name, std::size_t index, Real value) {
    std::vector<nn::NamedArray<Real>> s = finite;
    for (auto& a : s)
      if (a.name == name) a.values.at(index) = value;
    l->set_state(s);
    return l->non_finite();
  };
  EXPECT_TRUE(with("fourier1.spectral.weight", 7, std::numeric_limits<Real>::quiet_NaN()));
  EXPECT_TRUE(with("lift.bias.adam_v", 0, std::numeric_limits<Real>::infinity()));
  EXPECT_TRUE(with("output.weight", 3, -std::numeric_limits<Real>::infinity()));
  EXPECT_FALSE(with("output.weight", 3, std::numeric_limits<Real>::max()));
}

}  // namespace
}  // namespace twinsim::test
