// Forces are the negative energy gradient; Newton's third law holds, so momentum is conserved;
// the Verlet list equals a direct O(N^2) search after every rebuild.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends.hpp"
#include "md_test_support.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class MdForces : public ::testing::Test {};
TYPED_TEST_SUITE(MdForces, AllBackends, BackendName);

TYPED_TEST(MdForces, ForcesEqualMinusEnergyGradient) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Shifted potential: the energy is continuous at the cutoff, so central differences apply.
  expect_forces_are_minus_energy_gradient(TypeParam::k_backend,
                                          lattice_setup({4, 4, 4}, 0.0, 0.15, true));
}

TYPED_TEST(MdForces, NewtonsThirdLawAndMomentumConservation) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup s = lattice_setup({5, 5, 5}, 1.44, 0.05, false);
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  for (int block = 0; block < 4; ++block) {
    const md::HostParticles p = sim->particles();
    double total[3] = {0, 0, 0}, scale = 0;
    for (std::size_t k = 0; k < p.force.size(); ++k) {
      total[k % 3] += p.force[k];
      scale += std::abs(p.force[k]);
    }
    // Each pair force is added to one particle and subtracted from the other (half lists,
    // CPU) or evaluated twice with exactly opposite separations (full lists, GPU): only
    // summation round-off remains.
    for (double f : total) EXPECT_LT(std::abs(f), 1e-13 * scale) << "step " << sim->step();
    const md::Thermo t = sim->thermo();
    for (double m : t.momentum) EXPECT_LT(std::abs(m), 1e-11) << "step " << sim->step();
    sim->run(50);
  }
}

// Pairs within `radius` of each particle by direct search.
std::vector<std::vector<int>> brute_force_neighbors(const std::vector<double>& r,
                                                    const md::Box& box, double radius) {
  const std::size_t n = r.size() / 3;
  std::vector<std::vector<int>> out(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && distance2(r, i, j, box) < radius * radius) out[i].push_back(int(j));
  return out;
}

TYPED_TEST(MdForces, VerletListEqualsDirectSearchAcrossRebuilds) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Cell grids of 4 x 6 x 7 and 8 x 8 x 8 cells: where an axis has fewer cells than the
  // 5-cell stencil, it must still visit each cell once.
  for (const std::array<int, 3> cells : {std::array<int, 3>{4, 5, 6}, {7, 7, 7}}) {
    const MdSetup s = lattice_setup(cells, 2.0, 0.05, false);
    auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
    const double rc = s.settings.lj.cutoff;
    for (int block = 0; block < 5; ++block) {
      const md::NeighborSnapshot nl = sim->neighbors();
      const auto expected = brute_force_neighbors(nl.build_position, s.settings.box, nl.radius);
      ASSERT_EQ(nl.neighbors.size(), expected.size());
      const std::vector<double> now = sim->particles().position;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        std::vector<int> got = nl.neighbors[i];
        std::sort(got.begin(), got.end());
        ASSERT_EQ(got, expected[i])
            << "particle " << i << " after " << sim->neighbor_builds() << " builds";
        // The list is still valid now: every pair inside the cutoff is in it.
        for (std::size_t j = 0; j < expected.size(); ++j)
          if (j != i && distance2(now, i, j, s.settings.box) < rc * rc)
            ASSERT_TRUE(std::binary_search(got.begin(), got.end(), int(j)))
                << "pair " << i << "-" << j << " inside the cutoff is missing";
      }
      sim->run(40);
    }
    // At T = 2 particles cross half the 0.3 skin in well under 40 steps of 0.005.
    EXPECT_GE(sim->neighbor_builds(), 5) << cells[0] << "x" << cells[1] << "x" << cells[2];
  }
}

}  // namespace
}  // namespace twinsim::test
