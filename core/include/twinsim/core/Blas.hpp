#pragma once
#include <cstdint>
#include <memory>

#include "twinsim/core/Backend.hpp"

namespace twinsim::core {

// Dense matrix products behind one interface: OpenBLAS on Cpu, cuBLAS on Gpu.
// Column-major storage, as BLAS. For row-major C = A B call gemm(.., B, A, ..) with m and n
// swapped. Pointers are in the backend's memory (host for Cpu, device for Gpu).
enum class Op { N, T };

template <class Real>
class Blas {
 public:
  virtual ~Blas() = default;
  // C = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) is k x n, C is m x n.
  virtual void gemm(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a, int lda,
                    const Real* b, int ldb, Real beta, Real* c, int ldc) = 0;
  // The same for batch independent products; matrix i starts at a + i * stride_a, etc.
  virtual void gemm_strided_batched(Op op_a, Op op_b, int m, int n, int k, Real alpha,
                                    const Real* a, int lda, std::int64_t stride_a, const Real* b,
                                    int ldb, std::int64_t stride_b, Real beta, Real* c, int ldc,
                                    std::int64_t stride_c, int batch) = 0;
};

// Real is float or double. Throws Error when the backend's library cannot start.
template <class Real>
std::unique_ptr<Blas<Real>> make_blas(Backend backend);

}  // namespace twinsim::core
