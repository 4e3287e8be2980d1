// FFTs against the definition (a naive O(N^2) DFT in long double), on every backend built, in
// single and double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Fft.hpp"

namespace twinsim::test {
namespace {

// Largest error allowed, relative to the largest expected magnitude. FFT round-off grows like
// eps * log2(N) relative to that magnitude: about 1e-15 (double) and 5e-7 (float) for the
// N <= 420 used here. These bounds leave a 100x margin and still catch a wrong sign, twiddle or
// layout, which make errors of order 1.
template <class Real>
constexpr double k_tolerance = std::is_same_v<Real, float> ? 1e-5 : 1e-12;

using Exact = std::complex<long double>;

int product(const std::vector<int>& shape) {
  int n = 1;
  for (int s : shape) n *= s;
  return n;
}

// Values in the Hermitian half of one real transform.
int hermitian_count(const std::vector<int>& shape) {
  return product(shape) / shape.back() * (shape.back() / 2 + 1);
}

// Multi-index of flat index i, row-major (the last axis varies fastest).
std::vector<int> unravel(int i, const std::vector<int>& shape) {
  std::vector<int> idx(shape.size());
  for (int d = int(shape.size()) - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

// The definition: out[k] = sum_x in[x] exp(sign 2 pi i sum_d k_d x_d / n_d), for each of batch
// transforms stored back to back. k_d x_d is reduced mod n_d before it becomes an angle.
std::vector<Exact> naive_dft(const std::vector<Exact>& in, const std::vector<int>& shape, int batch,
                             int sign) {
  const int n = product(shape);
  std::vector<std::vector<int>> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = unravel(i, shape);
  const long double two_pi = 2 * std::acos(-1.0L);
  std::vector<Exact> out(in.size());
  for (int b = 0; b < batch; ++b)
    for (int k = 0; k < n; ++k) {
      Exact sum = 0;
      for (int x = 0; x < n; ++x) {
        long double turns = 0;
        for (std::size_t d = 0; d < shape.size(); ++d)
          turns += (long double)(idx[k][d] * idx[x][d] % shape[d]) / shape[d];
        sum += in[b * n + x] * std::polar(1.0L, sign * two_pi * turns);
      }
      out[b * n + k] = sum;
    }
  return out;
}

// Keeps the Hermitian half that real transforms store: last-axis index < n / 2 + 1.
std::vector<Exact> hermitian_half(const std::vector<Exact>& full, const std::vector<int>& shape) {
  const int last = shape.back(), kept = last / 2 + 1;
  std::vector<Exact> half;
  for (std::size_t i = 0; i < full.size(); ++i)
    if (int(i % last) < kept) half.push_back(full[i]);
  return half;
}

template <class Real>
std::vector<Real> random_reals(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<Real> v(n);
  for (Real& x : v) x = Real(u(gen));
  return v;
}

template <class Real>
std::vector<core::Complex<Real>> random_complex(std::size_t n, unsigned seed) {
  const std::vector<Real> r = random_reals<Real>(2 * n, seed);
  std::vector<core::Complex<Real>> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = {r[2 * i], r[2 * i + 1]};
  return v;
}

template <class Real>
std::vector<Exact> to_exact(const std::vector<core::Complex<Real>>& v) {
  std::vector<Exact> e(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) e[i] = {v[i].re, v[i].im};
  return e;
}
template <class Real>
std::vector<Exact> to_exact(const std::vector<Real>& v) {
  return std::vector<Exact>(v.begin(), v.end());
}
template <class Real>
std::vector<core::Complex<Real>> rounded(const std::vector<Exact>& e) {
  std::vector<core::Complex<Real>> v(e.size());
  for (std::size_t i = 0; i < e.size(); ++i) v[i] = {Real(e[i].real()), Real(e[i].imag())};
  return v;
}

// Largest |actual - expected| over the largest |expected|.
double relative_error(const std::vector<Exact>& actual, const std::vector<Exact>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  long double err = 0, scale = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    err = std::max(err, std::abs(actual[i] - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  return double(err / scale);
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](T x, T y) {
           return std::memcmp(&x, &y, sizeof(T)) == 0;
         });
}

struct Layout {
  std::vector<int> shape;
  int batch;
};
// 1D, 2D and 3D; powers of two and not; odd and even last axes (the Hermitian half differs);
// single transforms and batches.
const std::vector<Layout> k_layouts = {{{16}, 1},   {{7}, 3},        {{6, 10}, 1},
                                       {{5, 4}, 3}, {{6, 10, 7}, 1}, {{3, 4, 5}, 3}};

std::string describe(const Layout& l) {
  std::string s = "shape [";
  for (std::size_t d = 0; d < l.shape.size(); ++d)
    s += (d ? ", " : "") + std::to_string(l.shape[d]);
  return s + "], batch " + std::to_string(l.batch);
}

template <class Case>
class FftTest : public ::testing::Test {};
TYPED_TEST_SUITE(FftTest, AllBackendsAndPrecisions, BackendPrecisionName);

// Runs one complex transform on the backend; in_place passes the same array as in and out.
template <class Case>
std::vector<core::Complex<typename Case::Real>> complex_transform(
    const Layout& l, const std::vector<core::Complex<typename Case::Real>>& h_in, int sign,
    bool in_place) {
  using Real = typename Case::Real;
  using Buf = core::Buffer<core::Complex<Real>, typename Case::Space>;
  const auto fft = core::make_complex_fft<Real>(Case::k_backend, l.shape, l.batch);
  Buf d_in = Buf::from_host(h_in);
  Buf d_out(in_place ? 0 : h_in.size());
  core::Complex<Real>* out = in_place ? d_in.data() : d_out.data();
  if (sign < 0)
    fft->forward(d_in.data(), out);
  else
    fft->inverse(d_in.data(), out);
  if (in_place) return core::to_host(d_in);
  EXPECT_TRUE(bitwise_equal(core::to_host(d_in), h_in)) << "input changed out of place";
  return core::to_host(d_out);
}

template <class Case>
void expect_complex_matches_naive(int sign, bool in_place) {
  using Real = typename Case::Real;
  for (const Layout& l : k_layouts) {
    SCOPED_TRACE(describe(l));
    const auto h_in = random_complex<Real>(std::size_t(l.batch) * product(l.shape), 1);
    const auto h_out = complex_transform<Case>(l, h_in, sign, in_place);
    EXPECT_LT(relative_error(to_exact(h_out), naive_dft(to_exact(h_in), l.shape, l.batch, sign)),
              k_tolerance<Real>);
  }
}

TYPED_TEST(FftTest, ComplexForwardMatchesNaiveDft) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  expect_complex_matches_naive<TypeParam>(-1, false);
}

TYPED_TEST(FftTest, ComplexInverseMatchesNaiveDft) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  expect_complex_matches_naive<TypeParam>(+1, false);
}

TYPED_TEST(FftTest, ComplexInPlaceMatchesNaiveDft) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  expect_complex_matches_naive<TypeParam>(-1, true);
  expect_complex_matches_naive<TypeParam>(+1, true);
}

TYPED_TEST(FftTest, RealForwardMatchesNaiveDft) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  for (const Layout& l : k_layouts) {
    SCOPED_TRACE(describe(l));
    const auto fft = core::make_real_fft<Real>(TypeParam::k_backend, l.shape, l.batch);
    const auto h_in = random_reals<Real>(std::size_t(l.batch) * product(l.shape), 2);
    const auto d_in = core::Buffer<Real, Space>::from_host(h_in);
    const std::vector<Exact> expected =
        hermitian_half(naive_dft(to_exact(h_in), l.shape, l.batch, -1), l.shape);
    core::Buffer<core::Complex<Real>, Space> d_out(expected.size());
    fft->forward(d_in.data(), d_out.data());
    EXPECT_LT(relative_error(to_exact(core::to_host(d_out)), expected), k_tolerance<Real>);
    EXPECT_TRUE(bitwise_equal(core::to_host(d_in), h_in)) << "r2c changed its input";
  }
}

