// Code paths that only a GPU case can check, each also run on the CPU: the surrogate rollout
// (and its window shift, advance_window) and the LBM copy kernel behind copy_bandwidth(). The GPU
// cases skip without a device; on the GPU machine a skip is a failure (hpc/gpu/run_suite.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "uniform_values.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class RareKernelPaths : public ::testing::Test {};
TYPED_TEST_SUITE(RareKernelPaths, AllBackends, BackendName);

constexpr int k_n = 8;  // grid points per side

std::unique_ptr<nn::Learner<double>> tiny_fno(core::Backend backend) {
  nn::ModelSpec s;
  s.in_channels = 2;
  s.out_channels = 1;
  s.params.set("width", std::int64_t(4));
  s.params.set("modes", std::int64_t(3));
  s.params.set("layers", std::int64_t(1));
  s.params.set("projection", std::int64_t(6));
  return nn::make_learner<double>(backend, s, nn::OptimizerSpec{}, nn::LossKind::mse, 5);
}

// samples x frames planes of values in [-1, 1).
std::vector<double> planes(int samples, int frames, std::uint64_t stream) {
  return test::uniform_values<double>(std::size_t(samples) * frames * k_n * k_n, 17, stream);
}

// A rollout of two steps is one step, then one step from the window shifted by the prediction:
// checks advance_window (the shift and where predictions land), with 3 samples in batches of 2
// (a short last batch at an offset).
TYPED_TEST(RareKernelPaths, RolloutChainsOneStepPredictionsThroughTheWindow) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const auto net = tiny_fno(TypeParam::k_backend);
  constexpr int samples = 3, plane = k_n * k_n;
  const std::vector<double> x0 = planes(samples, 2, 0);  // [sample][2 frames][plane]
  const std::vector<double> two = net->rollout(x0, samples, k_n, k_n, 2, 2);
  const std::vector<double> first = net->rollout(x0, samples, k_n, k_n, 1, 2);
  ASSERT_EQ(two.size(), std::size_t(samples * 2 * plane));
  std::vector<double> x1(x0.size());  // [frame 1 of x0, first prediction]
  for (int s = 0; s < samples; ++s)
    for (int p = 0; p < plane; ++p) {
      x1[(s * 2 + 0) * plane + p] = x0[(s * 2 + 1) * plane + p];
      x1[(s * 2 + 1) * plane + p] = first[s * plane + p];
    }
  const std::vector<double> second = net->rollout(x1, samples, k_n, k_n, 1, 2);
  double worst = 0, scale = 0;
  for (int s = 0; s < samples; ++s)
    for (int p = 0; p < plane; ++p) {
      worst = std::max({worst, std::abs(two[(s * 2) * plane + p] - first[s * plane + p]),
                        std::abs(two[(s * 2 + 1) * plane + p] - second[s * plane + p])});
      scale = std::max(scale, std::abs(second[s * plane + p]));
    }
  ASSERT_GT(scale, 0.0);
  EXPECT_LE(worst, 1e-12 * scale);
}

TEST(Rollout, CpuAndGpuAgree) {
  if (const char* why = GpuTag::skip_reason()) GTEST_SKIP() << why;
  constexpr int samples = 3;
  const std::vector<double> x0 = planes(samples, 2, 1);
  const std::vector<double> cpu = tiny_fno(core::Backend::Cpu)->rollout(x0, samples, k_n, k_n, 3, 2);
  const std::vector<double> gpu = tiny_fno(core::Backend::Gpu)->rollout(x0, samples, k_n, k_n, 3, 2);
  ASSERT_EQ(cpu.size(), gpu.size());
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    worst = std::max(worst, std::abs(cpu[i] - gpu[i]));
    scale = std::max(scale, std::abs(cpu[i]));
  }
  EXPECT_LE(worst, 1e-10 * scale);  // FP64: summation orders of FFTW/cuFFT, OpenBLAS/cuBLAS
}

// The copy kernel streams the populations into the solver's second array: a measurement must
// report a positive bandwidth and leave the state as it was (the next steps unchanged).
TYPED_TEST(RareKernelPaths, LbmCopyKernelMeasuresWithoutDisturbingTheState) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const lbm::LatticeConfig c = cavity(24, 0.6, 0.1, lbm::Collision::bgk, lbm::Precision::fp64);
  auto measured = lbm::make_solver(TypeParam::k_backend, c);
  auto plain = lbm::make_solver(TypeParam::k_backend, c);
  measured->step(5);
  plain->step(5);
  const double bytes_per_second = measured->copy_bandwidth(1);
  EXPECT_TRUE(std::isfinite(bytes_per_second));
  EXPECT_GT(bytes_per_second, 1e6);
  measured->step(5);
  plain->step(5);
  const lbm::Macroscopic a = measured->macroscopic(), b = plain->macroscopic();
  EXPECT_EQ(a.rho, b.rho);
  EXPECT_EQ(a.ux, b.ux);
  EXPECT_EQ(a.uy, b.uy);
}

}  // namespace
}  // namespace twinsim::test
