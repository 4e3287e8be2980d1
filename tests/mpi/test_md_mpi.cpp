// MD split across however many ranks it is started with (one as a plain program; 2 and 4 under
// mpirun, tests/mpi/CMakeLists.txt): every rank also runs the same system undivided (a one-rank
// simulation, comm null) and compares. The box is 8 x 4 x 4 fcc cells (512 atoms, 13.4 sigma
// along x), so 4 slabs are 3.4 sigma wide, more than cutoff + skin = 2.8.
//
// Tolerances. Split across ranks, each force is the same pairs summed in another order (owned
// pairs, then the pairs across a slab face), so the two runs differ by round-off, ~1e-16
// relative per step, and LJ dynamics amplify a difference by about e^(lambda t) with a largest
// Lyapunov exponent lambda of a few per tau (dense LJ liquid): over 0.8 tau (160 steps of 0.005)
// a factor of ~10-100. Measured on 2 and 4 ranks after 200 steps: positions 4e-14 sigma,
// velocities 4e-13 sigma/tau, energies 3e-15 epsilon per atom, pressure 4e-15. Positions and
// velocities are held to 1e-10 and energies per atom and pressure to 1e-11: about 1000 times
// that round-off, and far below any error of the method (a missed pair, a ghost a step late, a
// wrong image: each changes a force by 1e-3 or more within a step).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include "../physics/md/md_test_support.hpp"
#include "../support/backends.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/md/Simulation.hpp"

namespace twinsim {
namespace {

constexpr double k_position_tolerance = 1e-10;  // sigma
constexpr double k_energy_tolerance = 1e-11;    // epsilon per atom

// Hot enough to melt within the run, so atoms cross the slab faces (migration) and the
// neighbour lists are rebuilt several times. `shift`: the pair energy continuous at the cutoff.
test::MdSetup liquid(bool shift = false) {
  return test::lattice_setup({8, 4, 4}, 1.5, 0.05, shift);
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double most = 0;
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k)
    most = std::max(most, std::abs(a[k] - b[k]));
  return most;
}

// The split run and the undivided one agree at every thermo row and in every atom at the end.
void expect_same_run(core::Backend backend, const test::MdSetup& s, int rows, int steps) {
  core::Comm& comm = core::world();
  auto split = md::make_simulation(backend, s.settings, s.particles, &comm);
  auto whole = md::make_simulation(backend, s.settings, s.particles);
  const double n = double(s.particles.size());
  for (int row = 0; row <= rows; ++row) {
    if (row > 0) {
      split->run(steps);
      whole->run(steps);
    }
    const md::Thermo a = split->thermo(), b = whole->thermo();
    SCOPED_TRACE(::testing::Message() << comm.size() << " ranks, step " << a.step);
    EXPECT_EQ(a.atoms, b.atoms);
    EXPECT_NEAR(a.kinetic / n, b.kinetic / n, k_energy_tolerance);
    EXPECT_NEAR(a.potential / n, b.potential / n, k_energy_tolerance);
    EXPECT_NEAR(a.conserved / n, b.conserved / n, k_energy_tolerance);
    EXPECT_NEAR(a.pressure, b.pressure, k_energy_tolerance);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.momentum[c], b.momentum[c], 1e-11);
  }
  const md::HostParticles a = split->particles(), b = whole->particles();
  EXPECT_LT(largest_difference(a.position, b.position), k_position_tolerance);
  EXPECT_LT(largest_difference(a.velocity, b.velocity), k_position_tolerance);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(split->neighbor_builds(), whole->neighbor_builds());
  EXPECT_GE(whole->neighbor_builds(), 3);  // the atoms moved: builds, and migrations, happened
}

template <class Tag>
class MdAcrossRanks : public ::testing::Test {};
TYPED_TEST_SUITE(MdAcrossRanks, test::AllBackends, test::BackendName);

TYPED_TEST(MdAcrossRanks, NveEqualsTheUndividedRun) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  expect_same_run(TypeParam::k_backend, liquid(), 4, 40);
}

// Energy conservation is that of the undivided run (compared row by row above), and holds:
// with the shifted potential (no energy jump at the cutoff) the total energy per atom stays
// within 2e-4 epsilon of its start over 160 steps at dt = 0.005 (velocity Verlet's O(dt^2)
// fluctuation at T ~ 1.5 is ~1e-4).
TYPED_TEST(MdAcrossRanks, NveConservesEnergy) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const test::MdSetup s = liquid(true);
  auto split = md::make_simulation(TypeParam::k_backend, s.settings, s.particles, &core::world());
  const double n = double(s.particles.size());
  const double start = split->thermo().conserved / n;
  for (int row = 0; row < 4; ++row) {
    split->run(40);
    EXPECT_NEAR(split->thermo().conserved / n, start, 2e-4);
  }
}

// Langevin noise is keyed by the atom's global id and the step: the same trajectory on any rank
// count.
TYPED_TEST(MdAcrossRanks, LangevinEqualsTheUndividedRun) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  test::MdSetup s = liquid();
  s.settings.langevin = md::Langevin{1.0, 1.0, 11};
  expect_same_run(TypeParam::k_backend, s, 2, 50);
}

