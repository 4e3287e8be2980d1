// The CPU and GPU backends give the same answers: bit for bit where the arithmetic is the same
// (counter-based random numbers), to round-off where summation order or FFT algorithms differ.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backends.hpp"
#include "exec_probe.hpp"
#include "twinsim/spectral/TaylorGreenCheck.hpp"

namespace twinsim::test {
namespace {

class BackendsAgree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* why = GpuTag::skip_reason()) GTEST_SKIP() << why;
  }
};

TEST_F(BackendsAgree, PhiloxStreamsAreIdentical) {
  const auto cpu = exec_probe_for<CpuTag>().philox_words(2024, 3, 0, 4096);
  const auto gpu = exec_probe_for<GpuTag>().philox_words(2024, 3, 0, 4096);
  EXPECT_EQ(cpu, gpu);
}

TEST_F(BackendsAgree, TaylorGreenFieldsAgreeToRoundOff) {
  const spectral::TaylorGreenParams p{1.0, 1.0, 0.05};
  const auto cpu = spectral::make_taylor_green_check(core::Backend::Cpu, 64, p)->evaluate(2.0);
  const auto gpu = spectral::make_taylor_green_check(core::Backend::Gpu, 64, p)->evaluate(2.0);
  ASSERT_EQ(cpu.vorticity.size(), gpu.vorticity.size());
  double worst = 0;
  for (std::size_t i = 0; i < cpu.vorticity.size(); ++i)
    worst = std::max(worst, std::abs(cpu.vorticity[i] - gpu.vorticity[i]));
  // Amplitude 2 U0 k = 2; FFTW and cuFFT round differently, each within ~1e-15 relative.
  EXPECT_LT(worst, 1e-13);
  EXPECT_NEAR(cpu.kinetic_energy, gpu.kinetic_energy, 1e-15);
}

}  // namespace
}  // namespace twinsim::test
