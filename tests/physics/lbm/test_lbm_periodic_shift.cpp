// Translation invariance of a periodic lattice: the same flow (body force past a solid ball)
// moved by a whole number of cells across the periodic sides is the same flow, moved. Where the
// first copy's cells are interior (the fast path, or the general pull next to the ball), the
// second copy's lie on the periodic sides (the fast path with wrap offsets: on the CPU runs of
// one wrap code in the vectorised loop, on the GPU the edge list). Each cell's update does the
// same arithmetic on the same values in both, so the fields agree bit for bit, and the forces
// on the ball (the same link values summed in another order) to round-off.
#include <gtest/gtest.h>

#include <cmath>

#include "backends.hpp"
#include "lbm_cases.hpp"

namespace twinsim::test {
namespace {

template <class Case>
class LbmPeriodicShift : public ::testing::Test {};
TYPED_TEST_SUITE(LbmPeriodicShift, AllBackendsAndPrecisions, BackendPrecisionName);

// A ball of radius 2.6 cells centred on cell `centre` (periodic images included).
void add_ball(lbm::LatticeConfig& c, const std::array<int, 3>& centre) {
  const std::array<int, 3> n = c.cells;
  c.solid.assign(std::size_t(n[0]) * n[1] * n[2], 0);
  for (int z = 0; z < n[2]; ++z)
    for (int y = 0; y < n[1]; ++y)
      for (int x = 0; x < n[0]; ++x) {
        const int p[3] = {x, y, z};
        double r2 = 0;
        for (int a = 0; a < 3; ++a) {
          int d = std::abs(p[a] - centre[a]);
          d = std::min(d, n[a] - d);  // the nearest periodic image
          r2 += double(d) * d;
        }
        if (r2 <= 2.6 * 2.6) c.solid[(std::size_t(z) * n[1] + y) * n[0] + x] = 1;
      }
}

TYPED_TEST(LbmPeriodicShift, AFlowMovedAcrossThePeriodicSidesIsTheSameFlowMoved) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  for (const bool three_d : {true, false}) {
    lbm::LatticeConfig c = box3d({12, 10, three_d ? 8 : 1}, {}, 0.7, lbm::Collision::trt,
                                 precision_of<Real>());
    if (!three_d) c.lattice = lbm::Lattice::d2q9;
    c.force = {2e-5, -4e-6, three_d ? 3e-6 : 0.0};
    const std::array<int, 3> n = c.cells, centre = {5, 4, three_d ? 3 : 0},
                             shift = {6, 5, three_d ? 4 : 0};
    lbm::LatticeConfig moved = c;
    add_ball(c, centre);
    add_ball(moved, {centre[0] + shift[0], centre[1] + shift[1], centre[2] + shift[2]});
    auto a = lbm::make_solver(TypeParam::k_backend, c);
    auto b = lbm::make_solver(TypeParam::k_backend, moved);
    a->step(60);
    b->step(60);
    const lbm::Macroscopic fa = a->macroscopic(), fb = b->macroscopic();
    int differing = 0;
    for (int z = 0; z < n[2]; ++z)
      for (int y = 0; y < n[1]; ++y)
        for (int x = 0; x < n[0]; ++x) {
          const std::size_t i = (std::size_t(z) * n[1] + y) * n[0] + x;
          const std::size_t j = (std::size_t((z + shift[2]) % n[2]) * n[1] +
                                 (y + shift[1]) % n[1]) * n[0] + (x + shift[0]) % n[0];
          differing += fa.rho[i] != fb.rho[j] || fa.ux[i] != fb.ux[j] || fa.uy[i] != fb.uy[j] ||
                       fa.uz[i] != fb.uz[j];
        }
    EXPECT_EQ(differing, 0) << (three_d ? "D3Q19" : "D2Q9") << ": cells whose fields differ";
    EXPECT_GT(std::abs(fa.ux[0]), 1e-5);  // the flow has started
    const auto force_a = a->obstacle_forces(), force_b = b->obstacle_forces();
    ASSERT_EQ(force_a.size(), 1u);
    ASSERT_EQ(force_b.size(), 1u);
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(force_a[0][k], force_b[0][k], 1e-12 * std::abs(force_a[0][0]))
          << (three_d ? "D3Q19" : "D2Q9") << " force component " << k;
    EXPECT_GT(force_a[0][0], 0);  // the flow drags the ball along +x
  }
}

}  // namespace
}  // namespace twinsim::test
