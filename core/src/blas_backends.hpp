#pragma once
// Internal to twinsim_core: the per-vendor constructors behind make_blas, and the argument
// checks every vendor runs first so that all report a bad call the same way.
#include <cstdint>
#include <memory>
#include <string>

#include "twinsim/core/Blas.hpp"

namespace twinsim::core::detail {

// Throws Error naming the first bad argument of a gemm call (call: "gemm" or
// "gemm_strided_batched").
void check_gemm_args(const char* call, Op op_a, Op op_b, int m, int n, int k, int lda, int ldb,
                     int ldc);
// The same for what gemm_strided_batched adds.
void check_batch_args(int n, int ldc, std::int64_t stride_a, std::int64_t stride_b,
                      std::int64_t stride_c, int batch);

// OpenBLAS, host memory (blas_openblas.cpp).
template <class Real>
std::unique_ptr<Blas<Real>> make_openblas();

// cuBLAS, device memory (cuda/blas_cublas.cu); defined only when TWINSIM_HAVE_CUDA.
template <class Real>
std::unique_ptr<Blas<Real>> make_cublas();
// For twinsim info: the cuBLAS library the GPU backend opens (its file), or why it cannot.
std::string cublas_library();

}  // namespace twinsim::core::detail
