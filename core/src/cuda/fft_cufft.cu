// cuFFT implementation of RealFft and ComplexFft (device memory), single and double precision.
// All work is queued on the default stream, like the rest of the GPU backend. cuFFT is opened
// at the first plan (vendor_library.hpp), not linked.
#include <cufft.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "../fft_backends.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"
#include "vendor_library.hpp"

namespace twinsim::core::detail {

namespace {

// The cuFFT functions this file calls, from libcufft.so.<major of the build's cuFFT>.
// clang-format off
#define TWINSIM_CUFFT_FUNCTIONS(X)                                                    \
  X(cufftCreate) X(cufftDestroy) X(cufftSetAutoAllocation) X(cufftMakePlanMany)       \
  X(cufftSetWorkArea) X(cufftExecR2C) X(cufftExecC2R) X(cufftExecC2C) X(cufftExecD2Z) \
  X(cufftExecZ2D) X(cufftExecZ2Z)
// clang-format on
struct CufftFunctions {
  TWINSIM_CUFFT_FUNCTIONS(TWINSIM_VENDOR_MEMBER)
};

// Opened at the first call; a failure (cuFFT missing) is thrown again at the next.
const VendorLibrary& cufft_file() {
  static const VendorLibrary library("cuFFT",
                                     "libcufft.so." TWINSIM_VENDOR_STRING(CUFFT_VER_MAJOR));
  return library;
}

const CufftFunctions& cufft() {
  static const CufftFunctions functions = [] {
    const VendorLibrary& library = cufft_file();
    CufftFunctions table;
    TWINSIM_CUFFT_FUNCTIONS(TWINSIM_VENDOR_LOOKUP)
    return table;
  }();
  return functions;
}

const char* cufft_result_name(cufftResult r) {
  switch (r) {
#define TWINSIM_CUFFT_NAME(value) \
  case value:                     \
    return #value;
    TWINSIM_CUFFT_NAME(CUFFT_SUCCESS)
    TWINSIM_CUFFT_NAME(CUFFT_INVALID_PLAN)
    TWINSIM_CUFFT_NAME(CUFFT_ALLOC_FAILED)
    TWINSIM_CUFFT_NAME(CUFFT_INVALID_TYPE)
    TWINSIM_CUFFT_NAME(CUFFT_INVALID_VALUE)
    TWINSIM_CUFFT_NAME(CUFFT_INTERNAL_ERROR)
    TWINSIM_CUFFT_NAME(CUFFT_EXEC_FAILED)
    TWINSIM_CUFFT_NAME(CUFFT_SETUP_FAILED)
    TWINSIM_CUFFT_NAME(CUFFT_INVALID_SIZE)
    TWINSIM_CUFFT_NAME(CUFFT_UNALIGNED_DATA)
    TWINSIM_CUFFT_NAME(CUFFT_INVALID_DEVICE)
    TWINSIM_CUFFT_NAME(CUFFT_NO_WORKSPACE)
    TWINSIM_CUFFT_NAME(CUFFT_NOT_IMPLEMENTED)
    TWINSIM_CUFFT_NAME(CUFFT_NOT_SUPPORTED)
    TWINSIM_CUFFT_NAME(CUFFT_MISSING_DEPENDENCY)
    TWINSIM_CUFFT_NAME(CUFFT_NVRTC_FAILURE)
    TWINSIM_CUFFT_NAME(CUFFT_NVJITLINK_FAILURE)
    TWINSIM_CUFFT_NAME(CUFFT_NVSHMEM_FAILURE)
#undef TWINSIM_CUFFT_NAME
  }
  return "unknown cufftResult";
}

// Calls cuFFT function f with the arguments that follow; a failure throws naming f.
#define TWINSIM_CUFFT_CALL(f, ...)                                                                \
  do {                                                                                            \
    const cufftResult twinsim_res_ = cufft().f(__VA_ARGS__);                                      \
    if (twinsim_res_ != CUFFT_SUCCESS)                                                            \
      ::twinsim::core::throw_call_error(#f, __FILE__, __LINE__, cufft_result_name(twinsim_res_)); \
  } while (0)

// cuFFT's single (C2C, R2C, C2R) and double (Z2Z, D2Z, Z2D) calls behind one set of names.
// Pointers are device memory.
template <class Real>
struct Cufft;

template <>
struct Cufft<float> {
  using Scalar = cufftReal;
  using Cplx = cufftComplex;
  static constexpr cufftType k_r2c = CUFFT_R2C;
  static constexpr cufftType k_c2r = CUFFT_C2R;
  static constexpr cufftType k_c2c = CUFFT_C2C;
  static void r2c(cufftHandle p, Scalar* in, Cplx* out) {
    TWINSIM_CUFFT_CALL(cufftExecR2C, p, in, out);
  }
  static void c2r(cufftHandle p, Cplx* in, Scalar* out) {
    TWINSIM_CUFFT_CALL(cufftExecC2R, p, in, out);
  }
  static void c2c(cufftHandle p, Cplx* in, Cplx* out, int sign) {
    TWINSIM_CUFFT_CALL(cufftExecC2C, p, in, out, sign);
  }
};

template <>
struct Cufft<double> {
  using Scalar = cufftDoubleReal;
  using Cplx = cufftDoubleComplex;
  static constexpr cufftType k_r2c = CUFFT_D2Z;
  static constexpr cufftType k_c2r = CUFFT_Z2D;
  static constexpr cufftType k_c2c = CUFFT_Z2Z;
  static void r2c(cufftHandle p, Scalar* in, Cplx* out) {
    TWINSIM_CUFFT_CALL(cufftExecD2Z, p, in, out);
  }
  static void c2r(cufftHandle p, Cplx* in, Scalar* out) {
    TWINSIM_CUFFT_CALL(cufftExecZ2D, p, in, out);
  }
  static void c2c(cufftHandle p, Cplx* in, Cplx* out, int sign) {
    TWINSIM_CUFFT_CALL(cufftExecZ2Z, p, in, out, sign);
  }
};

// The work areas of the plans: one device area per transform size (shape and batch), grown to
// the largest any plan of that size asks for. All plans run one after another on the default
// stream, so the forward and inverse plans of a size, and every object of that size, share one
// area instead of cuFFT allocating one per plan. Each execution hands its plan the area as it is
// now (growing frees the old one with cudaFree, which waits for the transforms using it).
void* shared_work_area(const std::vector<int>& size, std::size_t bytes) {
  static std::map<std::vector<int>, Buffer<unsigned char, DeviceSpace>> areas;
  Buffer<unsigned char, DeviceSpace>& area = areas[size];
  if (bytes > area.size()) area = Buffer<unsigned char, DeviceSpace>(bytes);
  return area.data();
}

// One cuFFT plan: a batch of transforms over contiguous, unpadded arrays, transform i starting
// at i * (values per transform), its work area the shared one of its size. Handle creation and
// planning are separate calls so that a refused plan still releases its handle.
class Plan {
 public:
  Plan(std::vector<int> shape, std::vector<int> in_shape, std::vector<int> out_shape,
       cufftType type, int batch)
      : m_size(shape) {
    m_size.push_back(batch);
    TWINSIM_CUFFT_CALL(cufftSetAutoAllocation, m_handle.get(), 0);
    TWINSIM_CUFFT_CALL(cufftMakePlanMany, m_handle.get(), int(shape.size()), shape.data(),
                       in_shape.data(), 1, element_count(in_shape), out_shape.data(), 1,
                       element_count(out_shape), type, batch, &m_work_bytes);
  }
  // The handle, ready to execute: its work area set.
  cufftHandle get() const {
    if (m_work_bytes > 0)
      TWINSIM_CUFFT_CALL(cufftSetWorkArea, m_handle.get(), shared_work_area(m_size, m_work_bytes));
    return m_handle.get();
  }

 private:
  class Handle {
   public:
    Handle() { TWINSIM_CUFFT_CALL(cufftCreate, &m_handle); }
    ~Handle() { cufft().cufftDestroy(m_handle); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    cufftHandle get() const { return m_handle; }

   private:
    cufftHandle m_handle{};
  };
  Handle m_handle;
  std::vector<int> m_size;  // shape, then batch
  std::size_t m_work_bytes = 0;
};

template <class Real>
typename Cufft<Real>::Cplx* as_cufft(Complex<Real>* d_p) {
  return reinterpret_cast<typename Cufft<Real>::Cplx*>(d_p);
}

// cuFFT reads real arrays in pairs: they must be aligned as a complex value.
template <class Real>
void require_complex_aligned(const Real* d_p) {
  TWINSIM_REQUIRE(reinterpret_cast<std::uintptr_t>(d_p) % sizeof(Complex<Real>) == 0,
                  "RealFft on GPU: real arrays must start on a complex-value boundary");
}

template <class Real>
class CufftRealFft final : public FftShape<RealFft<Real>> {
  using C = Cufft<Real>;

 public:
  // Each direction is planned at its first use (a transform used one way only plans once).
  CufftRealFft(const std::vector<int>& shape, int batch) : FftShape<RealFft<Real>>(shape, batch) {}

  void forward(const Real* d_in, Complex<Real>* d_out) override {
    require_out_of_place(d_in, d_out);
    require_complex_aligned(d_in);
    // Out of place, R2C leaves its input intact; only C2R may overwrite it.
    if (!m_forward)
      m_forward.emplace(this->shape(), this->shape(), hermitian_shape(this->shape()), C::k_r2c,
                        this->batch());
    C::r2c(m_forward->get(), const_cast<Real*>(d_in), as_cufft(d_out));
    launched("cuFFT r2c", __FILE__, __LINE__);
  }

  void inverse(Complex<Real>* d_in, Real* d_out) override {
    require_out_of_place(d_in, d_out);
    require_complex_aligned(d_out);
    if (!m_inverse)
      m_inverse.emplace(this->shape(), hermitian_shape(this->shape()), this->shape(), C::k_c2r,
                        this->batch());
    C::c2r(m_inverse->get(), as_cufft(d_in), d_out);
    launched("cuFFT c2r", __FILE__, __LINE__);
  }

 private:
  std::optional<Plan> m_forward;
  std::optional<Plan> m_inverse;
};

template <class Real>
class CufftComplexFft final : public FftShape<ComplexFft<Real>> {
  using C = Cufft<Real>;

 public:
  // One C2C plan serves both signs and both placements.
  CufftComplexFft(const std::vector<int>& shape, int batch)
      : FftShape<ComplexFft<Real>>(shape, batch), m_plan(shape, shape, shape, C::k_c2c, batch) {}

  void forward(const Complex<Real>* d_in, Complex<Real>* d_out) override {
    execute(d_in, d_out, CUFFT_FORWARD);
  }
  void inverse(const Complex<Real>* d_in, Complex<Real>* d_out) override {
    execute(d_in, d_out, CUFFT_INVERSE);
  }

 private:
  void execute(const Complex<Real>* d_in, Complex<Real>* d_out, int sign) {
    // Out of place, C2C leaves its input intact.
    C::c2c(m_plan.get(), as_cufft(const_cast<Complex<Real>*>(d_in)), as_cufft(d_out), sign);
    launched("cuFFT c2c", __FILE__, __LINE__);
  }

  Plan m_plan;
};

}  // namespace

template <class Real>
std::unique_ptr<RealFft<Real>> make_cufft_real_fft(const std::vector<int>& shape, int batch) {
  return std::make_unique<CufftRealFft<Real>>(shape, batch);
}

template <class Real>
std::unique_ptr<ComplexFft<Real>> make_cufft_complex_fft(const std::vector<int>& shape, int batch) {
  return std::make_unique<CufftComplexFft<Real>>(shape, batch);
}

template std::unique_ptr<RealFft<float>> make_cufft_real_fft(const std::vector<int>&, int);
template std::unique_ptr<RealFft<double>> make_cufft_real_fft(const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<float>> make_cufft_complex_fft(const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<double>> make_cufft_complex_fft(const std::vector<int>&, int);

std::string cufft_library() {
  try {
    return cufft_file().path();
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace twinsim::core::detail