// The Hermitian half of the naive DFT of real x goes in; N x must come out.
TYPED_TEST(FftTest, RealInverseMatchesNaiveDft) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  for (const Layout& l : k_layouts) {
    SCOPED_TRACE(describe(l));
    const auto fft = core::make_real_fft<Real>(TypeParam::k_backend, l.shape, l.batch);
    const auto h_x = random_reals<Real>(std::size_t(l.batch) * product(l.shape), 3);
    const std::vector<Exact> spectrum =
        hermitian_half(naive_dft(to_exact(h_x), l.shape, l.batch, -1), l.shape);
    auto d_in = core::Buffer<core::Complex<Real>, Space>::from_host(rounded<Real>(spectrum));
    core::Buffer<Real, Space> d_out(h_x.size());
    fft->inverse(d_in.data(), d_out.data());
    std::vector<Exact> expected = to_exact(h_x);
    for (Exact& e : expected) e *= product(l.shape);
    EXPECT_LT(relative_error(to_exact(core::to_host(d_out)), expected), k_tolerance<Real>);
  }
}

TYPED_TEST(FftTest, RoundTripScalesByN) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  const Layout l{{6, 10, 7}, 3};
  const std::size_t n = std::size_t(l.batch) * product(l.shape);
  const auto scaled = [&](std::vector<Exact> e) {
    for (Exact& v : e) v *= product(l.shape);
    return e;
  };

  const auto h_z = random_complex<Real>(n, 4);
  const auto h_z_hat = complex_transform<TypeParam>(l, h_z, -1, false);
  const auto h_back = complex_transform<TypeParam>(l, h_z_hat, +1, false);
  EXPECT_LT(relative_error(to_exact(h_back), scaled(to_exact(h_z))), k_tolerance<Real>);

  const auto fft = core::make_real_fft<Real>(TypeParam::k_backend, l.shape, l.batch);
  const auto h_x = random_reals<Real>(n, 5);
  const auto d_x = core::Buffer<Real, Space>::from_host(h_x);
  core::Buffer<core::Complex<Real>, Space> d_spectrum(l.batch * hermitian_count(l.shape));
  core::Buffer<Real, Space> d_x_back(n);
  fft->forward(d_x.data(), d_spectrum.data());
  fft->inverse(d_spectrum.data(), d_x_back.data());
  EXPECT_LT(relative_error(to_exact(core::to_host(d_x_back)), scaled(to_exact(h_x))),
            k_tolerance<Real>);
}

