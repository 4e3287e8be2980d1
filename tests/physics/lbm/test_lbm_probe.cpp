// Pressure probes (lbm::probe): multilinear interpolation over the fluid cells and extrapolation
// onto an obstacle's surface, in 2D and 3D. A field linear in x, y, z is reconstructed exactly,
// in the fluid and on a sphere's (disc's) surface, whatever the estimated normal, since the
// interpolation and the extrapolation along a straight line are exact for it; solid cells hold a
// huge value, so reading one shows.
#include <gtest/gtest.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/lbm/Geometry.hpp"
#include "twinsim/lbm/Reference.hpp"

namespace twinsim::test {
namespace {

double linear(double x, double y, double z) { return 1.0 + 0.3 * x - 0.2 * y + 0.1 * z; }

// A lattice of `cells` with one sphere (3D) or disc (2D) of `radius` at `center`, holding
// linear() at the fluid cell centres and 1e6 in the solid cells.
lbm::Macroscopic with_obstacle(const std::array<int, 3>& cells, const lbm::Point& center,
                               double radius) {
  lbm::Obstacle o;
  o.shape = cells[2] > 1 ? lbm::Obstacle::Shape::sphere : lbm::Obstacle::Shape::circle;
  o.center = center;
  o.radius = radius;
  const bool three_d = cells[2] > 1;
  lbm::Macroscopic m;
  m.cells = cells;
  m.solid = lbm::rasterize(three_d ? lbm::Lattice::d3q19 : lbm::Lattice::d2q9, cells, {o}).solid;
  m.rho.resize(m.solid.size());
  for (int k = 0; k < cells[2]; ++k)
    for (int j = 0; j < cells[1]; ++j)
      for (int i = 0; i < cells[0]; ++i) {
        const std::size_t c = (std::size_t(k) * cells[1] + j) * cells[0] + i;
        m.rho[c] = m.solid[c] ? 1e6 : linear(i + 0.5, j + 0.5, three_d ? k + 0.5 : 0.5);
      }
  return m;
}

TEST(LbmProbe, LinearFieldIsExactInTheFluidAndOnASphere) {
  const lbm::Point center = {12.3, 11.8, 12.6};
  const double r = 6.0;
  const lbm::Macroscopic m = with_obstacle({26, 24, 25}, center, r);
  // Away from the sphere: trilinear interpolation (also at a cell centre and near the sides).
  for (const lbm::Point& p :
       {lbm::Point{2.2, 3.7, 20.1}, lbm::Point{20.5, 20.5, 3.5}, lbm::Point{0.8, 23.1, 24.4}})
    EXPECT_NEAR(lbm::probe(m, m.rho, p[0], p[1], p[2]), linear(p[0], p[1], p[2]), 1e-12);
  // On the surface: 40 points spread over the sphere (a Fibonacci spiral), poles and oblique.
  const int n = 40;
  for (int k = 0; k < n; ++k) {
    const double cos_theta = 1.0 - (2.0 * k + 1.0) / n,
                 sin_theta = std::sqrt(1 - cos_theta * cos_theta);
    const double phi = k * M_PI * (3.0 - std::sqrt(5.0));
    const lbm::Point p = {center[0] + r * sin_theta * std::cos(phi),
                          center[1] + r * sin_theta * std::sin(phi), center[2] + r * cos_theta};
    EXPECT_NEAR(lbm::probe(m, m.rho, p), linear(p[0], p[1], p[2]), 1e-9)
        << "at (" << p[0] << ", " << p[1] << ", " << p[2] << ")";
  }
}

TEST(LbmProbe, LinearFieldIsExactBesideADiscIn2D) {
  const lbm::Point center = {15.2, 10.7, 0.0};
  const double r = 5.0;
  const lbm::Macroscopic m = with_obstacle({40, 22, 1}, center, r);
  EXPECT_NEAR(lbm::probe(m, m.rho, 30.3, 4.1), linear(30.3, 4.1, 0.5), 1e-12);
  for (double angle = 0; angle < 2 * M_PI; angle += 0.1) {
    const double x = center[0] + r * std::cos(angle), y = center[1] + r * std::sin(angle);
    EXPECT_NEAR(lbm::probe(m, m.rho, x, y), linear(x, y, 0.5), 1e-9) << "at angle " << angle;
  }
}

// At the poles of a sphere centred on a cell corner the wall crosses a lattice axis half-way
// between cell centres, the normal is the axis and the extrapolation's nodes are the first three
// fluid cell centres: a field quadratic along the axis is exact there.
TEST(LbmProbe, FieldQuadraticAlongTheNormalIsExactAtThePoles) {
  const double c = 12.0, r = 6.0;
  lbm::Macroscopic m = with_obstacle({24, 24, 24}, {c, c, c}, r);
  for (int axis = 0; axis < 3; ++axis) {
    const auto field = [&](const lbm::Point& p) {
      return linear(p[0], p[1], p[2]) + 0.05 * (p[axis] - c) * (p[axis] - c);
    };
    for (std::size_t i = 0; i < m.rho.size(); ++i) {
      const lbm::Point p = {i % 24 + 0.5, i / 24 % 24 + 0.5, i / 576 + 0.5};
      m.rho[i] = m.solid[i] ? 1e6 : field(p);
    }
    // Also 1e-12 cells off the pole (a point in metres divided by dx lands so): the nodes must
    // not move off the cell centres.
    for (double side : {-1.0, 1.0})
      for (double off : {0.0, 1e-12, -1e-12}) {
        lbm::Point p = {c, c, c};
        p[axis] += side * r + off;
        EXPECT_NEAR(lbm::probe(m, m.rho, p), field(p), 1e-9)
            << "axis " << axis << ", " << side << ", " << off;
      }
  }
}

TEST(LbmProbe, RefusesPointsWithoutFluidAround) {
  const lbm::Macroscopic m = with_obstacle({20, 20, 20}, {10, 10, 10}, 5.0);
  EXPECT_THROW(lbm::probe(m, m.rho, 10.0, 10.0, 10.0), core::Error);  // inside the sphere
  EXPECT_THROW(lbm::probe(m, m.rho, 25.0, 10.0, 10.0), core::Error);  // outside the lattice
}

}  // namespace
}  // namespace twinsim::test
