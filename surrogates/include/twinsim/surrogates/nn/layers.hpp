#pragma once
// Layers, losses and Adam with explicit forward and backward passes, for backend translation
// units (*.inl): this header is compiled twice, into twinsim::omp and twinsim::cuda, like the
// .inl that includes it. Elementwise work goes through exec (for_each_index /
// transform_reduce), channel mixing through core::Blas (OpenBLAS | cuBLAS), Fourier transforms
// through core::RealFft (FFTW | cuFFT).
//
// A layer owns its output and its input gradient. forward(x) remembers x (which must stay
// alive and unchanged until backward) and returns its output; backward(dy) returns dL/dx and
// ADDS dL/dparameter to each parameter's grad (zero them with zero_grad between steps).
#ifndef TWINSIM_BACKEND_NS
#error "twinsim/surrogates/nn/layers.hpp belongs in backend translation units (*.inl)"
#endif

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "twinsim/core/Blas.hpp"
#include "twinsim/core/Complex.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/surrogates/Spec.hpp"
#include "twinsim/surrogates/Tensor.hpp"
#include "twinsim/surrogates/nn/kernels.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

using core::Complex;
template <class Real>
using T = nn::Tensor<Real, Space>;
using nn::Shape;

// ---- Kernels: free functions (nvcc's extended lambdas may not live in private members). ----

template <class Real>
void fill(Real* d_x, Index n, Real value) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_x[i] = value; });
}

template <class Real>
void add_into(Real* d_y, const Real* d_a, const Real* d_b, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = d_a[i] + d_b[i]; });
}

template <class Real>
void activation_forward(nn::Activation a, const Real* d_x, Real* d_y, Index n) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_y[i] = nn::activate(a, d_x[i]); });
}

template <class Real>
void activation_backward(nn::Activation a, const Real* d_x, const Real* d_dy, Real* d_dx, Index n) {
  for_each_index(
      n, [=] TWINSIM_HD(Index i) { d_dx[i] = nn::activate_derivative(a, d_x[i]) * d_dy[i]; });
}

// [b][c][y][x] -> [b][c + 2][y][x], the last two channels x / nx and y / ny in [0, 1).
template <class Real>
void append_grid(const Real* d_x, Real* d_y, Index batch, Index c, Index ny, Index nx) {
  const Index plane = ny * nx, co = c + 2;
  for_each_index(batch * co * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, ch = (i / plane) % co, b = i / (plane * co);
    if (ch < c)
      d_y[i] = d_x[(b * c + ch) * plane + p];
    else if (ch == c)
      d_y[i] = Real(p % nx) / Real(nx);
    else
      d_y[i] = Real(p / nx) / Real(ny);
  });
}

template <class Real>
void drop_grid_gradient(const Real* d_dy, Real* d_dx, Index batch, Index c, Index plane) {
  for_each_index(batch * c * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, ch = (i / plane) % c, b = i / (plane * c);
    d_dx[i] = d_dy[(b * (c + 2) + ch) * plane + p];
  });
}

// Kept Fourier modes of a 2D spectral convolution on the half spectrum [ny][nx/2 + 1]: rows
// ky in [0, m) (block 0) and [ny - m, ny) (block 1), columns kx in [0, m).
struct ModeSet {
  Index ny, nkx, m;
  // Block (0 or 1) and row within it of row ky, or -1 when ky is not kept.
  TWINSIM_HD int block(Index ky) const { return ky < m ? 0 : (ky >= ny - m ? 1 : -1); }
  TWINSIM_HD Index row(Index ky) const { return ky < m ? ky : ky - (ny - m); }
};

