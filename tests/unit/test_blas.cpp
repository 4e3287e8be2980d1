// gemm against the definition (a naive triple loop in long double), on every backend built, in
// single and double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Blas.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::test {
namespace {

using core::Op;

// Largest error allowed, relative to the largest expected magnitude. A dot product of length k
// is off by at most about k eps of its terms (k = 9 here: 5e-7 in float, 2e-15 in double);
// these bounds leave room for any summation order and still catch a wrong transpose, leading
// dimension or stride, which make errors of order 1.
template <class Real>
constexpr double k_tolerance = std::is_same_v<Real, float> ? 1e-5 : 1e-12;

// One gemm call's shape. Leading dimensions exceed the rows they hold, so a backend that
// assumes packed storage reads the wrong elements.
struct Gemm {
  Op op_a, op_b;
  int m, n, k;
  int lda, ldb, ldc;
  // Columns of A, B and C as stored (column-major).
  int cols_a() const { return op_a == Op::N ? k : m; }
  int cols_b() const { return op_b == Op::N ? n : k; }
  std::int64_t size_a() const { return std::int64_t(lda) * cols_a(); }
  std::int64_t size_b() const { return std::int64_t(ldb) * cols_b(); }
  std::int64_t size_c() const { return std::int64_t(ldc) * n; }
};

Gemm make_gemm(Op op_a, Op op_b) {
  const int m = 7, n = 5, k = 9;
  return {op_a, op_b, m, n, k, (op_a == Op::N ? m : k) + 2, (op_b == Op::N ? k : n) + 3, m + 1};
}

std::string describe(Op op_a, Op op_b) {
  return std::string("op_a ") + (op_a == Op::N ? "N" : "T") + ", op_b " +
         (op_b == Op::N ? "N" : "T");
}

const Op k_ops[] = {Op::N, Op::T};

template <class Real>
std::vector<Real> random_reals(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<Real> v(n);
  for (Real& x : v) x = Real(u(gen));
  return v;
}

// C = alpha op(A) op(B) + beta C by the definition, for the matrices at the given offsets.
template <class Real>
void naive_gemm(const Gemm& g, Real alpha, const std::vector<Real>& a, std::int64_t off_a,
                const std::vector<Real>& b, std::int64_t off_b, Real beta,
                std::vector<long double>& c, std::int64_t off_c) {
  const auto op_a = [&](int i, int p) {
    return a[off_a + (g.op_a == Op::N ? i + std::int64_t(p) * g.lda : p + std::int64_t(i) * g.lda)];
  };
  const auto op_b = [&](int p, int j) {
    return b[off_b + (g.op_b == Op::N ? p + std::int64_t(j) * g.ldb : j + std::int64_t(p) * g.ldb)];
  };
  for (int j = 0; j < g.n; ++j)
    for (int i = 0; i < g.m; ++i) {
      long double sum = 0;
      for (int p = 0; p < g.k; ++p) sum += (long double)op_a(i, p) * op_b(p, j);
      long double& cij = c[off_c + i + std::int64_t(j) * g.ldc];
      // beta = 0 ignores C's old value, as BLAS specifies (it may be NaN).
      cij = alpha * sum + (beta == 0 ? 0.0L : beta * cij);
    }
}

// Compares the m x n block of each of batch C matrices with the naive result, relative to its
// largest magnitude, and requires every other element (ld padding, gaps between matrices) to be
// left exactly as it was.
template <class Real>
void expect_c_matches(const Gemm& g, const std::vector<Real>& actual,
                      const std::vector<long double>& expected, std::int64_t stride_c, int batch) {
  ASSERT_EQ(actual.size(), expected.size());
  std::vector<bool> in_block(actual.size(), false);
  long double err = 0, scale = 0;
  for (int s = 0; s < batch; ++s)
    for (int j = 0; j < g.n; ++j)
      for (int i = 0; i < g.m; ++i) {
        const std::int64_t at = s * stride_c + i + std::int64_t(j) * g.ldc;
        in_block[at] = true;
        err = std::max(err, std::abs(actual[at] - expected[at]));
        scale = std::max(scale, std::abs(expected[at]));
      }
  EXPECT_LT(double(err / scale), k_tolerance<Real>);
  for (std::size_t at = 0; at < actual.size(); ++at) {
    if (!in_block[at]) {
      ASSERT_EQ((long double)actual[at], expected[at]) << "wrote outside C at " << at;
    }
  }
}

template <class Case>
class BlasTest : public ::testing::Test {};
TYPED_TEST_SUITE(BlasTest, AllBackendsAndPrecisions, BackendPrecisionName);

TYPED_TEST(BlasTest, GemmMatchesNaiveLoopForEveryTranspose) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Buf = core::Buffer<Real, typename TypeParam::Space>;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const Real alpha = Real(1.5), beta = Real(-0.75);
  for (Op op_a : k_ops)
    for (Op op_b : k_ops) {
      SCOPED_TRACE(describe(op_a, op_b));
      const Gemm g = make_gemm(op_a, op_b);
      const auto h_a = random_reals<Real>(g.size_a(), 1);
      const auto h_b = random_reals<Real>(g.size_b(), 2);
      const auto h_c = random_reals<Real>(g.size_c(), 3);
      const Buf d_a = Buf::from_host(h_a), d_b = Buf::from_host(h_b);
      Buf d_c = Buf::from_host(h_c);
      blas->gemm(op_a, op_b, g.m, g.n, g.k, alpha, d_a.data(), g.lda, d_b.data(), g.ldb, beta,
                 d_c.data(), g.ldc);
      std::vector<long double> expected(h_c.begin(), h_c.end());
      naive_gemm(g, alpha, h_a, 0, h_b, 0, beta, expected, 0);
      expect_c_matches<Real>(g, core::to_host(d_c), expected, 0, 1);
    }
}

