#pragma once
// Backend tags for typed tests: every test body runs on every backend built, and the GPU
// cases skip with a message where no device is present.
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::test {

struct CpuTag {
  static constexpr core::Backend k_backend = core::Backend::Cpu;
  using Space = core::HostSpace;
  static const char* skip_reason() { return nullptr; }
};

struct GpuTag {
  static constexpr core::Backend k_backend = core::Backend::Gpu;
  using Space = core::DeviceSpace;
  static const char* skip_reason() {
    if (!TWINSIM_HAVE_CUDA) return "GPU case skipped: built without the CUDA backend";
    if (!core::gpu_available()) return "GPU case skipped: no CUDA device present";
    return nullptr;
  }
};

using AllBackends = ::testing::Types<CpuTag, GpuTag>;

struct BackendName {
  template <class Tag>
  static std::string GetName(int) {
    return std::string(core::to_string(Tag::k_backend));
  }
};

// A backend tag with a floating-point precision, for bodies typed over both.
template <class BackendTag, class RealT>
struct PrecisionCase : BackendTag {
  using Real = RealT;
};
using AllBackendsAndPrecisions =
    ::testing::Types<PrecisionCase<CpuTag, float>, PrecisionCase<CpuTag, double>,
                     PrecisionCase<GpuTag, float>, PrecisionCase<GpuTag, double>>;
struct BackendPrecisionName {
  template <class Case>
  static std::string GetName(int) {
    return std::string(core::to_string(Case::k_backend)) +
           (std::is_same_v<typename Case::Real, float> ? "_float" : "_double");
  }
};

}  // namespace twinsim::test

// First statement of a typed test body: skips the case where its backend cannot run.
#define TWINSIM_SKIP_IF_UNAVAILABLE(Tag)                  \
  do {                                                   \
    if (const char* why_ = Tag::skip_reason()) GTEST_SKIP() << why_; \
  } while (0)