// Weights w[block][i][o][row][kx] complex. Kept modes: z[b][o][k] = sum_i x[b][i][k] w[..][i][o][k]
// (conj_w: conj(w), the transposed map used by backward); other modes 0.
template <class Real>
void spectral_mix(const ModeSet s, Index batch, Index cin, Index cout, const Complex<Real>* d_x,
                  const Complex<Real>* d_w, Complex<Real>* d_z, bool conj_w) {
  const Index modes = s.ny * s.nkx;
  for_each_index(batch * cout * modes, [=] TWINSIM_HD(Index t) {
    const Index k = t % modes, o = (t / modes) % cout, b = t / (modes * cout);
    const Index ky = k / s.nkx, kx = k % s.nkx;
    const int blk = s.block(ky);
    Complex<Real> acc{Real(0), Real(0)};
    if (blk >= 0 && kx < s.m) {
      const Index r = s.row(ky);
      for (Index i = 0; i < cin; ++i) {
        Complex<Real> w = d_w[(((blk * cin + i) * cout + o) * s.m + r) * s.m + kx];
        if (conj_w) w.im = -w.im;
        acc = acc + d_x[(b * cin + i) * modes + k] * w;
      }
    }
    d_z[t] = acc;
  });
}

// Same map with the roles of input and output channels swapped (x has cout channels, z cin):
// z[b][i][k] = sum_o x[b][o][k] conj(w[..][i][o][k]).
template <class Real>
void spectral_mix_adjoint(const ModeSet s, Index batch, Index cin, Index cout,
                          const Complex<Real>* d_g, const Complex<Real>* d_w, Complex<Real>* d_z) {
  const Index modes = s.ny * s.nkx;
  for_each_index(batch * cin * modes, [=] TWINSIM_HD(Index t) {
    const Index k = t % modes, i = (t / modes) % cin, b = t / (modes * cin);
    const Index ky = k / s.nkx, kx = k % s.nkx;
    const int blk = s.block(ky);
    Complex<Real> acc{Real(0), Real(0)};
    if (blk >= 0 && kx < s.m) {
      const Index r = s.row(ky);
      for (Index o = 0; o < cout; ++o) {
        Complex<Real> w = d_w[(((blk * cin + i) * cout + o) * s.m + r) * s.m + kx];
        w.im = -w.im;
        acc = acc + d_g[(b * cout + o) * modes + k] * w;
      }
    }
    d_z[t] = acc;
  });
}

// dw[block][i][o][row][kx] += sum_b conj(x[b][i][k]) g[b][o][k].
template <class Real>
void spectral_weight_gradient(const ModeSet s, Index batch, Index cin, Index cout,
                              const Complex<Real>* d_x, const Complex<Real>* d_g,
                              Complex<Real>* d_dw) {
  const Index modes = s.ny * s.nkx, per_block = cin * cout * s.m * s.m;
  for_each_index(2 * per_block, [=] TWINSIM_HD(Index t) {
    const Index kx = t % s.m, r = (t / s.m) % s.m, o = (t / (s.m * s.m)) % cout;
    const Index i = (t / (s.m * s.m * cout)) % cin, blk = t / per_block;
    const Index ky = blk == 0 ? r : s.ny - s.m + r;
    const Index k = ky * s.nkx + kx;
    Complex<Real> acc = d_dw[t];
    for (Index b = 0; b < batch; ++b) {
      Complex<Real> x = d_x[(b * cin + i) * modes + k];
      x.im = -x.im;
      acc = acc + x * d_g[(b * cout + o) * modes + k];
    }
    d_dw[t] = acc;
  });
}

