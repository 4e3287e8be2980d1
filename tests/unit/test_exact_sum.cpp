// core::ExactSum (sums independent of their order) and core::least_halo_cuts (the brick chooser
// MD and LBM share).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "twinsim/core/Decomposition.hpp"
#include "twinsim/core/ExactSum.hpp"

namespace twinsim::core {
namespace {

double exact(const std::vector<double>& values) {
  ExactSum s;
  s.clear();
  for (double v : values) s.add(v);
  return s.value();
}

TEST(ExactSum, IsExactWherePlainAdditionLosesTheSmallTerm) {
  // 1e16 + 1 rounds back to 1e16 in doubles: plain addition gives 0, the exact sum 1.
  EXPECT_EQ(1e16 + 1.0 - 1e16, 0.0);
  EXPECT_EQ(exact({1e16, 1.0, -1e16}), 1.0);
  // The doubles nearest 0.1, 0.2 and 0.3 add up to 2^-55 exactly; in doubles to 2^-54.
  EXPECT_EQ(exact({0.1, 0.2, -0.3}), std::ldexp(1.0, -55));
  EXPECT_EQ(exact({-2.5, 1.0}), -1.5);
  EXPECT_EQ(exact({}), 0.0);
  EXPECT_EQ(exact({3.0e-300}), 0.0);  // below the range: cut off
  EXPECT_EQ(exact({std::ldexp(1.0, -200)}), std::ldexp(1.0, -200));
}

TEST(ExactSum, GivesTheSameBitsInAnyOrderAndGrouping) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-80, 40);
  std::vector<double> values(20000);
  for (double& v : values) v = std::ldexp(mantissa(random), exponent(random));
  const double once = exact(values);
  long double reference = 0;  // for the rounding: close, not equal bit for bit
  for (double v : values) reference += v;
  EXPECT_NEAR(once, double(reference), 1e-12 * std::fabs(once) + 1e-20);
  for (int trial = 0; trial < 3; ++trial) {
    std::shuffle(values.begin(), values.end(), random);
    // Parts of uneven sizes, merged in reverse.
    std::vector<ExactSum> parts(7);
    for (ExactSum& p : parts) p.clear();
    for (std::size_t i = 0; i < values.size(); ++i) parts[(i * i) % 7].add(values[i]);
    ExactSum total;
    total.clear();
    for (auto p = parts.rbegin(); p != parts.rend(); ++p) {
      p->normalize();
      total.merge(*p);
    }
    EXPECT_EQ(total.value(), once);
  }
}

TEST(ExactSum, CarriesNonFiniteValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(exact({1.0, inf}), inf);
  EXPECT_EQ(exact({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(exact({inf, -inf})));
  EXPECT_TRUE(std::isnan(exact({1.0, std::nan("")})));
  EXPECT_EQ(exact({1e300}), inf);  // beyond the range: an infinity of its sign
}

TEST(LeastHaloCuts, TakesTheLeastFaceAreaAndTiesToX) {
  const auto any = [](const std::array<int, 3>&) { return true; };
  // A long box: slabs across its length.
  EXPECT_EQ(least_halo_cuts(4, {400, 100, 100}, any), (std::array<int, 3>{4, 1, 1}));
  // A cube on 64: 4 x 4 x 4 (3 faces of 16 x 16 against 8 x 8 x 1's 2 of 8 x 64); on 4: slabs
  // and 2 x 2 tie (a brick's faces add up to the same area), x first.
  EXPECT_EQ(least_halo_cuts(64, {64, 64, 64}, any), (std::array<int, 3>{4, 4, 4}));
  EXPECT_EQ(least_halo_cuts(4, {64, 64, 64}, any), (std::array<int, 3>{4, 1, 1}));
  // What does not fit is skipped; nothing fits: zeros.
  const auto no_x = [](const std::array<int, 3>& c) { return c[0] == 1; };
  EXPECT_EQ(least_halo_cuts(4, {64, 64, 64}, no_x), (std::array<int, 3>{1, 4, 1}));
  const auto none = [](const std::array<int, 3>&) { return false; };
  EXPECT_EQ(least_halo_cuts(4, {64, 64, 64}, none), (std::array<int, 3>{0, 0, 0}));
}

}  // namespace
}  // namespace twinsim::core
