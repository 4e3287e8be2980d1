// FFTW implementation of RealFft and ComplexFft (host memory), double and single precision.
#include <fftw3.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <mutex>
#include <new>
#include <string>
#include <type_traits>

#include "fft_backends.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::core::detail {

namespace {

// The two FFTW libraries, fftw_ (double) and fftwf_ (float), behind one set of names.
template <class Real>
struct Fftw;

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  using Cplx = fftw_complex;
  static constexpr const char* k_prefix = "fftw";
  static constexpr auto init_threads = fftw_init_threads;
  static constexpr auto threads_set_callback = fftw_threads_set_callback;
  static constexpr auto plan_with_nthreads = fftw_plan_with_nthreads;
  static constexpr auto plan_many_dft = fftw_plan_many_dft;
  static constexpr auto plan_many_r2c = fftw_plan_many_dft_r2c;
  static constexpr auto plan_many_c2r = fftw_plan_many_dft_c2r;
  static constexpr auto execute_dft = fftw_execute_dft;
  static constexpr auto execute_r2c = fftw_execute_dft_r2c;
  static constexpr auto execute_c2r = fftw_execute_dft_c2r;
  static constexpr auto destroy_plan = fftw_destroy_plan;
  static constexpr auto alignment_of = fftw_alignment_of;
  static constexpr auto malloc = fftw_malloc;
  static constexpr auto free = fftw_free;
};

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  using Cplx = fftwf_complex;
  static constexpr const char* k_prefix = "fftwf";
  static constexpr auto init_threads = fftwf_init_threads;
  static constexpr auto threads_set_callback = fftwf_threads_set_callback;
  static constexpr auto plan_with_nthreads = fftwf_plan_with_nthreads;
  static constexpr auto plan_many_dft = fftwf_plan_many_dft;
  static constexpr auto plan_many_r2c = fftwf_plan_many_dft_r2c;
  static constexpr auto plan_many_c2r = fftwf_plan_many_dft_c2r;
  static constexpr auto execute_dft = fftwf_execute_dft;
  static constexpr auto execute_r2c = fftwf_execute_dft_r2c;
  static constexpr auto execute_c2r = fftwf_execute_dft_c2r;
  static constexpr auto destroy_plan = fftwf_destroy_plan;
  static constexpr auto alignment_of = fftwf_alignment_of;
  static constexpr auto malloc = fftwf_malloc;
  static constexpr auto free = fftwf_free;
};

// FFTW's planner (making and destroying plans, thread setup) is not thread-safe; executing a
// plan is. One lock for both precisions is simplest and planning is rare.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class Real>
struct PlanDeleter {
  void operator()(typename Fftw<Real>::Plan p) const {
    std::lock_guard<std::mutex> lock(planner_mutex());
    Fftw<Real>::destroy_plan(p);
  }
};
template <class Real>
using PlanPtr =
    std::unique_ptr<std::remove_pointer_t<typename Fftw<Real>::Plan>, PlanDeleter<Real>>;

// FFTW's parallel loops run on OpenMP's threads (fftw_threads_set_callback, FFTW >= 3.3.9)
// rather than in a pthreads pool of FFTW's own, whose idle threads would compete for the cores
// with OpenMP's between transforms. Called from inside a parallel region, a transform runs on
// the calling thread (nested regions are inactive).
void openmp_parallel_loop(void* (*work)(char*), char* jobdata, std::size_t elsize, int njobs,
                          void* /*data*/) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < njobs; ++i) work(jobdata + elsize * std::size_t(i));
}

// Called with the planner lock held: once per precision, as FFTW asks.
template <class Real>
void init_threads_once() {
  static const int k_threads_ok = [] {
    const int ok = Fftw<Real>::init_threads();
    if (ok) Fftw<Real>::threads_set_callback(openmp_parallel_loop, nullptr);
    return ok;
  }();
  if (!k_threads_ok)
    throw_call_error(fmt::format("{}_init_threads", Fftw<Real>::k_prefix).c_str(), __FILE__,
                     __LINE__, "FFTW could not start its threads");
}