// Makes column kx = 0 of each plane Hermitian, z[ky] <- (z[ky] + conj(z[-ky])) / 2 wherever
// ky or -ky is kept, then scales column 0 by scale0 and the others by scale. A complex-to-real
// transform of a half spectrum is then exactly the real map the gradients assume.
template <class Real>
void hermitian_column_and_scale(const ModeSet s, Index planes, Complex<Real>* d_z, Real scale0,
                                Real scale) {
  const Index modes = s.ny * s.nkx;
  const Index rows = s.ny / 2 + 1;  // pairs (ky, ny - ky) for ky in [0, ny / 2]
  for_each_index(planes * rows, [=] TWINSIM_HD(Index t) {
    const Index ky = t % rows, p = t / rows;
    Complex<Real>* z = d_z + p * modes;
    const Index kn = (s.ny - ky) % s.ny;
    if (s.block(ky) >= 0 || s.block(kn) >= 0) {  // row -m is kept, its mirror m is not
      const Complex<Real> a = z[ky * s.nkx], c = z[kn * s.nkx];
      z[ky * s.nkx] = {scale0 * Real(0.5) * (a.re + c.re), scale0 * Real(0.5) * (a.im - c.im)};
      if (kn != ky)
        z[kn * s.nkx] = {scale0 * Real(0.5) * (a.re + c.re), scale0 * Real(0.5) * (c.im - a.im)};
    }
    for (Index kx = 1; kx < s.m; ++kx) {
      if (s.block(ky) >= 0) z[ky * s.nkx + kx] = scale * z[ky * s.nkx + kx];
      if (kn != ky && s.block(kn) >= 0) z[kn * s.nkx + kx] = scale * z[kn * s.nkx + kx];
    }
  });
}

template <class Real>
void scale_columns(const ModeSet s, Index planes, Complex<Real>* d_z, Real scale0, Real scale) {
  const Index modes = s.ny * s.nkx;
  for_each_index(planes * modes, [=] TWINSIM_HD(Index t) {
    d_z[t] = (t % modes) % s.nkx == 0 ? scale0 * d_z[t] : scale * d_z[t];
  });
}

template <class Real>
void adam_kernel(nn::AdamStep step, Real* d_p, const Real* d_g, Real* d_m, Real* d_v, Index n) {
  for_each_index(
      n, [=] TWINSIM_HD(Index i) { nn::adam_update(step, d_p[i], d_g[i], d_m[i], d_v[i]); });
}

template <class Real>
void difference(const Real* d_p, const Real* d_t, Real* d_out, Index n, Real scale) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_out[i] = scale * (d_p[i] - d_t[i]); });
}

// Per-sample squared norms of (p - t) and of t, summed over `count` values from `first`.
template <class Real>
double squared_distance(const Real* d_p, const Real* d_t, Index first, Index count) {
  return transform_reduce(
      count, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double d = double(d_p[first + i]) - double(d_t[first + i]);
        return d * d;
      },
      core::Plus());
}
template <class Real>
double squared_norm(const Real* d_t, Index first, Index count) {
  return transform_reduce(
      count, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double v = double(d_t[first + i]);
        return v * v;
      },
      core::Plus());
}

// d_dp[first + i] = scale * (p - t) over one sample.
template <class Real>
void scaled_difference(const Real* d_p, const Real* d_t, Real* d_dp, Index first, Index count,
                       Real scale) {
  for_each_index(count, [=] TWINSIM_HD(Index i) {
    d_dp[first + i] = scale * (d_p[first + i] - d_t[first + i]);
  });
}

// ---- Parameters and layers ----

template <class Real>
struct Param {
  std::string name;
  T<Real> value, grad, m, v;  // m, v: Adam moments
  explicit Param(std::string n, const Shape& shape)
      : name(std::move(n)), value(shape), grad(shape), m(shape), v(shape) {
    fill(grad.ptr(), grad.size(), Real(0));
    fill(m.ptr(), m.size(), Real(0));
    fill(v.ptr(), v.size(), Real(0));
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
  virtual std::vector<Param<Real>*> params() { return {}; }
};

// Pointwise affine map of the channel axis: y[b][o][p] = sum_i W[o][i] x[b][i][p] + bias[o] for
// x [batch][in][points...] (points may be absent: [batch][in]). PyTorch's nn.Linear applied to
// every point; init uniform in +-1/sqrt(in) as nn.Linear's.
template <class Real>
class Linear final : public Layer<Real> {
 public:
  Linear(Context<Real>& ctx, const std::string& name, int in, int out)
      : m_ctx(ctx),
        m_in(in),
        m_out(out),
        m_w(name + ".weight", {out, in}),
        m_b(name + ".bias", {out}) {
    const double bound = 1.0 / std::sqrt(double(in));
    init_uniform(m_w, ctx.seed, ctx.next_stream++, -bound, bound);
    init_uniform(m_b, ctx.seed, ctx.next_stream++, -bound, bound);
  }

