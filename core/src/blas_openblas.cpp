// OpenBLAS implementation of Blas (host memory), single and double precision.
//
// Threads: OpenBLAS runs single-threaded and the products are spread over OpenMP's threads
// here. Debian's default OpenBLAS keeps its own pthreads pool; alternating its parallel GEMMs
// with OpenMP's parallel kernels left each pool's idle threads spinning on the cores the other
// pool needed (measured, FNO training on 2 threads: 43 % of the CPU time in libgomp's spin and
// 10 % in OpenBLAS's sched_yield). One pool, OpenMP's, does all the work now.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <mutex>

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

// OpenBLAS's own threads off, once per process (openblas_set_num_threads is global).
void single_threaded_openblas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

// A product of at least this many multiply-adds is cut into parts of k_part rows (or columns)
// of C; smaller ones run whole on the calling thread (a parallel region costs microseconds).
constexpr double k_parallel_work = 1 << 20;
constexpr int k_part = 256;

// C (m x n, column-major) = alpha op(A) op(B) + beta C, the larger of C's two dimensions cut
// into parts of k_part, each a single-threaded product, spread over OpenMP's threads. The cut
// does not depend on the thread count, so neither do the results (bit for bit).
template <class Real>
void parallel_gemm(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a, int lda,
                   const Real* b, int ldb, Real beta, Real* c, int ldc) {
  const bool split_rows = m >= n;
  const int extent = split_rows ? m : n;
  if (double(m) * n * k < k_parallel_work || extent < 2 * k_part) {
    Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, n, k, alpha, a, lda, b,
                      ldb, beta, c, ldc);
    return;
  }
  const int parts = (extent + k_part - 1) / k_part;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int part = 0; part < parts; ++part) {
    const int first = part * k_part, count = std::min(k_part, extent - first);
    if (split_rows)  // rows first.. of op(A) and of C
      Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), count, n, k, alpha,
                        op_a == Op::N ? a + first : a + std::int64_t(first) * lda, lda, b, ldb,
                        beta, c + first, ldc);
    else  // columns first.. of op(B) and of C
      Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, count, k, alpha, a, lda,
                        op_b == Op::N ? b + std::int64_t(first) * ldb : b + first, ldb, beta,
                        c + std::int64_t(first) * ldc, ldc);
  }
}

template <class Real>
class OpenBlas final : public Blas<Real> {
 public:
  void gemm(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a, int lda,
            const Real* b, int ldb, Real beta, Real* c, int ldc) override {
    check_gemm_args("gemm", op_a, op_b, m, n, k, lda, ldb, ldc);
    count_launch();
    parallel_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  void gemm_strided_batched(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* a,
                            int lda, std::int64_t stride_a, const Real* b, int ldb,
                            std::int64_t stride_b, Real beta, Real* c, int ldc,
                            std::int64_t stride_c, int batch) override {
    check_gemm_args("gemm_strided_batched", op_a, op_b, m, n, k, lda, ldb, ldc);
    check_batch_args(n, ldc, stride_a, stride_b, stride_c, batch);
    count_launch();
    // OpenBLAS 0.3.21 has no batched gemm: the products go to the threads whole, each one
    // single-threaded (the same bits on whichever thread and for any thread count).
#pragma omp parallel for schedule(static) if (batch > 1 && !omp_in_parallel())
    for (int i = 0; i < batch; ++i)
      Cblas<Real>::gemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, n, k, alpha,
                        a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
  }
};

}  // namespace

template <class Real>
std::unique_ptr<Blas<Real>> make_openblas() {
  single_threaded_openblas();
  return std::make_unique<OpenBlas<Real>>();
}

template std::unique_ptr<Blas<float>> make_openblas();
template std::unique_ptr<Blas<double>> make_openblas();

}  // namespace twinsim::core::detail
