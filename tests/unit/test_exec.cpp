// exec primitives on every backend built, each checked against the standard library.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "backends.hpp"
#include "exec_probe.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class Exec : public ::testing::Test {};
TYPED_TEST_SUITE(Exec, AllBackends, BackendName);

TYPED_TEST(Exec, ForEachIndexComputesAxpyOnEveryElement) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const std::size_t n = 100003;  // not a multiple of any block size
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = 0.5 * double(i);
    y[i] = 1.0 - double(i);
  }
  const auto out = exec_probe_for<TypeParam>().axpy(2.0, x, y);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], 2.0 * x[i] + y[i]) << "i = " << i;
}

TYPED_TEST(Exec, TransformReduceSumsSquaresExactly) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Every partial sum is an integer below 2^53, so any summation order is exact.
  const std::int64_t n = 200000;
  const double expected = double(n - 1) * double(n) * double(2 * n - 1) / 6.0;
  EXPECT_EQ(exec_probe_for<TypeParam>().sum_of_squares(n), expected);
  EXPECT_EQ(exec_probe_for<TypeParam>().sum_of_squares(0), 0.0);
}

TYPED_TEST(Exec, TransformReduceFindsMaxAndMin) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> dist(-1000000, 1000000);
  std::vector<int> v(54321);
  for (int& x : v) x = dist(gen);
  const auto [mx, mn] = exec_probe_for<TypeParam>().max_min(v);
  EXPECT_EQ(mx, *std::max_element(v.begin(), v.end()));
  EXPECT_EQ(mn, *std::min_element(v.begin(), v.end()));
}

TYPED_TEST(Exec, ExclusiveScanMatchesStd) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  std::mt19937 gen(11);
  std::uniform_int_distribution<std::int64_t> dist(0, 50);
  for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(1000), std::size_t(300001)}) {
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = dist(gen);
    std::vector<std::int64_t> expected(n);
    std::exclusive_scan(v.begin(), v.end(), expected.begin(), std::int64_t(0));
    EXPECT_EQ(exec_probe_for<TypeParam>().exclusive_scan(v), expected) << "n = " << n;
    EXPECT_EQ(exec_probe_for<TypeParam>().exclusive_scan_in_place(v), expected) << "n = " << n;
  }
}

TYPED_TEST(Exec, SortByKeyIsStableAndCarriesValues) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  // Few distinct keys (like cell indices) so stability matters: equal keys keep value order.
  std::mt19937 gen(3);
  std::uniform_int_distribution<std::uint32_t> dist(0, 97);
  const std::size_t n = 100000;
  std::vector<std::uint32_t> keys(n);
  std::vector<int> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = dist(gen);
    values[i] = int(i);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  const auto [k, v] = exec_probe_for<TypeParam>().sort_by_key(keys, values);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(k[i], keys[order[i]]) << "i = " << i;
    ASSERT_EQ(v[i], values[order[i]]) << "i = " << i;
  }
}

}  // namespace
}  // namespace twinsim::test