  const T<Real>& forward(const T<Real>& x) override {
    TWINSIM_REQUIRE(x.shape.size() >= 2 && x.shape[1] == m_in,
                    "Linear " + m_w.name + ": input " + nn::to_string(x.shape) + " has not " +
                        std::to_string(m_in) + " channels on axis 1");
    m_x = &x;
    Shape ys = x.shape;
    ys[1] = m_out;
    m_y.resize(ys);
    const Index batch = x.shape[0], points = x.size() / (batch * m_in);
    ensure_ones(std::max(batch, points));
    // The bias as a rank-1 product (ones x bias), then the weights with beta = 1: BLAS on both
    // backends, no per-element index arithmetic. Row-major W [out][in] is the column-major
    // (in x out) matrix Wc.
    if (points == 1) {  // Y (out x B, column-major) = bias 1^T + Wc^T X
      m_ctx.blas->gemm(core::Op::N, core::Op::N, m_out, int(batch), 1, Real(1), m_b.value.ptr(),
                       m_out, m_ones.data(), 1, Real(0), m_y.ptr(), m_out);
      m_ctx.blas->gemm(core::Op::T, core::Op::N, m_out, int(batch), m_in, Real(1), m_w.value.ptr(),
                       m_in, x.ptr(), m_in, Real(1), m_y.ptr(), m_out);
    } else {  // per sample: Y_b (points x out) = 1 bias^T + X_b (points x in) Wc
      const int p = int(points);
      m_ctx.blas->gemm_strided_batched(core::Op::N, core::Op::N, p, m_out, 1, Real(1),
                                       m_ones.data(), p, 0, m_b.value.ptr(), 1, 0, Real(0),
                                       m_y.ptr(), p, std::int64_t(m_out) * p, int(batch));
      m_ctx.blas->gemm_strided_batched(core::Op::N, core::Op::N, p, m_out, m_in, Real(1), x.ptr(),
                                       p, std::int64_t(m_in) * p, m_w.value.ptr(), m_in, 0, Real(1),
                                       m_y.ptr(), p, std::int64_t(m_out) * p, int(batch));
    }
    return m_y;
  }

  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& x = *m_x;
    m_dx.resize(x.shape);
    const Index batch = x.shape[0], points = x.size() / (batch * m_in);
    ensure_ones(std::max(batch, points));
    core::Blas<Real>& blas = *m_ctx.blas;
    if (points == 1) {
      const int b = int(batch);
      blas.gemm(core::Op::N, core::Op::N, m_in, b, m_out, Real(1), m_w.value.ptr(), m_in, dy.ptr(),
                m_out, Real(0), m_dx.ptr(), m_in);
      blas.gemm(core::Op::N, core::Op::T, m_in, m_out, b, Real(1), x.ptr(), m_in, dy.ptr(), m_out,
                Real(1), m_w.grad.ptr(), m_in);
      blas.gemm(core::Op::N, core::Op::N, m_out, 1, b, Real(1), dy.ptr(), m_out, m_ones.data(), b,
                Real(1), m_b.grad.ptr(), m_out);
    } else {
      const int p = int(points);
      blas.gemm_strided_batched(core::Op::N, core::Op::T, p, m_in, m_out, Real(1), dy.ptr(), p,
                                std::int64_t(m_out) * p, m_w.value.ptr(), m_in, 0, Real(0),
                                m_dx.ptr(), p, std::int64_t(m_in) * p, int(batch));
      // Weight and bias gradients sum over the batch: one accumulating product per sample
      // (a batched product cannot write the same matrix).
      for (Index s = 0; s < batch; ++s) {
        const Real* xs = x.ptr() + s * m_in * points;
        const Real* dys = dy.ptr() + s * m_out * points;
        blas.gemm(core::Op::T, core::Op::N, m_in, m_out, p, Real(1), xs, p, dys, p, Real(1),
                  m_w.grad.ptr(), m_in);
        blas.gemm(core::Op::T, core::Op::N, m_out, 1, p, Real(1), dys, p, m_ones.data(), p, Real(1),
                  m_b.grad.ptr(), m_out);
      }
    }
    return m_dx;
  }

