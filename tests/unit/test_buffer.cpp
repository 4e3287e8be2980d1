// Buffer ownership and copies between memory spaces, on every backend built.
#include <gtest/gtest.h>

#include "backends.hpp"
#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class BufferTest : public ::testing::Test {};
TYPED_TEST_SUITE(BufferTest, AllBackends, BackendName);

TYPED_TEST(BufferTest, RoundTripsThroughTheBackendSpace) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const std::vector<float> h = {1.5f, -2.0f, 3.25f, 0.0f, 1e30f};
  const auto d = core::Buffer<float, typename TypeParam::Space>::from_host(h);
  EXPECT_EQ(d.size(), h.size());
  EXPECT_EQ(d.bytes(), h.size() * sizeof(float));
  core::Buffer<float, typename TypeParam::Space> d2(h.size());
  core::copy(d2, d);
  core::Buffer<float, core::HostSpace> back(h.size());
  core::copy(back, d2);
  EXPECT_EQ(core::to_host(back), h);
}

TYPED_TEST(BufferTest, MoveTransfersOwnership) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  auto a = core::Buffer<int, typename TypeParam::Space>::from_host({1, 2, 3});
  const int* p = a.data();
  core::Buffer<int, typename TypeParam::Space> b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_TRUE(a.empty());
  a = std::move(b);
  EXPECT_EQ(core::to_host(a), (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(BufferTest, CopyOfDifferentSizesIsAnError) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  core::Buffer<double, typename TypeParam::Space> a(3), b(4);
  EXPECT_THROW(core::copy(a, b), core::Error);
}

TEST(Buffer, HostMemoryIsCacheLineAligned) {
  core::Buffer<char, core::HostSpace> b(3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 64, 0u);
}

TEST(Backend, SelectionFollowsTheRequest) {
  EXPECT_EQ(core::select_backend("cpu"), core::Backend::Cpu);
  EXPECT_EQ(core::select_backend("auto"),
            core::gpu_available() ? core::Backend::Gpu : core::Backend::Cpu);
  try {
    core::select_backend("tpu");
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_STREQ(e.what(), "--device 'tpu': expected one of auto, cpu, gpu");
  }
}

// (No "gpu" in the name: the GPU filter would take it, and it skips where a GPU is present.)
TEST(Backend, DeviceRequestWithoutADeviceIsAClearError) {
  if (core::gpu_available()) GTEST_SKIP() << "a GPU is present";
  try {
    core::select_backend("gpu");
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--device gpu:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use --device cpu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace twinsim::test
