#pragma once
// TWINSIM_HD marks functions that are compiled for both the host and, under nvcc, the device.
// Physics kernels (*_kernel.hpp) are written once with it and called from both backends.
#if defined(__CUDACC__)
#define TWINSIM_HD __host__ __device__
#else
#define TWINSIM_HD
#endif

#include <cstdint>

namespace twinsim::core {
// Index of a loop over elements: 64 bits, so 2048^3 grids and 19 populations per cell fit.
using Index = std::int64_t;
}  // namespace twinsim::core
