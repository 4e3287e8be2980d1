// Every layer, loss and model of surrogates/nn: the analytic backward pass against central
// finite differences (h = 1e-6) in FP64, on every backend built. Tolerance 1e-6 relative to
// the largest gradient entry of each tensor (central differences of smooth functions are
// accurate to ~h^2 plus round-off ~1e-16 / h = 1e-10).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "backends.hpp"
#include "nn_probe.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class NnGradients : public ::testing::Test {};
TYPED_TEST_SUITE(NnGradients, AllBackends, BackendName);

void expect_gradients_match(const GradCheck& r) {
  ::testing::Test::RecordProperty("max_relative_error", std::to_string(r.max_error));
  std::printf("max relative error %.2e (%s, scale %.3g, %d entries)\n", r.max_error,
              r.worst.c_str(), r.scale, r.checked);
  EXPECT_GT(r.checked, 0);
  EXPECT_GT(r.scale, 0) << "the gradient of " << r.worst << " vanishes: nothing was checked";
  EXPECT_LT(r.max_error, 1e-6) << "worst tensor: " << r.worst << " (scale " << r.scale << ", "
                               << r.checked << " entries)";
}

#define TWINSIM_GRADIENT_CASE(test_name, case_name)                     \
  TYPED_TEST(NnGradients, test_name) {                                  \
    TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);                             \
    expect_gradients_match(nn_probe_for<TypeParam>().check(case_name)); \
  }

TWINSIM_GRADIENT_CASE(LinearOnFeatures, "linear_features")
TWINSIM_GRADIENT_CASE(LinearPointwiseOnFields, "linear_pointwise")
TWINSIM_GRADIENT_CASE(Relu, "relu")
TWINSIM_GRADIENT_CASE(Gelu, "gelu")
TWINSIM_GRADIENT_CASE(Tanh, "tanh")
TWINSIM_GRADIENT_CASE(Silu, "silu")
TWINSIM_GRADIENT_CASE(AppendGrid, "append_grid")
TWINSIM_GRADIENT_CASE(SpectralConv2d, "spectral_conv")
TWINSIM_GRADIENT_CASE(SpectralConv2dKeepingTheNyquistRow, "spectral_conv_nyquist_row")
TWINSIM_GRADIENT_CASE(ResidualAdd, "residual")
TWINSIM_GRADIENT_CASE(FourierBlock, "fourier_block")
TWINSIM_GRADIENT_CASE(Fno2dModel, "fno2d_model")
TWINSIM_GRADIENT_CASE(MlpModel, "mlp_model")
TWINSIM_GRADIENT_CASE(Fno2dRolloutOfThreeSteps, "fno2d_rollout_3_steps")
TWINSIM_GRADIENT_CASE(MseLoss, "mse_loss")
TWINSIM_GRADIENT_CASE(RelativeL2Loss, "relative_l2_loss")

TYPED_TEST(NnGradients, EveryProbeCaseHasATest) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  EXPECT_EQ(nn_probe_for<TypeParam>().cases().size(), 16u);
}

}  // namespace
}  // namespace twinsim::test