// Callers may pass pointers into the middle of a Buffer, which FFTW must plan for separately
// (its aligned plans need the alignment planned with). cuFFT needs real arrays on a complex
// boundary and says so.
TYPED_TEST(FftTest, ArraysAtAnOffsetTransform) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  using Space = typename TypeParam::Space;
  const Layout l{{6, 10}, 2};
  const int n = l.batch * product(l.shape);

  const auto fft_c = core::make_complex_fft<Real>(TypeParam::k_backend, l.shape, l.batch);
  auto h_z = random_complex<Real>(n + 1, 6);
  const auto d_z = core::Buffer<core::Complex<Real>, Space>::from_host(h_z);
  core::Buffer<core::Complex<Real>, Space> d_z_out(n + 1);
  fft_c->forward(d_z.data() + 1, d_z_out.data() + 1);
  h_z.erase(h_z.begin());
  auto h_z_out = core::to_host(d_z_out);
  h_z_out.erase(h_z_out.begin());
  EXPECT_LT(relative_error(to_exact(h_z_out), naive_dft(to_exact(h_z), l.shape, l.batch, -1)),
            k_tolerance<Real>);

  const auto fft_r = core::make_real_fft<Real>(TypeParam::k_backend, l.shape, l.batch);
  auto h_x = random_reals<Real>(n + 1, 7);
  const auto d_x = core::Buffer<Real, Space>::from_host(h_x);
  core::Buffer<core::Complex<Real>, Space> d_x_out(l.batch * hermitian_count(l.shape));
  if (TypeParam::k_backend == core::Backend::Gpu) {
    EXPECT_THROW(fft_r->forward(d_x.data() + 1, d_x_out.data()), core::Error);
    return;
  }
  fft_r->forward(d_x.data() + 1, d_x_out.data());
  h_x.erase(h_x.begin());
  EXPECT_LT(relative_error(to_exact(core::to_host(d_x_out)),
                           hermitian_half(naive_dft(to_exact(h_x), l.shape, l.batch, -1), l.shape)),
            k_tolerance<Real>);
}

TYPED_TEST(FftTest, ReportsShapeAndBatch) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const std::vector<int> shape = {4, 6, 5};
  EXPECT_EQ(core::make_real_fft<Real>(TypeParam::k_backend, shape, 2)->shape(), shape);
  EXPECT_EQ(core::make_real_fft<Real>(TypeParam::k_backend, shape, 2)->batch(), 2);
  EXPECT_EQ(core::make_complex_fft<Real>(TypeParam::k_backend, shape)->shape(), shape);
  EXPECT_EQ(core::make_complex_fft<Real>(TypeParam::k_backend, shape)->batch(), 1);
}

TYPED_TEST(FftTest, BadArgumentsAreErrors) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const core::Backend b = TypeParam::k_backend;
  for (const Layout& bad : std::vector<Layout>{
           {{}, 1}, {{2, 2, 2, 2}, 1}, {{4, 0}, 1}, {{-3}, 1}, {{4}, 0}, {{4}, -1}}) {
    SCOPED_TRACE(describe(bad));
    EXPECT_THROW(core::make_real_fft<Real>(b, bad.shape, bad.batch), core::Error);
    EXPECT_THROW(core::make_complex_fft<Real>(b, bad.shape, bad.batch), core::Error);
  }
  try {
    core::make_complex_fft<Real>(b, {8, 0, 3});
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_STREQ(e.what(), "FFT of shape [8, 0, 3]: every size must be positive");
  }
}

// The Hermitian half is stored unpadded, which no vendor can transform in place.
TYPED_TEST(FftTest, RealInPlaceIsAnError) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const auto fft = core::make_real_fft<Real>(TypeParam::k_backend, {8});
  core::Buffer<core::Complex<Real>, typename TypeParam::Space> d(8);
  Real* d_real = reinterpret_cast<Real*>(d.data());
  EXPECT_THROW(fft->forward(d_real, d.data()), core::Error);
  EXPECT_THROW(fft->inverse(d.data(), d_real), core::Error);
}

}  // namespace
}  // namespace twinsim::test
