// cuBLAS implementation of Blas (device memory), single and double precision. All work is
// queued on the default stream, like the rest of the GPU backend. The handle keeps cuBLAS's
// default math mode, which never uses TF32, so float products are FP32-accurate. cuBLAS is opened
// at the first handle (vendor_library.hpp), not linked; it finds its cuBLASLt beside itself.
#include <cublas_v2.h>
#include <fmt/format.h>

#include "../blas_backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"
#include "vendor_library.hpp"

namespace twinsim::core::detail {

namespace {

// The cuBLAS functions this file calls (cublas_v2.h maps cublasCreate to cublasCreate_v2, ...),
// from libcublas.so.<major of the build's cuBLAS>.
// clang-format off
#define TWINSIM_CUBLAS_FUNCTIONS(X)                                                   \
  X(cublasCreate_v2) X(cublasDestroy_v2) X(cublasSgemm_v2) X(cublasDgemm_v2)          \
  X(cublasSgemmStridedBatched) X(cublasDgemmStridedBatched) X(cublasGetStatusName)   \
  X(cublasGetStatusString)
// clang-format on
struct CublasFunctions {
  TWINSIM_CUBLAS_FUNCTIONS(TWINSIM_VENDOR_MEMBER)
};

// Opened at the first call; a failure (cuBLAS missing) is thrown again at the next.
const VendorLibrary& cublas_file() {
  static const VendorLibrary library("cuBLAS",
                                     "libcublas.so." TWINSIM_VENDOR_STRING(CUBLAS_VER_MAJOR));
  return library;
}

const CublasFunctions& cublas() {
  static const CublasFunctions functions = [] {
    const VendorLibrary& library = cublas_file();
    CublasFunctions table;
    TWINSIM_CUBLAS_FUNCTIONS(TWINSIM_VENDOR_LOOKUP)
    return table;
  }();
  return functions;
}

void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw_call_error(call, file, line,
                     fmt::format("{} ({})", cublas().cublasGetStatusName(status),
                                 cublas().cublasGetStatusString(status)));
}

// cuBLAS's single and double precision calls behind one set of names.
template <class Real>
struct Cublas;
template <>
struct Cublas<float> {
  static auto gemm() { return cublas().cublasSgemm_v2; }
  static auto gemm_strided_batched() { return cublas().cublasSgemmStridedBatched; }
  static constexpr const char* k_gemm = "cublasSgemm";
  static constexpr const char* k_gemm_strided_batched = "cublasSgemmStridedBatched";
};
template <>
struct Cublas<double> {
  static auto gemm() { return cublas().cublasDgemm_v2; }
  static auto gemm_strided_batched() { return cublas().cublasDgemmStridedBatched; }
  static constexpr const char* k_gemm = "cublasDgemm";
  static constexpr const char* k_gemm_strided_batched = "cublasDgemmStridedBatched";
};

cublasOperation_t to_cublas(Op op) { return op == Op::N ? CUBLAS_OP_N : CUBLAS_OP_T; }

// Owns one cuBLAS handle. Its stream is the default stream and its pointer mode is host:
// alpha and beta are read from host memory.
class Handle {
 public:
  Handle() {
    check_cublas(cublas().cublasCreate_v2(&m_handle), "cublasCreate", __FILE__, __LINE__);
  }
  ~Handle() { cublas().cublasDestroy_v2(m_handle); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  cublasHandle_t get() const { return m_handle; }

 private:
  cublasHandle_t m_handle{};
};

template <class Real>
class CuBlas final : public Blas<Real> {
  using C = Cublas<Real>;

 public:
  void gemm(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* d_a, int lda,
            const Real* d_b, int ldb, Real beta, Real* d_c, int ldc) override {
    check_gemm_args("gemm", op_a, op_b, m, n, k, lda, ldb, ldc);
    check_cublas(C::gemm()(m_handle.get(), to_cublas(op_a), to_cublas(op_b), m, n, k, &alpha, d_a,
                           lda, d_b, ldb, &beta, d_c, ldc),
                 C::k_gemm, __FILE__, __LINE__);
    launched(C::k_gemm, __FILE__, __LINE__);
  }

  void gemm_strided_batched(Op op_a, Op op_b, int m, int n, int k, Real alpha, const Real* d_a,
                            int lda, std::int64_t stride_a, const Real* d_b, int ldb,
                            std::int64_t stride_b, Real beta, Real* d_c, int ldc,
                            std::int64_t stride_c, int batch) override {
    check_gemm_args("gemm_strided_batched", op_a, op_b, m, n, k, lda, ldb, ldc);
    check_batch_args(n, ldc, stride_a, stride_b, stride_c, batch);
    check_cublas(C::gemm_strided_batched()(m_handle.get(), to_cublas(op_a), to_cublas(op_b), m, n,
                                           k, &alpha, d_a, lda, stride_a, d_b, ldb, stride_b, &beta,
                                           d_c, ldc, stride_c, batch),
                 C::k_gemm_strided_batched, __FILE__, __LINE__);
    launched(C::k_gemm_strided_batched, __FILE__, __LINE__);
  }

 private:
  Handle m_handle;
};

}  // namespace

template <class Real>
std::unique_ptr<Blas<Real>> make_cublas() {
  return std::make_unique<CuBlas<Real>>();
}

template std::unique_ptr<Blas<float>> make_cublas();
template std::unique_ptr<Blas<double>> make_cublas();

std::string cublas_library() {
  try {
    return cublas_file().path();
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace twinsim::core::detail
