// Philox4x32-10 against Random123's known-answer vectors (tests/kat_vectors of the Random123
// distribution, v1.14.0), drawn inside a kernel on every backend, and the distributions of the
// uniform and normal transforms.
#include <gtest/gtest.h>

#include <cmath>

#include "backends.hpp"
#include "exec_probe.hpp"
#include "twinsim/core/Philox.hpp"

namespace twinsim::test {
namespace {

struct KnownAnswer {
  std::uint32_t ctr[4];
  std::uint32_t key[2];
  std::uint32_t expected[4];
};
// "philox4x32 10 CTR0 CTR1 CTR2 CTR3 KEY0 KEY1  R0 R1 R2 R3"
constexpr KnownAnswer k_vectors[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

// core::Philox packs (seed, stream, counter) into Random123's key and counter words like this.
std::uint64_t join(std::uint32_t lo, std::uint32_t hi) { return (std::uint64_t(hi) << 32) | lo; }

template <class Tag>
class PhiloxTest : public ::testing::Test {};
TYPED_TEST_SUITE(PhiloxTest, AllBackends, BackendName);

TYPED_TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  for (const auto& kat : k_vectors) {
    const auto words = exec_probe_for<TypeParam>().philox_words(
        join(kat.key[0], kat.key[1]), join(kat.ctr[2], kat.ctr[3]), join(kat.ctr[0], kat.ctr[1]),
        1);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(words[j], kat.expected[j]) << "word " << j;
  }
}

TYPED_TEST(PhiloxTest, KernelDrawsEqualHostDraws) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const core::Philox host(12345, 6);
  const auto words = exec_probe_for<TypeParam>().philox_words(12345, 6, 1000, 64);
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 4; ++j) ASSERT_EQ(words[4 * i + j], host.words(1000 + i).v[j]);
}

TYPED_TEST(PhiloxTest, NormalsHaveZeroMeanUnitVariance) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const std::int64_t pairs = 500000;
  const auto z = exec_probe_for<TypeParam>().philox_normals(42, 0, pairs);
  double sum = 0, sum2 = 0, sum4 = 0;
  for (double x : z) {
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
  }
  const double n = double(z.size());
  // Standard errors: mean 1/sqrt(n), variance sqrt(2/n), fourth moment sqrt(96/n); 5 sigma.
  EXPECT_NEAR(sum / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(sum4 / n, 3.0, 5.0 * std::sqrt(96.0 / n));
}

TEST(Philox, UniformsAreInsideTheOpenUnitInterval) {
  const core::Philox rng(1, 2);
  double lo = 1, hi = 0, sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double a, b;
    rng.uniform2(i, a, b);
    lo = std::min({lo, a, b});
    hi = std::max({hi, a, b});
    sum += a + b;
  }
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(sum / (2.0 * n), 0.5, 5.0 * std::sqrt(1.0 / 12.0 / (2.0 * n)));
}

TEST(Philox, StreamsAndSeedsDiffer) {
  EXPECT_NE(core::Philox(1, 0).words(0).v[0], core::Philox(1, 1).words(0).v[0]);
  EXPECT_NE(core::Philox(1, 0).words(0).v[0], core::Philox(2, 0).words(0).v[0]);
}

}  // namespace
}  // namespace twinsim::test
