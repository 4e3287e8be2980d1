#pragma once
// Counter-based random numbers (Random123 Philox4x32-10). A value depends only on
// (seed, stream, counter), so both backends and any thread count draw the same numbers, and
// a restarted run continues the same stream without saving generator state.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::core {

class Philox {
 public:
  using Word4 = r123::Philox4x32::ctr_type;

  TWINSIM_HD Philox(std::uint64_t seed, std::uint64_t stream) : m_seed(seed), m_stream(stream) {}

  // Four independent 32-bit words for this counter value.
  TWINSIM_HD Word4 words(std::uint64_t counter) const {
    const r123::Philox4x32::key_type key = {
        {static_cast<std::uint32_t>(m_seed), static_cast<std::uint32_t>(m_seed >> 32)}};
    const Word4 ctr = {{static_cast<std::uint32_t>(counter),
                        static_cast<std::uint32_t>(counter >> 32),
                        static_cast<std::uint32_t>(m_stream),
                        static_cast<std::uint32_t>(m_stream >> 32)}};
    return r123::Philox4x32()(ctr, key);
  }

  // Two doubles uniform on the open interval (0, 1), 53 random bits each.
  TWINSIM_HD void uniform2(std::uint64_t counter, double& u0, double& u1) const {
    const Word4 w = words(counter);
    u0 = to_unit(w.v[0], w.v[1]);
    u1 = to_unit(w.v[2], w.v[3]);
  }

  // Two independent standard normal doubles (Box-Muller).
  TWINSIM_HD void normal2(std::uint64_t counter, double& z0, double& z1) const {
    double u0, u1;
    uniform2(counter, u0, u1);
    const double r = sqrt(-2.0 * log(u0));
    const double phi = 6.283185307179586476925 * u1;
    z0 = r * cos(phi);
    z1 = r * sin(phi);
  }

 private:
  TWINSIM_HD static double to_unit(std::uint32_t lo, std::uint32_t hi) {
    const std::uint64_t bits = ((std::uint64_t(hi) << 32) | lo) >> 11;  // 53 bits
    return (double(bits) + 0.5) * (1.0 / 9007199254740992.0);          // 2^-53
  }

  std::uint64_t m_seed;
  std::uint64_t m_stream;
};

}  // namespace twinsim::core
