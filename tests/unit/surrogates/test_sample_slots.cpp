// The in-situ sample buffer in the Learner's backend memory (Learner::reserve_slots, fill_slot,
// normalise_slots): slots filled one at a time from the backend's memory, some before the
// normalisation is fixed and some after, train exactly as the same trajectories normalised on
// the host and set at once (the bits of twinsim train's data path); the values as handed over
// are kept in host memory only until the normalisation is fixed, and the normalised slots
// restore bit for bit; and, in steady state, filling a slot from the backend's memory costs one
// kernel launch: no copy between host and device, no allocation, no synchronisation (the counts
// of core/ExecCounts.hpp, the same on both backends).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "backends.hpp"
#include "uniform_values.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::test {
namespace {

template <class Case>
class SampleSlots : public ::testing::Test {};
TYPED_TEST_SUITE(SampleSlots, AllBackendsAndPrecisions, BackendPrecisionName);

constexpr int k_samples = 4, k_frames = 5, k_n = 16, k_batch = 5;
constexpr std::int64_t k_values = std::int64_t(k_frames) * k_n * k_n;
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

template <class Real>
std::unique_ptr<nn::Learner<Real>> learner(core::Backend backend) {
  nn::OptimizerSpec adam;
  adam.lr = 3e-3;
  return nn::make_learner<Real>(backend, tiny_fno(), adam, nn::LossKind::relative_l2, k_seed);
}

// Vorticity-like values: not centred, not of unit spread, so the normalisation matters.
std::vector<double> raw_values() {
  std::vector<double> v = uniform_values<double>(std::size_t(k_samples * k_values), 5, 0);
  for (double& x : v) x = 3.0 * x + 0.7;
  return v;
}

template <class Real>
bool same_bits(const std::vector<nn::NamedArray<Real>>& a,
               const std::vector<nn::NamedArray<Real>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].values.size() != b[i].values.size() ||
        std::memcmp(a[i].values.data(), b[i].values.data(), a[i].values.size() * sizeof(Real)))
      return false;
  return true;
}

// Two slots before the normalisation (from the first two), two after, with a double and a
// float source (the spectral generator's float32 frames): the epoch equals one on the values
// normalised on the host (nn::normalised) and set at once.
TYPED_TEST(SampleSlots, FilledOnTheBackendTrainsAsTheHostNormalisedSet) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  const core::Backend backend = TypeParam::k_backend;
  std::vector<double> raw = raw_values();
  // The last sample comes as floats: its doubles are the floats' values.
  std::vector<float> last(raw.end() - k_values, raw.end());
  std::copy(last.begin(), last.end(), raw.end() - k_values);
  const auto d_raw = core::Buffer<double, Space>::from_host(raw);
  const auto d_last = core::Buffer<float, Space>::from_host(last);

  const auto in_situ = learner<Real>(backend);
  in_situ->reserve_slots(nn::Split::train, {k_samples, k_frames, k_n, k_n});
  for (std::int64_t s = 0; s < 2; ++s)
    in_situ->fill_slot(nn::Split::train, s, d_raw.data() + s * k_values, false, backend);
  const std::vector<double> early = in_situ->slots_to_host(nn::Split::train);
  ASSERT_EQ(early, std::vector<double>(raw.begin(), raw.begin() + 2 * k_values));
  const nn::Normalisation n = nn::normalisation_of(early);
  in_situ->normalise_slots({n.mean}, {n.std});
  in_situ->fill_slot(nn::Split::train, 2, d_raw.data() + 2 * k_values, false, backend);
  in_situ->fill_slot(nn::Split::train, 3, d_last.data(), true, backend);
  const std::vector<Real> held = in_situ->normalised_slots_to_host(nn::Split::train);
  EXPECT_EQ(held, nn::normalised<Real>(raw, n));
  EXPECT_EQ(in_situ->windows(nn::Split::train), k_samples * (k_frames - 2));

  const auto offline = learner<Real>(backend);
  offline->set_trajectories(nn::Split::train, {k_samples, k_frames, k_n, k_n},
                            nn::normalised<Real>(raw, n));
  const std::vector<std::int64_t> order = nn::shuffled(offline->windows(nn::Split::train), 7, 0);
  const double a = in_situ->train_epoch(order, k_batch, 1e-3);
  const double b = offline->train_epoch(order, k_batch, 1e-3);
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << a << " vs " << b;
  EXPECT_TRUE(same_bits(in_situ->state(true), offline->state(true)));
}

