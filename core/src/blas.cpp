#include "twinsim/core/Blas.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "blas_backends.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim::core {

namespace detail {

void check_gemm_args(const char* call, Op op_a, Op op_b, int m, int n, int k, int lda, int ldb,
                     int ldc) {
  const auto require_size = [&](const char* name, int value) {
    if (value < 0) throw Error(fmt::format("{}: {} = {} is negative", call, name, value));
  };
  require_size("m", m);
  require_size("n", n);
  require_size("k", k);
  // Leading dimensions are at least the rows of the matrix as stored (column-major), and at
  // least 1 even for empty matrices, as BLAS requires.
  const auto require_ld = [&](const char* name, int ld, int rows, const char* matrix) {
    if (ld < std::max(1, rows))
      throw Error(fmt::format("{}: {} = {} is less than {}, the rows of {} as stored", call, name,
                              ld, std::max(1, rows), matrix));
  };
  require_ld("lda", lda, op_a == Op::N ? m : k, "A");
  require_ld("ldb", ldb, op_b == Op::N ? k : n, "B");
  require_ld("ldc", ldc, m, "C");
}

void check_batch_args(int n, int ldc, std::int64_t stride_a, std::int64_t stride_b,
                      std::int64_t stride_c, int batch) {
  constexpr const char* k_call = "gemm_strided_batched";
  if (batch < 0) throw Error(fmt::format("{}: batch = {} is negative", k_call, batch));
  // A stride of 0 is allowed for A and B (one matrix shared by the batch), never for C:
  // products written over each other would race on the GPU.
  if (stride_a < 0) throw Error(fmt::format("{}: stride_a = {} is negative", k_call, stride_a));
  if (stride_b < 0) throw Error(fmt::format("{}: stride_b = {} is negative", k_call, stride_b));
  const std::int64_t c_size = std::int64_t(ldc) * n;
  if (batch > 1 && stride_c < c_size)
    throw Error(fmt::format("{}: stride_c = {} is less than ldc * n = {}, so the products overlap",
                            k_call, stride_c, c_size));
}

}  // namespace detail

namespace {
constexpr const char* k_no_cuda =
    "GPU BLAS requested, but this Twinsim was built without the CUDA backend";
}  // namespace

template <class Real>
std::unique_ptr<Blas<Real>> make_blas(Backend backend) {
  if (backend == Backend::Cpu) return detail::make_openblas<Real>();
#if TWINSIM_HAVE_CUDA
  return detail::make_cublas<Real>();
#else
  throw Error(k_no_cuda);
#endif
}

template std::unique_ptr<Blas<float>> make_blas(Backend);
template std::unique_ptr<Blas<double>> make_blas(Backend);

}  // namespace twinsim::core