// Strides larger than one matrix leave gaps that must stay untouched.
TYPED_TEST(BlasTest, StridedBatchedMatchesLoopOverBatch) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Buf = core::Buffer<Real, typename TypeParam::Space>;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const Real alpha = Real(-0.5), beta = Real(2.0);
  const int batch = 3;
  for (Op op_a : k_ops)
    for (Op op_b : k_ops) {
      SCOPED_TRACE(describe(op_a, op_b));
      const Gemm g = make_gemm(op_a, op_b);
      const std::int64_t stride_a = g.size_a() + 3, stride_b = g.size_b() + 1;
      const std::int64_t stride_c = g.size_c() + 4;
      const auto h_a = random_reals<Real>(batch * stride_a, 4);
      const auto h_b = random_reals<Real>(batch * stride_b, 5);
      const auto h_c = random_reals<Real>(batch * stride_c, 6);
      const Buf d_a = Buf::from_host(h_a), d_b = Buf::from_host(h_b);
      Buf d_c = Buf::from_host(h_c);
      blas->gemm_strided_batched(op_a, op_b, g.m, g.n, g.k, alpha, d_a.data(), g.lda, stride_a,
                                 d_b.data(), g.ldb, stride_b, beta, d_c.data(), g.ldc, stride_c,
                                 batch);
      std::vector<long double> expected(h_c.begin(), h_c.end());
      for (int s = 0; s < batch; ++s)
        naive_gemm(g, alpha, h_a, s * stride_a, h_b, s * stride_b, beta, expected, s * stride_c);
      expect_c_matches<Real>(g, core::to_host(d_c), expected, stride_c, batch);
    }
}

// stride_a = 0: one A for the whole batch (a layer's weights applied to a batch of inputs).
TYPED_TEST(BlasTest, StridedBatchedSharesAMatrixWithStrideZero) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Buf = core::Buffer<Real, typename TypeParam::Space>;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const Gemm g = make_gemm(Op::T, Op::N);
  const int batch = 4;
  const auto h_a = random_reals<Real>(g.size_a(), 7);
  const auto h_b = random_reals<Real>(batch * g.size_b(), 8);
  const auto h_c = random_reals<Real>(batch * g.size_c(), 9);
  const Buf d_a = Buf::from_host(h_a), d_b = Buf::from_host(h_b);
  Buf d_c = Buf::from_host(h_c);
  blas->gemm_strided_batched(g.op_a, g.op_b, g.m, g.n, g.k, Real(1), d_a.data(), g.lda, 0,
                             d_b.data(), g.ldb, g.size_b(), Real(1), d_c.data(), g.ldc, g.size_c(),
                             batch);
  std::vector<long double> expected(h_c.begin(), h_c.end());
  for (int s = 0; s < batch; ++s)
    naive_gemm(g, Real(1), h_a, 0, h_b, s * g.size_b(), Real(1), expected, s * g.size_c());
  expect_c_matches<Real>(g, core::to_host(d_c), expected, g.size_c(), batch);
}

// BLAS promises that beta = 0 never reads C, so uninitialised (even NaN) output is fine.
TYPED_TEST(BlasTest, ZeroBetaIgnoresOldC) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Buf = core::Buffer<Real, typename TypeParam::Space>;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const Gemm g = make_gemm(Op::N, Op::T);
  const auto h_a = random_reals<Real>(g.size_a(), 10);
  const auto h_b = random_reals<Real>(g.size_b(), 11);
  std::vector<Real> h_c(g.size_c(), std::numeric_limits<Real>::quiet_NaN());
  const Buf d_a = Buf::from_host(h_a), d_b = Buf::from_host(h_b);
  Buf d_c = Buf::from_host(h_c);
  blas->gemm(g.op_a, g.op_b, g.m, g.n, g.k, Real(2), d_a.data(), g.lda, d_b.data(), g.ldb, Real(0),
             d_c.data(), g.ldc);
  std::vector<long double> expected(h_c.begin(), h_c.end());
  naive_gemm(g, Real(2), h_a, 0, h_b, 0, Real(0), expected, 0);
  const std::vector<Real> actual = core::to_host(d_c);
  for (int j = 0; j < g.n; ++j)
    for (int i = 0; i < g.m; ++i) ASSERT_FALSE(std::isnan(actual[i + j * g.ldc]));
  // Compare the block only: the NaN padding cannot compare equal to itself.
  std::vector<Real> block_actual;
  std::vector<long double> block_expected;
  for (int j = 0; j < g.n; ++j)
    for (int i = 0; i < g.m; ++i) {
      block_actual.push_back(actual[i + j * g.ldc]);
      block_expected.push_back(expected[i + j * g.ldc]);
    }
  const Gemm packed{g.op_a, g.op_b, g.m, g.n, g.k, g.lda, g.ldb, g.m};
  expect_c_matches<Real>(packed, block_actual, block_expected, 0, 1);
}