// The values as handed over live in host memory, and only until the normalisation is fixed:
// reserving slots allocates the normalised values alone in the backend's memory, a slot filled
// before the normalisation is one copy to the host (its doubles' bytes), and a learner given
// the normalised slots back (a checkpoint's) trains on them bit for bit as the one they came
// from.
TYPED_TEST(SampleSlots, HandedOverValuesStayOnTheHostUntilTheNormalisationAndRestoreBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  const core::Backend backend = TypeParam::k_backend;
  const std::vector<double> raw = raw_values();
  const auto d_raw = core::Buffer<double, Space>::from_host(raw);
  const auto a = learner<Real>(backend);
  core::ExecCounts before = core::exec_counts();
  a->reserve_slots(nn::Split::train, {k_samples, k_frames, k_n, k_n});
  EXPECT_EQ((core::exec_counts() - before).allocations, 1);  // the normalised values
  for (std::int64_t s = 0; s < k_samples; ++s) {
    before = core::exec_counts();
    a->fill_slot(nn::Split::train, s, d_raw.data() + s * k_values, false, backend);
    const core::ExecCounts c = core::exec_counts() - before;
    EXPECT_EQ(c.copies, 1);
    EXPECT_EQ(c.copied_bytes, k_values * std::int64_t(sizeof(double)));
    EXPECT_EQ(c.launches, 0);
  }
  EXPECT_EQ(a->slots_to_host(nn::Split::train), raw);
  const nn::Normalisation n = nn::normalisation_of(raw);
  a->normalise_slots({n.mean}, {n.std});
  EXPECT_THROW(a->slots_to_host(nn::Split::train), std::exception);  // let go

  const auto b = learner<Real>(backend);
  b->reserve_slots(nn::Split::train, {k_samples, k_frames, k_n, k_n});
  b->normalise_slots({n.mean}, {n.std});
  b->normalised_slots_from_host(nn::Split::train, k_samples,
                                a->normalised_slots_to_host(nn::Split::train));
  EXPECT_EQ(b->windows(nn::Split::train), a->windows(nn::Split::train));
  const std::vector<std::int64_t> order = nn::shuffled(a->windows(nn::Split::train), 5, 0);
  const double la = a->train_epoch(order, k_batch, 1e-3);
  const double lb = b->train_epoch(order, k_batch, 1e-3);
  EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << la << " vs " << lb;
  EXPECT_TRUE(same_bits(a->state(true), b->state(true)));
}

// Steady state: a slot filled from the backend's memory (a solver's frames where it recorded
// them) is one kernel, nothing copied, allocated or waited for; the same from the other memory
// is one copy through reused staging memory.
TYPED_TEST(SampleSlots, FillingASlotFromTheBackendsMemoryCopiesAndAllocatesNothing) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  const core::Backend backend = TypeParam::k_backend;
  const std::vector<double> raw = raw_values();
  const auto d_raw = core::Buffer<double, Space>::from_host(raw);
  const auto l = learner<Real>(backend);
  l->reserve_slots(nn::Split::train, {k_samples, k_frames, k_n, k_n});
  l->fill_slot(nn::Split::train, 0, d_raw.data(), false, backend);
  l->normalise_slots({0.5}, {2.0});

  const core::ExecCounts before = core::exec_counts();
  for (std::int64_t s = 1; s < k_samples; ++s)
    l->fill_slot(nn::Split::train, s, d_raw.data() + s * k_values, false, backend);
  l->fill_slot(nn::Split::train, 0, d_raw.data(), false, backend);  // a full buffer's replacement
  const core::ExecCounts c = core::exec_counts() - before;
  EXPECT_EQ(c.copies, 0);
  EXPECT_EQ(c.allocations, 0);
  EXPECT_EQ(c.synchronizations, 0);
  EXPECT_EQ(c.launches, k_samples);

  if (backend == core::Backend::Gpu) {  // host values into device slots: staged, memory reused
    l->fill_slot(nn::Split::train, 1, raw.data(), false, core::Backend::Cpu);
    const core::ExecCounts h0 = core::exec_counts();
    l->fill_slot(nn::Split::train, 2, raw.data(), false, core::Backend::Cpu);
    const core::ExecCounts h = core::exec_counts() - h0;
    EXPECT_EQ(h.copies, 1);
    EXPECT_EQ(h.allocations, 0);
  }
}

}  // namespace
}  // namespace twinsim::test