// plan(flags) calls one FFTW planner; the caller holds no lock.
template <class Real, class Planner>
PlanPtr<Real> make_plan(const Planner& plan, unsigned flags, const std::string& call,
                        const std::string& what) {
  typename Fftw<Real>::Plan p = nullptr;
  {
    std::lock_guard<std::mutex> lock(planner_mutex());
    init_threads_once<Real>();
    // Set for every plan: it is global planner state, and omp_set_num_threads may have changed.
    Fftw<Real>::plan_with_nthreads(omp_get_max_threads());
    p = plan(flags);
  }
  if (!p) throw_call_error(call.c_str(), __FILE__, __LINE__, what);
  return PlanPtr<Real>(p);
}

// Plans are made before the caller's arrays exist, then run on them by FFTW's new-array
// execute, which needs arrays aligned as those planned with. So each transform gets two plans:
// one with SIMD kernels for arrays aligned as fftw_malloc aligns them (Buffer's 64-byte host
// memory always is), and an FFTW_UNALIGNED one for other addresses (an offset into a Buffer).
// Measured on the development machine: 32^3 complex doubles in 0.18 ms aligned, 0.50 ms not.
template <class Real>
class PlanPair {
 public:
  PlanPair() = default;
  template <class Planner>  // Planner: unsigned flags -> Fftw<Real>::Plan
  PlanPair(const Planner& plan, const std::string& call, const std::string& what)
      : m_aligned(make_plan<Real>(plan, FFTW_ESTIMATE, call, what)),
        m_unaligned(make_plan<Real>(plan, FFTW_ESTIMATE | FFTW_UNALIGNED, call, what)) {}

  // in, out: host arrays about to be transformed, viewed as Real for FFTW's alignment test.
  typename Fftw<Real>::Plan select(void* in, void* out) const {
    const auto aligned = [](void* p) {
      return Fftw<Real>::alignment_of(static_cast<Real*>(p)) == 0;
    };
    return aligned(in) && aligned(out) ? m_aligned.get() : m_unaligned.get();
  }

 private:
  PlanPtr<Real> m_aligned;
  PlanPtr<Real> m_unaligned;
};

// Host memory from fftw_malloc to plan on. FFTW_ESTIMATE never touches the arrays it plans with,
// so this lends only addresses (alignment, in place or not): untouched pages cost no memory.
template <class Real>
class Scratch {
 public:
  explicit Scratch(std::size_t bytes) : m_data(Fftw<Real>::malloc(bytes)) {
    if (!m_data) throw std::bad_alloc();
  }
  ~Scratch() { Fftw<Real>::free(m_data); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(m_data);
  }

 private:
  void* m_data;
};

template <class Real>
typename Fftw<Real>::Cplx* as_fftw(Complex<Real>* p) {
  return reinterpret_cast<typename Fftw<Real>::Cplx*>(p);
}

std::string describe(const std::vector<int>& shape, int batch) {
  return fmt::format("no plan for shape [{}], batch {}", fmt::join(shape, ", "), batch);
}

template <class Real>
class FftwRealFft final : public FftShape<RealFft<Real>> {
  using F = Fftw<Real>;
  using Cplx = typename F::Cplx;

 public:
  FftwRealFft(const std::vector<int>& shape, int batch) : FftShape<RealFft<Real>>(shape, batch) {
    const int rank = int(shape.size());
    const int n_real = element_count(shape);
    const int n_cplx = element_count(hermitian_shape(shape));
    const Scratch<Real> real(std::size_t(batch) * n_real * sizeof(Real));
    const Scratch<Real> cplx(std::size_t(batch) * n_cplx * sizeof(Cplx));
    const std::string what = describe(shape, batch);
    m_forward = PlanPair<Real>(
        [&](unsigned flags) {
          return F::plan_many_r2c(rank, shape.data(), batch, real.template as<Real>(), nullptr, 1,
                                  n_real, cplx.template as<Cplx>(), nullptr, 1, n_cplx, flags);
        },
        fmt::format("{}_plan_many_dft_r2c", F::k_prefix), what);
    m_inverse = PlanPair<Real>(
        [&](unsigned flags) {
          return F::plan_many_c2r(rank, shape.data(), batch, cplx.template as<Cplx>(), nullptr, 1,
                                  n_cplx, real.template as<Real>(), nullptr, 1, n_real, flags);
        },
        fmt::format("{}_plan_many_dft_c2r", F::k_prefix), what);
  }