// k = 0 is an empty sum: C = beta C.
TYPED_TEST(BlasTest, EmptyInnerDimensionScalesC) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Buf = core::Buffer<Real, typename TypeParam::Space>;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const Buf d_unread(1);  // A and B: valid addresses, never read
  Buf d_c = Buf::from_host({1, 2, 3, 4, 5, 6});
  blas->gemm(Op::N, Op::N, 2, 3, 0, Real(1), d_unread.data(), 2, d_unread.data(), 1, Real(0.5),
             d_c.data(), 2);
  EXPECT_EQ(core::to_host(d_c), (std::vector<Real>{0.5, 1, 1.5, 2, 2.5, 3}));
}

void expect_error(const std::function<void()>& call, const std::string& message) {
  try {
    call();
    ADD_FAILURE() << "expected: " << message;
  } catch (const core::Error& e) {
    EXPECT_EQ(e.what(), message);
  }
}

// Every backend checks arguments before touching memory, so null pointers are enough here.
TYPED_TEST(BlasTest, BadArgumentsAreErrorsNamingTheArgument) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const auto blas = core::make_blas<Real>(TypeParam::k_backend);
  const auto gemm = [&](Op op_a, Op op_b, int m, int n, int k, int lda, int ldb, int ldc) {
    return [=, &blas] {
      blas->gemm(op_a, op_b, m, n, k, Real(1), nullptr, lda, nullptr, ldb, Real(0), nullptr, ldc);
    };
  };
  expect_error(gemm(Op::N, Op::N, -1, 2, 2, 1, 2, 1), "gemm: m = -1 is negative");
  expect_error(gemm(Op::N, Op::N, 2, -2, 2, 2, 2, 2), "gemm: n = -2 is negative");
  expect_error(gemm(Op::N, Op::N, 2, 2, -3, 2, 1, 2), "gemm: k = -3 is negative");
  // op(A) is m x k: stored as m rows when N, k rows when T.
  expect_error(gemm(Op::N, Op::N, 4, 2, 3, 3, 3, 4),
               "gemm: lda = 3 is less than 4, the rows of A as stored");
  expect_error(gemm(Op::T, Op::N, 4, 2, 3, 2, 3, 4),
               "gemm: lda = 2 is less than 3, the rows of A as stored");
  expect_error(gemm(Op::N, Op::N, 4, 2, 3, 4, 2, 4),
               "gemm: ldb = 2 is less than 3, the rows of B as stored");
  expect_error(gemm(Op::N, Op::T, 4, 5, 3, 4, 4, 4),
               "gemm: ldb = 4 is less than 5, the rows of B as stored");
  expect_error(gemm(Op::N, Op::N, 4, 2, 3, 4, 3, 3),
               "gemm: ldc = 3 is less than 4, the rows of C as stored");
  // BLAS wants leading dimensions of at least 1, even for empty matrices.
  expect_error(gemm(Op::N, Op::N, 0, 0, 0, 0, 1, 1),
               "gemm: lda = 0 is less than 1, the rows of A as stored");

  const auto batched = [&](std::int64_t stride_a, std::int64_t stride_b, std::int64_t stride_c,
                           int batch, int lda) {
    return [=, &blas] {
      blas->gemm_strided_batched(Op::N, Op::N, 2, 3, 4, Real(1), nullptr, lda, stride_a, nullptr, 4,
                                 stride_b, Real(0), nullptr, 2, stride_c, batch);
    };
  };
  expect_error(batched(8, 12, 6, -1, 2), "gemm_strided_batched: batch = -1 is negative");
  expect_error(batched(-8, 12, 6, 2, 2), "gemm_strided_batched: stride_a = -8 is negative");
  expect_error(batched(8, -1, 6, 2, 2), "gemm_strided_batched: stride_b = -1 is negative");
  expect_error(batched(8, 12, 5, 2, 2),
               "gemm_strided_batched: stride_c = 5 is less than ldc * n = 6, so the "
               "products overlap");
  expect_error(batched(8, 12, 6, 2, 1),
               "gemm_strided_batched: lda = 1 is less than 2, the rows of A as stored");
}

}  // namespace
}  // namespace twinsim::test
