#pragma once
// The pieces every layer shares, for backend translation units (*.inl): this header and the
// nn/ headers that include it are compiled twice, into twinsim::omp and twinsim::cuda, like the
// .inl that includes them. Elementwise work goes through exec (for_each_index /
// transform_reduce), channel mixing through core::Blas (OpenBLAS | cuBLAS), Fourier transforms
// through core::RealFft (FFTW | cuFFT). One header per layer (linear.hpp, activation.hpp,
// append_grid.hpp, residual.hpp, spectral_conv2d.hpp, fourier_block.hpp, sequential.hpp); the
// loss, the optimizer and the trainer that combines them with a network are apart (loss.hpp,
// optimizer.hpp, trainer.hpp), the models in models/ (registered in models.hpp).
//
// A layer owns its output and its input gradient. forward(x) remembers x (which must stay
// alive and unchanged until backward) and returns its output; backward(dy) returns dL/dx and
// ADDS dL/dparameter to each parameter's grad (an Optimizer zeroes them between steps);
// backward_params(dy) does the latter only.
#ifndef TWINSIM_BACKEND_NS
#error "twinsim/surrogates/nn/*.hpp belong in backend translation units (*.inl)"
#endif

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "twinsim/core/Blas.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/surrogates/Spec.hpp"
#include "twinsim/surrogates/Tensor.hpp"
#include "twinsim/surrogates/nn/kernels.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

template <class Real>
using T = nn::Tensor<Real, Space>;
using nn::Shape;

// ---- Kernels: free functions (nvcc's extended lambdas may not live in private members). ----

template <class Real>
void fill(Real* d_x, Index n, Real value) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_x[i] = value; });
}

// Elementwise copies between planes go by runs of up to k_run values of a plane: one work item
// per run, a contiguous loop the CPU vectorises, no index division per value.
inline constexpr Index k_run = 64;
TWINSIM_HD inline Index runs_of(Index plane) { return (plane + k_run - 1) / k_run; }

template <class Real>
void add_into(Real* d_y, const Real* d_a, const Real* d_b, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = d_a[i] + d_b[i]; });
}

// ---- Parameters and layers ----

template <class Real>
struct Param {
  std::string name;
  T<Real> value, grad;  // the optimizer keeps its own state per parameter (optimizer.hpp)
  explicit Param(std::string n, const Shape& shape)
      : name(std::move(n)), value(shape), grad(shape) {
    fill(grad.ptr(), grad.size(), Real(0));
  }
};

// Uniform values in [lo, hi) from Philox (seed, stream): the same on both backends.
template <class Real>
void init_uniform(Param<Real>& p, std::uint64_t seed, std::uint64_t stream, double lo, double hi) {
  const core::Philox rng(seed, stream);
  std::vector<Real> h(std::size_t(p.value.size()));
  for (std::size_t i = 0; i < h.size(); i += 2) {
    double u0, u1;
    rng.uniform2(i / 2, u0, u1);
    h[i] = Real(lo + (hi - lo) * u0);
    if (i + 1 < h.size()) h[i + 1] = Real(lo + (hi - lo) * u1);
  }
  p.value.data = core::Buffer<Real, Space>::from_host(h);
}

// Shared by the layers of one network: one BLAS handle per backend and precision.
template <class Real>
struct Context {
  std::unique_ptr<core::Blas<Real>> blas = core::make_blas<Real>(k_backend);
  std::uint64_t seed = 0;
  std::uint64_t next_stream = 0;  // each parameter draws its initial values from its own stream
};

template <class Real>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual const T<Real>& forward(const T<Real>& x) = 0;
  virtual const T<Real>& backward(const T<Real>& dy) = 0;
  // backward without dL/dx: only the parameters' gradients, for a network's first layer when
  // its input is data (training), where dL/dx would be thrown away.
  virtual void backward_params(const T<Real>& dy) { backward(dy); }
  virtual std::vector<Param<Real>*> params() { return {}; }
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
