// An FNO-2D learns the heat equation's time-step operator, w(t + dt) = exp(nu lap dt) w(t), on
// periodic 16 x 16 fields made of a few random Fourier modes: a diagonal Fourier multiplier,
// which one spectral convolution represents exactly. Trained through the public Learner (the
// path `twinsim train` takes) on every backend; checked against the exact solution.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::test {
namespace {

constexpr int k_n = 16, k_frames = 4;
constexpr double k_nu_dt = 2e-3;  // nu * dt in units of the unit box

// samples x frames x n x n exact heat-equation trajectories: each sample is a sum of cosines
// with random amplitudes and phases for wavenumbers |kx|, |ky| <= 3 (2 pi units).
std::vector<double> heat_trajectories(int samples, std::uint64_t stream) {
  const core::Philox rng(99, stream);
  std::vector<double> v(std::size_t(samples) * k_frames * k_n * k_n, 0.0);
  std::uint64_t counter = 0;
  for (int s = 0; s < samples; ++s)
    for (int kx = 0; kx <= 3; ++kx)
      for (int ky = -3; ky <= 3; ++ky) {
        if (kx == 0 && ky <= 0) continue;
        double a, phase;
        rng.uniform2(counter++, a, phase);
        a = 2 * a - 1;
        phase *= 2 * M_PI;
        const double k2 = 4 * M_PI * M_PI * (kx * kx + ky * ky);
        for (int f = 0; f < k_frames; ++f) {
          const double decay = std::exp(-k2 * k_nu_dt * f);
          for (int y = 0; y < k_n; ++y)
            for (int x = 0; x < k_n; ++x)
              v[((std::size_t(s) * k_frames + f) * k_n + y) * k_n + x] +=
                  a * decay * std::cos(2 * M_PI * (kx * x + ky * y) / k_n + phase);
        }
      }
  return v;
}

// Relative L2 of predicting "no change" (w(t + dt) = w(t)): the bar a learned operator must
// clear by far.
double persistence_error(const std::vector<double>& v, int samples) {
  double total = 0;
  const std::size_t plane = k_n * k_n;
  for (int s = 0; s < samples; ++s)
    for (int f = 0; f + 1 < k_frames; ++f) {
      double d = 0, n = 0;
      for (std::size_t p = 0; p < plane; ++p) {
        const double a = v[(std::size_t(s) * k_frames + f) * plane + p];
        const double b = v[(std::size_t(s) * k_frames + f + 1) * plane + p];
        d += (a - b) * (a - b);
        n += b * b;
      }
      total += std::sqrt(d / n);
    }
  return total / (samples * (k_frames - 1));
}

template <class Case>
class FnoHeat : public ::testing::Test {};
using Cases = ::testing::Types<PrecisionCase<CpuTag, float>, PrecisionCase<GpuTag, float>>;
TYPED_TEST_SUITE(FnoHeat, Cases, BackendPrecisionName);

TYPED_TEST(FnoHeat, LearnsTheTimeStepOperatorToOnePercent) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  using Real = typename TypeParam::Real;
  const int n_train = 16, n_test = 4;
  const std::vector<double> train = heat_trajectories(n_train, 0),
                            test = heat_trajectories(n_test, 1);
  const nn::Normalisation norm = nn::normalisation_of(train);

  nn::ModelSpec spec;
  spec.in_channels = 1;
  spec.out_channels = 1;
  spec.params.set("width", std::int64_t(8));
  spec.params.set("modes", std::int64_t(4));
  spec.params.set("layers", std::int64_t(2));
  spec.params.set("projection", std::int64_t(16));
  nn::OptimizerSpec opt;
  opt.lr = 5e-3;
  opt.schedule = "cosine";
  opt.epochs = 120;
  auto learner =
      nn::make_learner<Real>(TypeParam::k_backend, spec, opt, nn::LossKind::relative_l2, 7);
  const nn::Trajectories shape{n_train, k_frames, k_n, k_n};
  learner->set_trajectories(nn::Split::train, shape, nn::normalised<Real>(train, norm));
  learner->set_trajectories(nn::Split::test, {n_test, k_frames, k_n, k_n},
                            nn::normalised<Real>(test, norm));
  const double before = learner->evaluate(8);
  for (int e = 0; e < opt.epochs; ++e)
    learner->train_epoch(nn::shuffled(learner->windows(nn::Split::train), 7, e), 8,
                         opt.learning_rate(e));
  const double after = learner->evaluate(8);
  const double persistence = persistence_error(test, n_test);
  std::printf("test relative L2: untrained %.4f, trained %.4f, persistence %.4f\n", before, after,
              persistence);
  EXPECT_LT(after, 0.01);
  EXPECT_LT(after, 0.2 * persistence);
}

}  // namespace
}  // namespace twinsim::test