// The Nose-Hoover chain steps on the global kinetic energy on every rank.
TYPED_TEST(MdAcrossRanks, NoseHooverEqualsTheUndividedRun) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  test::MdSetup s = liquid();
  s.settings.nose_hoover = md::NoseHooverChain{1.0, 0.5, 3};
  expect_same_run(TypeParam::k_backend, s, 2, 50);
}

// Two types with Lorentz-Berthelot mixing and tail corrections, an external field along the
// split axis (a second force compute: the kick is a pass of its own) and a fixed rebuild
// interval (the other rebuild path).
TYPED_TEST(MdAcrossRanks, MixtureFieldAndFixedRebuildsEqualTheUndividedRun) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  test::MdSetup s = liquid();
  s.settings.types = {md::TypeParams{1.0, 1.0}, md::TypeParams{0.5, 0.9}};
  s.settings.lj.tail = true;
  s.settings.field = md::PeriodicField{0, 0.5, 2};
  s.particles.type.resize(s.particles.size());
  for (std::size_t i = 0; i < s.particles.type.size(); ++i) s.particles.type[i] = int(i % 3 == 0);
  s.settings.rebuild_every = 10;
  expect_same_run(TypeParam::k_backend, s, 2, 50);
}

// Each rank's state (its own atoms) into a fresh split simulation continues bit for bit.
TYPED_TEST(MdAcrossRanks, RestartContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  test::MdSetup s = liquid();
  s.settings.langevin = md::Langevin{1.0, 1.0, 5};
  core::Comm& comm = core::world();
  auto straight = md::make_simulation(TypeParam::k_backend, s.settings, s.particles, &comm);
  straight->run(51);  // inside a displacement check window (check_every 4)
  const md::SimulationState saved = straight->state();
  straight->run(51);
  auto resumed = md::make_simulation(TypeParam::k_backend, s.settings, s.particles, &comm);
  resumed->restore(saved);
  resumed->run(51);
  const md::HostParticles a = straight->particles(), b = resumed->particles();
  EXPECT_EQ(a.position, b.position);
  EXPECT_EQ(a.velocity, b.velocity);
  EXPECT_EQ(a.force, b.force);
  EXPECT_EQ(straight->thermo().potential, resumed->thermo().potential);
  EXPECT_EQ(straight->neighbor_builds(), resumed->neighbor_builds());
}

// Bricks along y and z as well (LAMMPS' processors grid): a cube of 6 x 6 x 6 fcc cells (864
// atoms, 10.1 sigma) cut every way the rank count allows (2 ranks: along y, along z; 4 ranks:
// 2 x 2 x 1, 2 x 1 x 2, 1 x 2 x 2, each brick 5 sigma wide along its cuts; 8 ranks, under the
// slow label: 2 x 2 x 2), so ghosts come from faces, edges (and corners) and atoms migrate
// across all of them. The same tolerances as the
// slabs (the same pairs summed in another order). Alone (one rank) it is the undivided path.
TYPED_TEST(MdAcrossRanks, BricksEqualTheUndividedRun) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int ranks = core::world().size();
  std::vector<std::array<int, 3>> cuts;
  if (ranks == 2) cuts = {{1, 2, 1}, {1, 1, 2}};
  if (ranks == 4) cuts = {{2, 2, 1}, {2, 1, 2}, {1, 2, 2}};
  if (ranks == 8) cuts = {{2, 2, 2}};  // corners too (slow label: 8 ranks)
  if (cuts.empty()) cuts = {{0, 0, 0}};
  for (const std::array<int, 3>& c : cuts) {
    SCOPED_TRACE(::testing::Message() << c[0] << " x " << c[1] << " x " << c[2] << " bricks");
    test::MdSetup s = test::lattice_setup({6, 6, 6}, 1.5, 0.05, false);
    s.settings.langevin = md::Langevin{1.0, 1.0, 3};
    s.settings.processors = c;
    expect_same_run(TypeParam::k_backend, s, 2, 40);
  }
}

// Bricks narrower than cutoff + skin are refused with what would fit: the 6.7 sigma box of
// 4 x 4 x 4 cells takes 2 cuts along each axis (cutoff + skin = 2.8), so 4 ranks as 4 x 1 x 1
// are refused and 2 x 2 x 1 named; 3 ranks (program test) fit no way.
TEST(MdAcrossRanksSetup, NarrowBricksAreRefused) {
  core::Comm& comm = core::world();
  if (comm.size() != 4) GTEST_SKIP() << "needs 4 ranks";
  test::MdSetup s = test::lattice_setup({4, 4, 4}, 1.0, 0.0, false);
  s.settings.processors = {4, 1, 1};
  try {
    md::make_simulation(core::Backend::Cpu, s.settings, s.particles, &comm);
    ADD_FAILURE() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("4 x 1 x 1 bricks were asked for"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("2 x 2 x 1 bricks fit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace twinsim
