// Checkpoints: n steps, save, load into a fresh solver, n more steps must leave exactly the
// bits of 2n steps straight (populations, fields, forces, the convergence measure), for a closed
// cavity with a lid (also with the Smagorinsky model), for a cylinder channel with a parabolic
// inflow and a pressure outlet, and for a D3Q19 duct with an inflow, an outlet and an obstacle.
// Both runs change the inflow half-way (an inflow ramp) and take a convergence reference before
// the save, so the state beyond the populations is exercised too.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

template <class Case>
class LbmRestart : public ::testing::Test {};
TYPED_TEST_SUITE(LbmRestart, AllBackendsAndPrecisions, BackendPrecisionName);

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-lbm-restart-" + name);
  fs::remove_all(p);
  return p;
}

// Writes the solver's state as a checkpoint in `folder` and opens it again.
io::Restart checkpoint(lbm::Solver& solver, const fs::path& folder) {
  io::Checkpoints checkpoints(folder, {}, {"lbm", 0, 0.0, "test", ""});
  checkpoints.write(solver.steps_done(), 0.0, [&](io::StateWriter& w) { solver.save(w); });
  return io::Restart(folder, "latest");
}

template <class Real>
bool same_bits(const std::vector<Real>& a, const std::vector<Real>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Real)) == 0;
}

// n steps with the velocity of side `side` changed to `ramped` after n / 2 and a convergence
// reference taken at the end.
void first_half(lbm::Solver& s, std::int64_t n, int side, const std::array<double, 3>& ramped) {
  s.step(n / 2);
  s.set_side_velocity(side, ramped);
  s.step(n - n / 2);
  s.velocity_change();
}

template <class Case>
void expect_restart_bit_for_bit(const lbm::LatticeConfig& c, std::int64_t n, int side,
                                const std::array<double, 3>& ramped, const std::string& name) {
  using Real = typename Case::Real;
  auto straight = lbm::make_solver(Case::k_backend, c);
  auto first = lbm::make_solver(Case::k_backend, c);
  first_half(*straight, n, side, ramped);
  first_half(*first, n, side, ramped);
  straight->step(n);

  const fs::path dir = scratch(name + "-" + lbm::to_string(c.precision));
  auto resumed = lbm::make_solver(Case::k_backend, c);
  const io::Restart half = checkpoint(*first, dir / "half");
  first.reset();
  resumed->load(half.state());
  EXPECT_EQ(resumed->steps_done(), n);
  EXPECT_EQ(resumed->config().sides[side].velocity, ramped);
  resumed->step(n);
  EXPECT_EQ(resumed->steps_done(), straight->steps_done());

  const std::vector<Real> f_straight =
      checkpoint(*straight, dir / "straight").state().template get<Real>("lbm/populations");
  const std::vector<Real> f_resumed =
      checkpoint(*resumed, dir / "resumed").state().template get<Real>("lbm/populations");
  EXPECT_TRUE(same_bits(f_straight, f_resumed)) << name << ": populations differ";
  const lbm::Macroscopic a = straight->macroscopic(), b = resumed->macroscopic();
  EXPECT_TRUE(same_bits(a.rho, b.rho)) << name;
  EXPECT_TRUE(same_bits(a.ux, b.ux)) << name;
  EXPECT_TRUE(same_bits(a.uy, b.uy)) << name;
  EXPECT_TRUE(same_bits(a.uz, b.uz)) << name;
  // The convergence measure against the reference taken before the save.
  EXPECT_EQ(straight->velocity_change(), resumed->velocity_change()) << name;
  const auto fa = straight->obstacle_forces(), fb = resumed->obstacle_forces();
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t k = 0; k < fa.size(); ++k) EXPECT_EQ(fa[k], fb[k]) << name << " obstacle " << k;
  // The flow has moved on since the checkpoint: the comparison is not of a frozen state.
  EXPECT_FALSE(same_bits(half.state().template get<Real>("lbm/populations"), f_straight)) << name;
  fs::remove_all(dir);
}

TYPED_TEST(LbmRestart, CavityContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const lbm::LatticeConfig c = cavity(32, 0.6, 0.1, lbm::Collision::trt, precision_of<Real>());
  expect_restart_bit_for_bit<TypeParam>(c, 200, 3, {0.05, 0.0, 0.0}, "cavity");
}

TYPED_TEST(LbmRestart, CylinderChannelContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const lbm::LatticeConfig c = schafer_turek(10, 0.1, 20.0, true, precision_of<Real>());
  expect_restart_bit_for_bit<TypeParam>(c, 100, 0, {0.05, 0.0, 0.0}, "cylinder");
}

// The Smagorinsky model (a local relaxation time from each cell's own populations) keeps it.
TYPED_TEST(LbmRestart, CavityWithSmagorinskyContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  lbm::LatticeConfig c = cavity(32, 0.52, 0.1, lbm::Collision::trt, precision_of<Real>());
  c.smagorinsky = 0.17;
  expect_restart_bit_for_bit<TypeParam>(c, 200, 3, {0.05, 0.0, 0.0}, "cavity-smagorinsky");
}

// D3Q19: a duct with a uniform inflow at x_min, a pressure outlet at x_max, walls at the y and z
// sides and a cube (obstacle forces), the inflow ramped half-way.
TYPED_TEST(LbmRestart, D3q19DuctWithObstacleContinuesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  lbm::LatticeConfig c =
      box3d({20, 8, 8}, {2, 3, 4, 5}, 0.7, lbm::Collision::trt, precision_of<Real>());
  c.sides[0].type = lbm::Boundary::velocity_inlet;
  c.sides[0].velocity = {0.03, 0.0, 0.0};
  c.sides[1].type = lbm::Boundary::pressure_outlet;
  add_solid_box(c, {6, 2, 3}, {9, 5, 6});
  expect_restart_bit_for_bit<TypeParam>(c, 100, 0, {0.05, 0.0, 0.0}, "d3q19-duct");
}

TYPED_TEST(LbmRestart, RefusesAStateOfTheOtherPrecision) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  lbm::LatticeConfig c = cavity(8, 0.6, 0.1, lbm::Collision::trt, precision_of<Real>());
  auto saved = lbm::make_solver(TypeParam::k_backend, c);
  saved->step(3);
  const fs::path dir = scratch("precision");
  const io::Restart r = checkpoint(*saved, dir);
  c.precision = std::is_same_v<Real, float> ? lbm::Precision::fp64 : lbm::Precision::fp32;
  auto other = lbm::make_solver(TypeParam::k_backend, c);
  EXPECT_THROW(other->load(r.state()), core::Error);
  c.cells = {9, 8, 1};
  c.precision = precision_of<Real>();
  auto bigger = lbm::make_solver(TypeParam::k_backend, c);
  EXPECT_THROW(bigger->load(r.state()), core::Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace twinsim::test
