// Checkpoints of the spectral solvers: 2N steps straight equal N steps, the state saved to an
// HDF5 checkpoint, loaded into a fresh solver, and N steps more, bit for bit; fixed and
// adaptive steps (an adaptive interval cut in the middle), every scheme, every backend and
// precision.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;
using spectral::Scheme;
using spectral::SpectralState;
constexpr std::int64_t k_no_limit = std::numeric_limits<std::int64_t>::max();

// The state written to a checkpoint file and read back: the path a restart takes.
template <class Real>
SpectralState<Real> through_file(const SpectralState<Real>& state, const std::string& name) {
  const fs::path path = fs::temp_directory_path() /
                        ("twinsim-spectral-state-" + name + "-" + std::to_string(getpid()) + ".h5");
  {
    io::H5File file = io::H5File::create(path);
    io::StateWriter writer(file);
    spectral::save_state(state, writer, "solver");
  }
  SpectralState<Real> loaded;
  {
    const io::H5File file = io::H5File::open(path);
    loaded = spectral::load_state<Real>(io::StateReader(file), "solver");
  }
  fs::remove(path);
  return loaded;
}

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}
template <class Real>
bool same_bits(const SpectralState<Real>& a, const SpectralState<Real>& b) {
  return same_bits(a.modes, b.modes) && same_bits(a.time, b.time) &&
         same_bits(a.last_dt, b.last_dt) && same_bits(a.anchor, b.anchor) && a.steps == b.steps;
}

template <class Tag>
class SpectralCheckpointTest : public ::testing::Test {};
TYPED_TEST_SUITE(SpectralCheckpointTest, AllBackendsAndPrecisions, BackendPrecisionName);

template <class Real>
std::unique_ptr<spectral::Vorticity2D<Real>> random_2d(core::Backend backend,
                                                       const spectral::Vorticity2DConfig& c) {
  auto solver = spectral::make_vorticity2d<Real>(backend, c);
  solver->set_random_field({2.5, 7.0, 26.0}, {3, 4});
  return solver;
}

spectral::Vorticity2DConfig config_2d(Scheme scheme) {
  spectral::Vorticity2DConfig c;
  c.nx = c.ny = 32;
  c.nu = 1e-3;
  c.dt = 2e-3;
  c.batch = 2;
  c.scheme = scheme;
  c.forcing = {spectral::ForcingKind::fno, 0.1, 4};
  return c;
}

TYPED_TEST(SpectralCheckpointTest, Vorticity2DFixedStepsContinueBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  for (Scheme scheme : {Scheme::rk4_if, Scheme::cn_euler, Scheme::cn_heun}) {
    SCOPED_TRACE(std::string(spectral::to_string(scheme)));
    const spectral::Vorticity2DConfig c = config_2d(scheme);
    auto straight = random_2d<Real>(TypeParam::k_backend, c);
    straight->advance(10);
    auto first = random_2d<Real>(TypeParam::k_backend, c);
    first->advance(5);
    const SpectralState<Real> saved = first->state();
    auto second = spectral::make_vorticity2d<Real>(TypeParam::k_backend, c);  // no initial field
    second->set_state(through_file(saved, "2d"));
    second->advance(5);
    EXPECT_TRUE(same_bits(second->state(), straight->state()));
    EXPECT_TRUE(same_bits(second->vorticity(32, 32), straight->vorticity(32, 32)));
    EXPECT_EQ(second->time(), straight->time());
    EXPECT_FALSE(same_bits(saved.modes, straight->state().modes));  // the flow did move
  }
}

// An adaptive interval cut after two steps, saved and continued toward the same target, equals
// the interval taken in one call: same steps, same dt, same bits.
TYPED_TEST(SpectralCheckpointTest, Vorticity2DAdaptiveStepsContinueBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  spectral::Vorticity2DConfig c = config_2d(Scheme::rk4_if);
  c.dt = 0.01;
  const double cfl = 0.2, interval = 0.05;
  auto straight = random_2d<Real>(TypeParam::k_backend, c);
  straight->advance_cfl(interval, cfl);
  const std::int64_t steps = straight->advance_cfl(interval, cfl);
  ASSERT_GE(steps, 3) << "the interval must hold steps on both sides of the cut";

  auto first = random_2d<Real>(TypeParam::k_backend, c);
  first->advance_cfl(interval, cfl);
  const double target = first->time() + interval;
  EXPECT_EQ(first->advance_cfl_to(target, cfl, 2), 2);
  EXPECT_LT(first->time(), target);
  auto second = spectral::make_vorticity2d<Real>(TypeParam::k_backend, c);
  second->set_state(through_file(first->state(), "2d_cfl"));
  EXPECT_EQ(second->advance_cfl_to(target, cfl, k_no_limit), steps - 2);
  EXPECT_EQ(second->time(), target);
  EXPECT_TRUE(same_bits(second->state(), straight->state()));
  EXPECT_TRUE(same_bits(second->last_dt(), straight->last_dt()));
}

TYPED_TEST(SpectralCheckpointTest, Velocity3DContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  spectral::Velocity3DConfig c;
  c.nx = c.ny = c.nz = 16;
  c.nu = 0.01;
  c.dt = 0.05;
  c.linear_forcing = 0.1;
  const auto make = [&] {
    auto s = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
    s->set_initial(spectral::Initial3D::taylor_green, 1.0);
    return s;
  };
  // Fixed steps.
  auto straight = make();
  straight->advance(6);
  auto first = make();
  first->advance(3);
  auto second = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  second->set_state(through_file(first->state(), "3d"));
  second->advance(3);
  EXPECT_TRUE(same_bits(second->state(), straight->state()));
  EXPECT_TRUE(same_bits(second->velocity(), straight->velocity()));
  EXPECT_FALSE(same_bits(first->state().modes, straight->state().modes));

  // Adaptive steps, the interval cut after two.
  const double cfl = 0.1, interval = 0.3;
  const std::int64_t steps = straight->advance_cfl(interval, cfl);
  ASSERT_GE(steps, 3);
  const double target = second->time() + interval;
  EXPECT_EQ(second->advance_cfl_to(target, cfl, 2), 2);
  auto third = spectral::make_velocity3d<Real>(TypeParam::k_backend, c);
  third->set_state(through_file(second->state(), "3d_cfl"));
  EXPECT_EQ(third->advance_cfl_to(target, cfl, k_no_limit), steps - 2);
  EXPECT_TRUE(same_bits(third->state(), straight->state()));
  EXPECT_TRUE(same_bits(third->last_dt(), straight->last_dt()));
}

TYPED_TEST(SpectralCheckpointTest, StateOfAnotherSizeIsRefused) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  spectral::Vorticity2DConfig c = config_2d(Scheme::rk4_if);
  const SpectralState<Real> two = random_2d<Real>(TypeParam::k_backend, c)->state();
  c.batch = 1;
  auto one = spectral::make_vorticity2d<Real>(TypeParam::k_backend, c);
  EXPECT_THROW(one->set_state(two), core::Error);
  spectral::Velocity3DConfig c3;
  c3.nx = c3.ny = c3.nz = 8;
  EXPECT_THROW(spectral::make_velocity3d<Real>(TypeParam::k_backend, c3)->set_state(two),
               core::Error);
}

}  // namespace
}  // namespace twinsim::test
