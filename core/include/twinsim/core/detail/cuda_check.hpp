#pragma once
// Turns a failing CUDA runtime call into a core::Error naming the call and where it was made.
#include <cuda_runtime_api.h>

#include "twinsim/core/Error.hpp"

#define TWINSIM_CUDA_CHECK(call)                                                     \
  do {                                                                               \
    const cudaError_t twinsim_err_ = (call);                                         \
    if (twinsim_err_ != cudaSuccess)                                                 \
      ::twinsim::core::throw_call_error(#call, __FILE__, __LINE__,                   \
                                        cudaGetErrorString(twinsim_err_));           \
  } while (0)
