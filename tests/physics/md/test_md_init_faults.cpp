// Initial conditions (bcc/sc lattices, random placement), the RDF of an ideal gas, image counts
// for MSD, and the faults that stop a run: overlapping particles, a time step that blows up,
// late rebuilds counted as dangerous, and the divergence check's one reduction.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "backends.hpp"
#include "md_test_support.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/md/Computes.hpp"

namespace twinsim::test {
namespace {

double nearest_distance(const md::Lattice& l, std::size_t i) {
  double best = 1e300;
  for (std::size_t j = 0; j < l.position.size() / 3; ++j)
    if (j != i) best = std::min(best, distance2(l.position, i, j, l.box));
  return std::sqrt(best);
}

TEST(CubicLattices, AtomsPerCellDensityAndNearestNeighbours) {
  struct Expected {
    const char* kind;
    std::size_t per_cell;
    double nearest_over_a;  // bcc: sqrt(3)/2, sc: 1
  };
  for (const Expected e : {Expected{"bcc", 2, std::sqrt(3.0) / 2}, Expected{"sc", 1, 1.0}}) {
    const md::Lattice l = md::cubic_lattice(e.kind, 0.7, {3, 4, 5});
    const std::size_t n = l.position.size() / 3;
    ASSERT_EQ(n, e.per_cell * 60) << e.kind;
    EXPECT_NEAR(double(n) / l.box.volume(), 0.7, 1e-13) << e.kind;
    const double a = std::cbrt(double(e.per_cell) / 0.7);
    for (std::size_t i : {std::size_t(0), n / 2, n - 1})
      EXPECT_NEAR(nearest_distance(l, i), e.nearest_over_a * a, 1e-12) << e.kind << " " << i;
  }
  EXPECT_THROW(md::cubic_lattice("hcp", 0.7, {3, 3, 3}), core::Error);
}

TEST(RandomPlacement, DensityMinimumDistanceAndSeed) {
  const md::Lattice l = md::random_placement(2000, 0.776, 0.85, 5);
  ASSERT_EQ(l.position.size(), 6000u);
  EXPECT_NEAR(2000.0 / l.box.volume(), 0.776, 1e-12);
  double closest = 1e300;
  for (std::size_t i = 0; i < 2000; ++i)
    for (std::size_t j = i + 1; j < 2000; ++j)
      closest = std::min(closest, distance2(l.position, i, j, l.box));
  EXPECT_GE(std::sqrt(closest), 0.85);
  for (std::size_t k = 0; k < l.position.size(); ++k) {
    EXPECT_GE(l.position[k], 0.0);
    EXPECT_LT(l.position[k], l.box.edge[k % 3]);
  }
  EXPECT_EQ(md::random_placement(2000, 0.776, 0.85, 5).position, l.position);
  EXPECT_NE(md::random_placement(2000, 0.776, 0.85, 6).position, l.position);
  // A minimum distance the density cannot accommodate (packing fraction 0.85) is refused.
  try {
    md::random_placement(500, 1.2, 1.1, 5);
    FAIL() << "no error for an impossible minimum distance";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("found no place"), std::string::npos) << e.what();
  }
}

TEST(Rdf, IdealGasIsOne) {
  // Uniform random points (no minimum distance) have g(r) = 1 at every r: 20 frames of 4000
  // points, 20 shells up to 5 sigma. Shell b holds ~ N/2 rho 4 pi r^2 dr * frames pairs; the
  // innermost (0-0.25 sigma, ~170 pairs) has a Poisson relative error ~8 %: test shells from
  // 1 sigma on (>= 12,000 pairs, 0.9 %) at 5 % and the mean over them at 1 %.
  const md::Lattice first = md::random_placement(4000, 0.5, 0.0, 1);
  md::Rdf rdf(first.box, 5.0, 20);
  for (std::uint64_t frame = 0; frame < 20; ++frame)
    rdf.add(md::random_placement(4000, 0.5, 0.0, 100 + frame).position);
  const std::vector<double> g = rdf.g(), r = rdf.r();
  double sum = 0;
  int shells = 0;
  for (std::size_t b = 0; b < g.size(); ++b)
    if (r[b] > 1.0) {
      EXPECT_NEAR(g[b], 1.0, 0.05) << "r = " << r[b];
      sum += g[b];
      ++shells;
    }
  EXPECT_NEAR(sum / shells, 1.0, 0.01);
  EXPECT_THROW(md::Rdf(first.box, 0.6 * first.box.edge[0], 10), core::Error);
}

TEST(Rdf, FccLatticeShellsAtTheNeighbourDistances) {
  // A perfect fcc lattice: 12 neighbours at a/sqrt(2), 6 at a: g integrates to those counts.
  const md::Lattice l = md::fcc_lattice(1.0, {5, 5, 5});
  const double a = std::cbrt(4.0);
  md::Rdf rdf(l.box, 1.2 * a, 240);
  rdf.add(l.position);
  const std::vector<double> g = rdf.g(), r = rdf.r();
  const double dr = 1.2 * a / 240;
  // Neighbours in a shell: g rho 4 pi r^2 dr, with the (N - 1) / V of a finite box as rho.
  const double rho = 499.0 / l.box.volume();
  double first = 0, second = 0;
  for (std::size_t b = 0; b < g.size(); ++b) {
    const double count = g[b] * rho * 4 * M_PI * r[b] * r[b] * dr;
    if (std::abs(r[b] - a / std::sqrt(2.0)) < 0.05) first += count;
    if (std::abs(r[b] - a) < 0.05) second += count;
  }
  EXPECT_NEAR(first, 12.0, 0.1);
  EXPECT_NEAR(second, 6.0, 0.1);
}

template <class Tag>
class MdFaults : public ::testing::Test {};
TYPED_TEST_SUITE(MdFaults, AllBackends, BackendName);

TYPED_TEST(MdFaults, OverlappingParticlesAreRefusedNamingTheParticle) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  MdSetup s = lattice_setup({4, 4, 4}, 1.0, 0.0, false);
  // Particle 40 placed 0.3 sigma from particle 7: a pair force of ~2e7 epsilon/sigma.
  for (int a = 0; a < 3; ++a) s.particles.position[3 * 40 + a] = s.particles.position[3 * 7 + a];
  s.particles.position[3 * 40] += 0.3;
  try {
    md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
    FAIL() << "no error for overlapping particles";
  } catch (const md::Fault& e) {
    EXPECT_EQ(e.step(), 0);
    EXPECT_TRUE(e.particle() == 7 || e.particle() == 40) << e.particle();
    EXPECT_NE(std::string(e.what()).find("overlaps another particle"), std::string::npos)
        << e.what();
  }
}

