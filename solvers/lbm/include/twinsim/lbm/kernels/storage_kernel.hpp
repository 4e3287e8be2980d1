#pragma once
// How populations are stored, apart from the arithmetic done on them. The kernels compute in
// Real (float or double) and store in Store: Real itself (FP32, FP64), or Fp16s, FluidX3D's
// FP16S: the IEEE 754 binary16 bits of g * 2^15, g = f - w the shifted population (storage
// halved, arithmetic FP32). The shifted populations are small (|g| well below 1 at lattice
// speeds up to ~0.3), so the factor 2^15 moves them away from binary16's subnormals (below
// 6.1e-5) into its normal range (largest 65504, so |g| < 1.999 is stored); a power of two, it
// changes no bit of the significand: the relative rounding error is binary16's, 2^-11.
// load() and store() convert one population; both are exact for Store = Real.
#include <cstdint>
#include <cstring>

#include "twinsim/core/HostDevice.hpp"
#if defined(__CUDACC__)
#include <cuda_fp16.h>
#endif

namespace twinsim::lbm {

// An FP16S population: binary16 bits of g * k_fp16s_scale.
struct Fp16s {
  std::uint16_t bits;
};
constexpr float k_fp16s_scale = 32768.0f;

// binary16 bits to float (exact). Portable on the host (the CPU build has no F16C by default;
// no FTZ), the hardware conversion on the GPU: the same values.
TWINSIM_HD inline float half_to_float(std::uint16_t h) {
#if defined(__CUDA_ARCH__)
  return __half2float(__ushort_as_half(h));
#else
  // F. Giesen's half_to_float: shift exponent and significand into place, rebias; infinities
  // and NaN get the largest exponent, subnormals are renormalised by one float subtraction.
  const std::uint32_t shifted_exp = 0x7c00u << 13;
  std::uint32_t u = std::uint32_t(h & 0x7fffu) << 13;
  const std::uint32_t exp = shifted_exp & u;
  u += (127u - 15u) << 23;
  float f;
  if (exp == shifted_exp) {
    u += (128u - 16u) << 23;
    std::memcpy(&f, &u, 4);
  } else if (exp == 0) {
    u += 1u << 23;
    std::memcpy(&f, &u, 4);
    f -= 6.103515625e-05f;  // 2^-14
  } else {
    std::memcpy(&f, &u, 4);
  }
  std::memcpy(&u, &f, 4);
  u |= std::uint32_t(h & 0x8000u) << 16;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// float to binary16 bits, rounded to nearest, ties to even (IEEE's default, OpenCL's
// vstore_half_rte as FluidX3D stores): overflow gives infinity, NaN stays NaN.
TWINSIM_HD inline std::uint16_t float_to_half(float value) {
#if defined(__CUDA_ARCH__)
  return __half_as_ushort(__float2half_rn(value));
#else
  // F. Giesen's float_to_half_fast3_rtne.
  std::uint32_t u;
  std::memcpy(&u, &value, 4);
  const std::uint32_t sign = u & 0x80000000u;
  u ^= sign;
  std::uint32_t o;
  if (u >= (127u + 16u) << 23) {  // |value| >= 2^16: infinity, or NaN
    o = u > 255u << 23 ? 0x7e00u : 0x7c00u;
  } else if (u < 113u << 23) {  // a subnormal binary16 or zero: the float addition rounds
    const std::uint32_t magic_bits = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    float f, magic;
    std::memcpy(&f, &u, 4);
    std::memcpy(&magic, &magic_bits, 4);
    f += magic;
    std::memcpy(&u, &f, 4);
    o = u - magic_bits;
  } else {  // normal: rebias, round half to even by adding 0xfff plus the kept last bit
    const std::uint32_t odd = (u >> 13) & 1u;
    u -= (127u - 15u) << 23;
    u += 0xfffu + odd;
    o = u >> 13;
  }
  return std::uint16_t(o | (sign >> 16));
#endif
}

template <class Real>
TWINSIM_HD inline Real load(float s) {
  return Real(s);
}
template <class Real>
TWINSIM_HD inline Real load(double s) {
  return Real(s);
}
template <class Real>
TWINSIM_HD inline Real load(Fp16s s) {
  return Real(half_to_float(s.bits) * (1.0f / k_fp16s_scale));
}

template <class Real>
TWINSIM_HD inline void store(float& s, Real g) {
  s = float(g);
}
template <class Real>
TWINSIM_HD inline void store(double& s, Real g) {
  s = double(g);
}
template <class Real>
TWINSIM_HD inline void store(Fp16s& s, Real g) {
  s.bits = float_to_half(float(g) * k_fp16s_scale);
}

}  // namespace twinsim::lbm