  std::vector<Param<Real>*> params() override { return {&m_w, &m_b}; }

 private:
  void ensure_ones(Index n) {
    if (m_ones.size() < std::size_t(n)) {
      m_ones = core::Buffer<Real, Space>(std::size_t(n));
      fill(m_ones.data(), n, Real(1));
    }
  }

  Context<Real>& m_ctx;
  int m_in, m_out;
  Param<Real> m_w, m_b;
  const T<Real>* m_x = nullptr;
  T<Real> m_y, m_dx;
  core::Buffer<Real, Space> m_ones;
};

template <class Real>
class ActivationLayer final : public Layer<Real> {
 public:
  explicit ActivationLayer(nn::Activation a) : m_a(a) {}
  const T<Real>& forward(const T<Real>& x) override {
    m_x = &x;
    m_y.resize(x.shape);
    activation_forward(m_a, x.ptr(), m_y.ptr(), x.size());
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    m_dx.resize(dy.shape);
    activation_backward(m_a, m_x->ptr(), dy.ptr(), m_dx.ptr(), dy.size());
    return m_dx;
  }

 private:
  nn::Activation m_a;
  const T<Real>* m_x = nullptr;
  T<Real> m_y, m_dx;
};

// y = x + inner(x): a residual connection around any layer that keeps the shape.
template <class Real>
class Residual final : public Layer<Real> {
 public:
  explicit Residual(std::unique_ptr<Layer<Real>> inner) : m_inner(std::move(inner)) {}
  const T<Real>& forward(const T<Real>& x) override {
    const T<Real>& f = m_inner->forward(x);
    TWINSIM_REQUIRE(f.shape == x.shape, "Residual: the inner layer changes the shape");
    m_y.resize(x.shape);
    add_into(m_y.ptr(), x.ptr(), f.ptr(), x.size());
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& g = m_inner->backward(dy);
    m_dx.resize(dy.shape);
    add_into(m_dx.ptr(), dy.ptr(), g.ptr(), dy.size());
    return m_dx;
  }
  std::vector<Param<Real>*> params() override { return m_inner->params(); }

 private:
  std::unique_ptr<Layer<Real>> m_inner;
  T<Real> m_y, m_dx;
};

// Appends the coordinates x / nx and y / ny as two channels: [b][c][y][x] -> [b][c + 2][y][x].
template <class Real>
class AppendGrid final : public Layer<Real> {
 public:
  const T<Real>& forward(const T<Real>& x) override {
    TWINSIM_REQUIRE(x.shape.size() == 4,
                    "AppendGrid: expected [batch][channel][y][x], got " + nn::to_string(x.shape));
    m_shape = x.shape;
    m_y.resize({x.shape[0], x.shape[1] + 2, x.shape[2], x.shape[3]});
    append_grid(x.ptr(), m_y.ptr(), x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    return m_y;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    m_dx.resize(m_shape);
    drop_grid_gradient(dy.ptr(), m_dx.ptr(), m_shape[0], m_shape[1], m_shape[2] * m_shape[3]);
    return m_dx;
  }

 private:
  Shape m_shape;
  T<Real> m_y, m_dx;
};

// 2D spectral convolution (Li et al. 2021): y = IFFT(W . FFT(x)) keeping `modes` x `modes`
// Fourier modes (rows ky in [0, m) and [ny - m, ny), columns kx in [0, m) of the half
// spectrum), a complex weight per (in channel, out channel, kept mode). Needs m <= ny / 2 and
// m <= nx / 2 (the Nyquist column is never kept). Column kx = 0 is made Hermitian before the
// inverse transform, so the layer is exactly the real linear map its backward differentiates.
// Init: uniform [0, 1) / (in * out) for real and imaginary parts, as Li et al.
template <class Real>
class SpectralConv2d final : public Layer<Real> {
 public:
  SpectralConv2d(Context<Real>& ctx, const std::string& name, int in, int out, int modes)
      : m_in(in), m_out(out), m_modes(modes), m_w(name + ".weight", {2, in, out, modes, modes, 2}) {
    init_uniform(m_w, ctx.seed, ctx.next_stream++, 0.0, 1.0 / (double(in) * double(out)));
  }

