// Lid-driven cavity at Re = 100 against the centreline tables of Ghia, Ghia & Shin (1982),
// J. Comput. Phys. 48, 387-411 (values in twinsim/lbm/Reference.hpp, copied from
// shared/reference/fluids.md). TWINSIM_CAVITY_N sets the resolution (cells per edge), the
// bound the largest allowed centreline deviation in units of the lid speed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/lbm/Reference.hpp"

namespace twinsim::test {
namespace {

template <class Case>
class LbmCavity : public ::testing::Test {};
TYPED_TEST_SUITE(LbmCavity, AllBackendsAndPrecisions, BackendPrecisionName);

TYPED_TEST(LbmCavity, Re100CentrelinesMatchGhia) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const int n = TWINSIM_CAVITY_N;
  const double lid = 0.1, re = 100.0;
  const double tau = 3.0 * lid * n / re + 0.5;  // nu = U L / Re in lattice units
  const lbm::LatticeConfig c =
      cavity(n, tau, lid, lbm::Collision::trt, precision_of<typename TypeParam::Real>());
  auto solver = lbm::make_solver(TypeParam::k_backend, c);
  // Steady when the velocity changes by less than 1e-5 (relative) over one lid transit L / U
  // (about 21 transits at 32^2 and 64^2): what remains of the start-up is then orders of
  // magnitude below the bound.
  const long check = long(n / lid);
  double change = solver->velocity_change();
  while (change > 1e-5 && solver->steps_done() < 100 * check) {
    solver->step(check);
    change = solver->velocity_change();
  }
  const lbm::CentrelineErrors e = lbm::ghia_centreline_errors(solver->macroscopic(), lid, 100);
  std::printf("cavity %d^2, %ld steps (change %.2e): max |u - Ghia| %.4f, max |v - Ghia| %.4f\n", n,
              long(solver->steps_done()), change, e.max_u, e.max_v);
  EXPECT_LT(change, 1e-5) << "not steady";
  EXPECT_LT(e.max_u, TWINSIM_CAVITY_BOUND);
  EXPECT_LT(e.max_v, TWINSIM_CAVITY_BOUND);
}

}  // namespace
}  // namespace twinsim::test