TYPED_TEST(MdFaults, TooLargeTimeStepStopsWithStepAndParticle) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // dt = 0.05 (10x in.lj's) at T = 3 on the in.lj lattice: particles run into each other's
  // cores within a few tens of steps and the energy explodes.
  MdSetup s = lattice_setup({4, 4, 4}, 3.0, 0.0, false);
  s.settings.dt = 0.05;
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  try {
    sim->run(2000);
    FAIL() << "no fault in 2000 steps at dt = 0.05";
  } catch (const md::Fault& e) {
    EXPECT_GT(e.step(), 0);
    EXPECT_LE(e.step(), 2000);
    EXPECT_GE(e.particle(), 0);
    EXPECT_LT(e.particle(), 256);
    const std::string what = e.what();
    EXPECT_NE(what.find("step " + std::to_string(e.step())), std::string::npos) << what;
    EXPECT_NE(what.find("particle " + std::to_string(e.particle())), std::string::npos) << what;
    EXPECT_NE(what.find("blew up"), std::string::npos) << what;
  }
}

// The run's divergence check: a NaN or an infinity in one component of one particle's
// position, velocity or force is found by one reduction with one number read back (no copy of
// the state to the host).
TYPED_TEST(MdFaults, ANonFiniteValueIsFoundByOneReduction) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  MdSetup s = lattice_setup({4, 4, 4}, 1.0, 0.0, false);
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  sim->run(3);
  sim->non_finite();  // warm-up: the CUDA backend sizes its reduction scratch once
  const core::ExecCounts before = core::exec_counts();
  EXPECT_FALSE(sim->non_finite());
  const core::ExecCounts cost = core::exec_counts() - before;
  EXPECT_EQ(cost.synchronizations, 1);
  EXPECT_EQ(cost.launches, 1);
  EXPECT_EQ(cost.allocations, 0);
  const md::SimulationState good = sim->state();
  const std::size_t n = good.tag.size();
  for (std::vector<double> md::SimulationState::*array :
       {&md::SimulationState::position, &md::SimulationState::velocity,
        &md::SimulationState::force})
    for (const double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
      md::SimulationState poisoned = good;
      (poisoned.*array)[2 * n + 17] = bad;  // z of the 18th stored particle
      sim->restore(poisoned);
      EXPECT_TRUE(sim->non_finite()) << bad;
    }
  sim->restore(good);
  EXPECT_FALSE(sim->non_finite());
}

TYPED_TEST(MdFaults, FixedIntervalRebuildsCountDangerousBuilds) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Every 20 steps, as LAMMPS' in.lj: at T = 1.44 particles cross half the 0.3 skin in well
  // under 20 steps (v ~ 2, 0.15 / (2 * 0.005) = 15 steps), so some builds come late.
  MdSetup s = lattice_setup({5, 5, 5}, 1.44, 0.05, false);
  s.settings.rebuild_every = 20;
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  sim->run(100);
  EXPECT_EQ(sim->neighbor_builds(), 6);  // the initial build and one every 20 steps
  EXPECT_GT(sim->dangerous_builds(), 0);
  // With a 1.0 skin no particle gets that far in 20 steps.
  s.settings.skin = 1.0;
  auto wide = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  wide->run(100);
  EXPECT_EQ(wide->neighbor_builds(), 6);
  EXPECT_EQ(wide->dangerous_builds(), 0);
}

TYPED_TEST(MdFaults, ImageCountsUnwrapTheTrajectory) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // A dilute hot gas (sc at rho 0.05, T = 5): particles cross the box within the run. The
  // unwrapped displacement must equal the integral of the velocity, i.e. a continuous path:
  // checked by comparing unwrapped positions before and after single steps.
  md::Lattice l = md::cubic_lattice("sc", 0.05, {6, 6, 6});
  md::MdSettings settings;
  settings.box = l.box;
  md::HostParticles p{l.position, md::maxwell_boltzmann(216, 5.0, 3), {}, {}, {}};
  auto sim = md::make_simulation(TypeParam::k_backend, settings, p);
  std::vector<double> before = md::unwrapped_positions(sim->particles(), settings.box);
  double worst_jump = 0;
  for (int k = 0; k < 100; ++k) {
    sim->run(5);
    const std::vector<double> after = md::unwrapped_positions(sim->particles(), settings.box);
    for (std::size_t c = 0; c < after.size(); ++c)
      worst_jump = std::max(worst_jump, std::abs(after[c] - before[c]));
    before = after;
  }
  // 5 steps at v ~ 4 move 0.1 sigma; a missed or spurious image would jump by an edge (16.5).
  EXPECT_LT(worst_jump, 1.0);
  const md::HostParticles end = sim->particles();
  EXPECT_GT(*std::max_element(end.image.begin(), end.image.end()), 0);  // crossings happened
}

}  // namespace
}  // namespace twinsim::test