  const T<Real>& forward(const T<Real>& x) override {
    TWINSIM_REQUIRE(x.shape.size() == 4 && x.shape[1] == m_in,
                    m_w.name + ": expected input [batch][" + std::to_string(m_in) +
                        "][y][x], got " + nn::to_string(x.shape));
    const Index b = x.shape[0], ny = x.shape[2], nx = x.shape[3];
    if (2 * m_modes > ny || 2 * m_modes > nx)
      throw core::Error(m_w.name + ": " + std::to_string(m_modes) +
                        " Fourier modes need a grid "
                        "of at least " +
                        std::to_string(2 * m_modes) + " points per axis, got " +
                        std::to_string(ny) + " x " + std::to_string(nx) + "; lower model.modes");
    m_x = &x;
    const ModeSet s{ny, nx / 2 + 1, m_modes};
    const Index modes = s.ny * s.nkx;
    m_xh.resize(std::size_t(b * m_in * modes));
    m_zh.resize(std::size_t(b * std::max(m_in, m_out) * modes));
    m_y.resize({b, m_out, ny, nx});
    plan(int(b * m_in), ny, nx).forward(x.ptr(), m_xh.data());
    spectral_mix(s, b, m_in, m_out, m_xh.data(), weights(), m_zh.data(), false);
    const Real inv_n = Real(1) / Real(ny * nx);
    hermitian_column_and_scale(s, b * m_out, m_zh.data(), inv_n, inv_n);
    plan(int(b * m_out), ny, nx).inverse(m_zh.data(), m_y.ptr());
    return m_y;
  }

  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& x = *m_x;
    const Index b = x.shape[0], ny = x.shape[2], nx = x.shape[3];
    const ModeSet s{ny, nx / 2 + 1, m_modes};
    const Index modes = s.ny * s.nkx;
    m_gh.resize(std::size_t(b * m_out * modes));
    m_dx.resize(x.shape);
    // dL/dZ of the kept modes: (1 or 2) / N FFT(dy) (column 0 counts once, the others twice).
    plan(int(b * m_out), ny, nx).forward(dy.ptr(), m_gh.data());
    const Real inv_n = Real(1) / Real(ny * nx);
    scale_columns(s, b * m_out, m_gh.data(), inv_n, Real(2) * inv_n);
    spectral_weight_gradient(s, b, m_in, m_out, m_xh.data(), m_gh.data(), grad_weights());
    // dL/dX^ = conj(W) dL/dZ; dx is its complex-to-real transform with column 0 made
    // Hermitian and the other columns halved.
    spectral_mix_adjoint(s, b, m_in, m_out, m_gh.data(), weights(), m_zh.data());
    hermitian_column_and_scale(s, b * m_in, m_zh.data(), Real(1), Real(0.5));
    plan(int(b * m_in), ny, nx).inverse(m_zh.data(), m_dx.ptr());
    return m_dx;
  }

  std::vector<Param<Real>*> params() override { return {&m_w}; }

 private:
  const Complex<Real>* weights() const {
    return reinterpret_cast<const Complex<Real>*>(m_w.value.ptr());
  }
  Complex<Real>* grad_weights() { return reinterpret_cast<Complex<Real>*>(m_w.grad.ptr()); }
  core::RealFft<Real>& plan(int batch, Index ny, Index nx) {
    auto& p = m_plans[{batch, ny, nx}];
    if (!p) p = core::make_real_fft<Real>(k_backend, {int(ny), int(nx)}, batch);
    return *p;
  }
  struct Scratch {
    core::Buffer<Complex<Real>, Space> buf;
    void resize(std::size_t n) {
      if (buf.size() != n) buf = core::Buffer<Complex<Real>, Space>(n);
    }
    Complex<Real>* data() { return buf.data(); }
  };