  void forward(const Real* in, Complex<Real>* out) override {
    count_launch();
    require_out_of_place(in, out);
    // Out of place, r2c leaves its input intact (FFTW_PRESERVE_INPUT is its default).
    Real* writable_in = const_cast<Real*>(in);
    F::execute_r2c(m_forward.select(writable_in, out), writable_in, as_fftw(out));
  }

  void inverse(Complex<Real>* in, Real* out) override {
    count_launch();
    require_out_of_place(in, out);
    F::execute_c2r(m_inverse.select(in, out), as_fftw(in), out);
  }

 private:
  PlanPair<Real> m_forward;
  PlanPair<Real> m_inverse;
};

template <class Real>
class FftwComplexFft final : public FftShape<ComplexFft<Real>> {
  using F = Fftw<Real>;
  using Cplx = typename F::Cplx;

  // One sign of transform; FFTW's new-array execute needs the placement planned for.
  struct Direction {
    PlanPair<Real> out_of_place;
    PlanPair<Real> in_place;
  };

 public:
  FftwComplexFft(const std::vector<int>& shape, int batch)
      : FftShape<ComplexFft<Real>>(shape, batch) {
    const int n = element_count(shape);
    const Scratch<Real> a(std::size_t(batch) * n * sizeof(Cplx));
    const Scratch<Real> b(std::size_t(batch) * n * sizeof(Cplx));
    const std::string call = fmt::format("{}_plan_many_dft", F::k_prefix);
    const std::string what = describe(shape, batch);
    const auto direction = [&](int sign) {
      const auto plan_on = [&](Cplx* in, Cplx* out) {
        const auto plan = [&, in, out](unsigned flags) {
          return F::plan_many_dft(int(shape.size()), shape.data(), batch, in, nullptr, 1, n, out,
                                  nullptr, 1, n, sign, flags);
        };
        return PlanPair<Real>(plan, call, what);
      };
      Cplx* pa = a.template as<Cplx>();
      return Direction{plan_on(pa, b.template as<Cplx>()), plan_on(pa, pa)};
    };
    m_forward = direction(FFTW_FORWARD);
    m_inverse = direction(FFTW_BACKWARD);
  }

  void forward(const Complex<Real>* in, Complex<Real>* out) override {
    execute(m_forward, in, out);
  }
  void inverse(const Complex<Real>* in, Complex<Real>* out) override {
    execute(m_inverse, in, out);
  }

 private:
  void execute(const Direction& d, const Complex<Real>* in, Complex<Real>* out) {
    count_launch();
    // Out of place, c2c leaves its input intact (FFTW_PRESERVE_INPUT is its default).
    Complex<Real>* writable_in = const_cast<Complex<Real>*>(in);
    const PlanPair<Real>& plans = in == out ? d.in_place : d.out_of_place;
    F::execute_dft(plans.select(writable_in, out), as_fftw(writable_in), as_fftw(out));
  }

  Direction m_forward;
  Direction m_inverse;
};

}  // namespace

template <class Real>
std::unique_ptr<RealFft<Real>> make_fftw_real_fft(const std::vector<int>& shape, int batch) {
  return std::make_unique<FftwRealFft<Real>>(shape, batch);
}

template <class Real>
std::unique_ptr<ComplexFft<Real>> make_fftw_complex_fft(const std::vector<int>& shape, int batch) {
  return std::make_unique<FftwComplexFft<Real>>(shape, batch);
}

template std::unique_ptr<RealFft<float>> make_fftw_real_fft(const std::vector<int>&, int);
template std::unique_ptr<RealFft<double>> make_fftw_real_fft(const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<float>> make_fftw_complex_fft(const std::vector<int>&, int);
template std::unique_ptr<ComplexFft<double>> make_fftw_complex_fft(const std::vector<int>&, int);

}  // namespace twinsim::core::detail
