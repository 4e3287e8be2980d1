// OpenBLAS implementation of Blas (host memory), single and double precision.
#include <cblas.h>

#include "blas_backends.hpp"
#include "twinsim/core/ExecCounts.hpp"

namespace twinsim::core::detail {

namespace {

template <class Real>
struct Cblas;
template <>
struct Cblas<float> {
  static constexpr auto gemm = cblas_sgemm;
};
template <>
struct Cblas<double> {
  static constexpr auto gemm = cblas_dgemm;
};

CBLAS_TRANSPOSE to_cblas(Op op) { return op == Op::N ? CblasNoTrans : CblasTrans; }

template <class Real>
class OpenBlas final : public Blas<Real> {
 public:
  void gemm(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a, int lda,
            const Real* b, int ldb, Real beta, Real* c, int ldc) override {
    check_gemm_args("gemm", op_a, op_b, m, n, k, lda, ldb, ldc);
    count_launch();
    Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, n, k, alpha, a, lda, b, ldb,
                      beta, c, ldc);
  }

  void gemm_strided_batched(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a,
                            int lda, std::int64_t stride_a, const Real* b, int ldb,
                            std::int64_t stride_b, Real beta, Real* c, int ldc,
                            std::int64_t stride_c, int batch) override {
    check_gemm_args("gemm_strided_batched", op_a, op_b, m, n, k, lda, ldb, ldc);
    check_batch_args(n, ldc, stride_a, stride_b, stride_c, batch);
    count_launch();
    // OpenBLAS 0.3.21 has no batched gemm; OpenBLAS threads each product itself.
    for (int i = 0; i < batch; ++i)
      Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, n, k, alpha,
                        a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
  }
};

}  // namespace

template <class Real>
std::unique_ptr<Blas<Real>> make_openblas() {
  return std::make_unique<OpenBlas<Real>>();
}

template std::unique_ptr<Blas<float>> make_openblas();
template std::unique_ptr<Blas<double>> make_openblas();

}  // namespace twinsim::core::detail