  int m_in, m_out, m_modes;
  Param<Real> m_w;
  const T<Real>* m_x = nullptr;
  Scratch m_xh, m_zh, m_gh;  // FFT(x) kept for backward; mode work arrays
  T<Real> m_y, m_dx;
  std::map<std::tuple<int, Index, Index>, std::unique_ptr<core::RealFft<Real>>> m_plans;
};

// One Fourier layer: y = act(SpectralConv2d(x) + Linear(x)) (act may be identity).
template <class Real>
class FourierBlock final : public Layer<Real> {
 public:
  FourierBlock(Context<Real>& ctx, const std::string& name, int width, int modes, nn::Activation a)
      : m_spectral(ctx, name + ".spectral", width, width, modes),
        m_pointwise(ctx, name + ".pointwise", width, width),
        m_act(a) {}

  const T<Real>& forward(const T<Real>& x) override {
    const T<Real>& a = m_spectral.forward(x);
    const T<Real>& b = m_pointwise.forward(x);
    m_sum.resize(a.shape);
    add_into(m_sum.ptr(), a.ptr(), b.ptr(), a.size());
    return m_act.forward(m_sum);
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>& ds = m_act.backward(dy);
    const T<Real>& da = m_spectral.backward(ds);
    const T<Real>& db = m_pointwise.backward(ds);
    m_dx.resize(da.shape);
    add_into(m_dx.ptr(), da.ptr(), db.ptr(), da.size());
    return m_dx;
  }
  std::vector<Param<Real>*> params() override {
    return {m_spectral.params()[0], m_pointwise.params()[0], m_pointwise.params()[1]};
  }

 private:
  SpectralConv2d<Real> m_spectral;
  Linear<Real> m_pointwise;
  ActivationLayer<Real> m_act;
  T<Real> m_sum, m_dx;
};

template <class Real>
class Sequential final : public Layer<Real> {
 public:
  void add(std::unique_ptr<Layer<Real>> layer) { m_layers.push_back(std::move(layer)); }
  const T<Real>& forward(const T<Real>& x) override {
    const T<Real>* h = &x;
    for (auto& l : m_layers) h = &l->forward(*h);
    return *h;
  }
  const T<Real>& backward(const T<Real>& dy) override {
    const T<Real>* g = &dy;
    for (auto it = m_layers.rbegin(); it != m_layers.rend(); ++it) g = &(*it)->backward(*g);
    return *g;
  }
  std::vector<Param<Real>*> params() override {
    std::vector<Param<Real>*> all;
    for (auto& l : m_layers)
      for (Param<Real>* p : l->params()) all.push_back(p);
    return all;
  }

 private:
  std::vector<std::unique_ptr<Layer<Real>>> m_layers;
};

// The models of nn::ModelSpec; parameters are drawn from Philox (ctx.seed, one stream each).
template <class Real>
std::unique_ptr<Sequential<Real>> build_model(Context<Real>& ctx, const nn::ModelSpec& spec) {
  auto net = std::make_unique<Sequential<Real>>();
  if (spec.kind == "mlp") {
    int in = spec.in_channels;
    for (std::size_t i = 0; i < spec.hidden.size(); ++i) {
      net->add(
          std::make_unique<Linear<Real>>(ctx, "hidden" + std::to_string(i), in, spec.hidden[i]));
      net->add(std::make_unique<ActivationLayer<Real>>(spec.activation));
      in = spec.hidden[i];
    }
    net->add(std::make_unique<Linear<Real>>(ctx, "output", in, spec.out_channels));
  } else if (spec.kind == "fno2d") {
    net->add(std::make_unique<AppendGrid<Real>>());
    net->add(std::make_unique<Linear<Real>>(ctx, "lift", spec.in_channels + 2, spec.width));
    for (int l = 0; l < spec.layers; ++l)
      net->add(std::make_unique<FourierBlock<Real>>(
          ctx, "fourier" + std::to_string(l), spec.width, spec.modes,
          l + 1 < spec.layers ? spec.activation : nn::Activation::identity));
    net->add(std::make_unique<Linear<Real>>(ctx, "project", spec.width, spec.projection));
    net->add(std::make_unique<ActivationLayer<Real>>(spec.activation));
    net->add(std::make_unique<Linear<Real>>(ctx, "output", spec.projection, spec.out_channels));
  } else {
    throw core::Error("unknown model kind '" + spec.kind + "' (fno2d, mlp)");
  }
  return net;
}

// ---- Losses: value, and dL/dprediction written to dp. Both average over the batch. ----

// mean over all elements of (p - t)^2.
template <class Real>
double mse_loss(const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  TWINSIM_REQUIRE(p.shape == t.shape, "mse: prediction " + nn::to_string(p.shape) + " and target " +
                                          nn::to_string(t.shape) + " differ");
  dp.resize(p.shape);
  const Index n = p.size();
  const double loss = squared_distance(p.ptr(), t.ptr(), 0, n) / double(n);
  difference(p.ptr(), t.ptr(), dp.ptr(), n, Real(2.0 / double(n)));
  return loss;
}

// mean over samples (axis 0) of ||p_b - t_b|| / ||t_b|| (Li et al.'s relative L2).
template <class Real>
double relative_l2_loss(const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  TWINSIM_REQUIRE(p.shape == t.shape, "relative_l2: prediction " + nn::to_string(p.shape) +
                                          " and target " + nn::to_string(t.shape) + " differ");
  dp.resize(p.shape);
  const Index batch = p.shape[0], per = p.size() / batch;
  double total = 0;
  for (Index b = 0; b < batch; ++b) {
    const double dist = std::sqrt(squared_distance(p.ptr(), t.ptr(), b * per, per));
    const double norm = std::sqrt(squared_norm(t.ptr(), b * per, per));
    TWINSIM_REQUIRE(norm > 0, "relative_l2: a target sample is zero everywhere; use loss = mse");
    total += dist / norm;
    const double scale = dist > 0 ? 1.0 / (dist * norm * double(batch)) : 0.0;
    scaled_difference(p.ptr(), t.ptr(), dp.ptr(), b * per, per, Real(scale));
  }
  return total / double(batch);
}

template <class Real>
double loss(nn::LossKind kind, const T<Real>& p, const T<Real>& t, T<Real>& dp) {
  return kind == nn::LossKind::mse ? mse_loss(p, t, dp) : relative_l2_loss(p, t, dp);
}

// ---- Adam / AdamW over a set of parameters (moments live in each Param). ----
template <class Real>
class Adam {
 public:
  Adam(std::vector<Param<Real>*> params, const nn::OptimizerSpec& spec)
      : m_params(std::move(params)), m_spec(spec) {}
  void zero_grad() {
    for (Param<Real>* p : m_params) fill(p->grad.ptr(), p->grad.size(), Real(0));
  }
  void step(double lr) {
    ++m_t;
    const nn::AdamStep s{lr,
                         m_spec.beta1,
                         m_spec.beta2,
                         m_spec.eps,
                         m_spec.weight_decay,
                         1 - std::pow(m_spec.beta1, double(m_t)),
                         1 - std::pow(m_spec.beta2, double(m_t)),
                         m_spec.decoupled};
    for (Param<Real>* p : m_params)
      adam_kernel(s, p->value.ptr(), p->grad.ptr(), p->m.ptr(), p->v.ptr(), p->value.size());
  }
  std::int64_t steps() const { return m_t; }
  void set_steps(std::int64_t t) { m_t = t; }

 private:
  std::vector<Param<Real>*> m_params;
  nn::OptimizerSpec m_spec;
  std::int64_t m_t = 0;
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
