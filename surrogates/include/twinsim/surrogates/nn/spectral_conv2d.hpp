#pragma once
// The 2D spectral convolution of the Fourier Neural Operator: kept modes, mode kernels, layer.
#include <map>
#include <tuple>

#include "twinsim/core/Complex.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

using core::Complex;

// Kept Fourier modes of a 2D spectral convolution on the half spectrum [ny][nx/2 + 1]: rows
// ky in [0, m) (block 0) and [ny - m, ny) (block 1), columns kx in [0, m).
struct ModeSet {
  Index ny, nkx, m;
  // Block (0 or 1) and row within it of row ky, or -1 when ky is not kept.
  TWINSIM_HD int block(Index ky) const { return ky < m ? 0 : (ky >= ny - m ? 1 : -1); }
  TWINSIM_HD Index row(Index ky) const { return ky < m ? ky : ky - (ny - m); }
};

// The mode kernels work on rows of the half spectrum, one (plane, ky) row per work item: a
// kept row loops over channels outside and its m kept columns inside (contiguous in x, w and z,
// so the CPU vectorises it and no index is divided per mode), the other rows and columns are
// zeroed; each mode still sums its channels in ascending order from zero.

// Weights w[block][i][o][row][kx] complex. Kept modes: z[b][o][k] = sum_i x[b][i][k] w[..][i][o][k]
// (conj_w: conj(w), the transposed map used by backward); other modes 0.
template <class Real>
void spectral_mix(const ModeSet s, Index batch, Index cin, Index cout, const Complex<Real>* d_x,
                  const Complex<Real>* d_w, Complex<Real>* d_z, bool conj_w) {
  const Index modes = s.ny * s.nkx;
  for_each_index(batch * cout * s.ny, [=] TWINSIM_HD(Index t) {
    const Index ky = t % s.ny, o = (t / s.ny) % cout, b = t / (s.ny * cout);
    Complex<Real>* z = d_z + (b * cout + o) * modes + ky * s.nkx;
    const int blk = s.block(ky);
    const Index kept = blk >= 0 ? s.m : 0;
    for (Index kx = 0; kx < s.nkx; ++kx) z[kx] = Complex<Real>{Real(0), Real(0)};
    if (kept == 0) return;
    const Real sign = conj_w ? Real(-1) : Real(1);
    const Index r = s.row(ky);
    for (Index i = 0; i < cin; ++i) {
      const Complex<Real>* x = d_x + (b * cin + i) * modes + ky * s.nkx;
      const Complex<Real>* w = d_w + (((blk * cin + i) * cout + o) * s.m + r) * s.m;
      for (Index kx = 0; kx < kept; ++kx)
        z[kx] = z[kx] + x[kx] * Complex<Real>{w[kx].re, sign * w[kx].im};
    }
  });
}

// Same map with the roles of input and output channels swapped (x has cout channels, z cin):
// z[b][i][k] = sum_o x[b][o][k] conj(w[..][i][o][k]).
template <class Real>
void spectral_mix_adjoint(const ModeSet s, Index batch, Index cin, Index cout,
                          const Complex<Real>* d_g, const Complex<Real>* d_w, Complex<Real>* d_z) {
  const Index modes = s.ny * s.nkx;
  for_each_index(batch * cin * s.ny, [=] TWINSIM_HD(Index t) {
    const Index ky = t % s.ny, i = (t / s.ny) % cin, b = t / (s.ny * cin);
    Complex<Real>* z = d_z + (b * cin + i) * modes + ky * s.nkx;
    const int blk = s.block(ky);
    const Index kept = blk >= 0 ? s.m : 0;
    for (Index kx = 0; kx < s.nkx; ++kx) z[kx] = Complex<Real>{Real(0), Real(0)};
    if (kept == 0) return;
    const Index r = s.row(ky);
    for (Index o = 0; o < cout; ++o) {
      const Complex<Real>* g = d_g + (b * cout + o) * modes + ky * s.nkx;
      const Complex<Real>* w = d_w + (((blk * cin + i) * cout + o) * s.m + r) * s.m;
      for (Index kx = 0; kx < kept; ++kx)
        z[kx] = z[kx] + g[kx] * Complex<Real>{w[kx].re, -w[kx].im};
    }
  });
}

// dw[block][i][o][row][kx] += sum_b conj(x[b][i][k]) g[b][o][k]; one work item per weight row.
template <class Real>
void spectral_weight_gradient(const ModeSet s, Index batch, Index cin, Index cout,
                              const Complex<Real>* d_x, const Complex<Real>* d_g,
                              Complex<Real>* d_dw) {
  const Index modes = s.ny * s.nkx;
  for_each_index(2 * cin * cout * s.m, [=] TWINSIM_HD(Index t) {
    const Index r = t % s.m, o = (t / s.m) % cout, i = (t / (s.m * cout)) % cin;
    const Index blk = t / (s.m * cout * cin);
    const Index ky = blk == 0 ? r : s.ny - s.m + r;
    Complex<Real>* dw = d_dw + t * s.m;
    for (Index b = 0; b < batch; ++b) {
      const Complex<Real>* x = d_x + (b * cin + i) * modes + ky * s.nkx;
      const Complex<Real>* g = d_g + (b * cout + o) * modes + ky * s.nkx;
      for (Index kx = 0; kx < s.m; ++kx)
        dw[kx] = dw[kx] + Complex<Real>{x[kx].re, -x[kx].im} * g[kx];
    }
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

// Scales the kept modes of each plane, column 0 by scale0 and the others by scale (the kernels
// that read these planes read only the kept modes).
template <class Real>
void scale_kept_columns(const ModeSet s, Index planes, Complex<Real>* d_z, Real scale0,
                        Real scale) {
  const Index modes = s.ny * s.nkx;
  for_each_index(planes * 2 * s.m, [=] TWINSIM_HD(Index t) {
    const Index r = t % (2 * s.m), p = t / (2 * s.m);
    const Index ky = r < s.m ? r : s.ny - 2 * s.m + r;
    Complex<Real>* z = d_z + p * modes + ky * s.nkx;
    z[0] = scale0 * z[0];
    for (Index kx = 1; kx < s.m; ++kx) z[kx] = scale * z[kx];
  });
}

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
    m_dx.resize(m_x->shape);
    backward_into(dy, m_dx);
    return m_dx;
  }

  // backward with dL/dx written into dx (the input's shape), which a FourierBlock owns.
  void backward_into(const T<Real>& dy, T<Real>& dx) {
    const T<Real>& x = *m_x;
    const Index b = x.shape[0], ny = x.shape[2], nx = x.shape[3];
    const ModeSet s{ny, nx / 2 + 1, m_modes};
    const Index modes = s.ny * s.nkx;
    m_gh.resize(std::size_t(b * m_out * modes));
    // dL/dZ of the kept modes: (1 or 2) / N FFT(dy) (column 0 counts once, the others twice).
    plan(int(b * m_out), ny, nx).forward(dy.ptr(), m_gh.data());
    const Real inv_n = Real(1) / Real(ny * nx);
    scale_kept_columns(s, b * m_out, m_gh.data(), inv_n, Real(2) * inv_n);
    spectral_weight_gradient(s, b, m_in, m_out, m_xh.data(), m_gh.data(), grad_weights());
    // dL/dX^ = conj(W) dL/dZ; dx is its complex-to-real transform with column 0 made
    // Hermitian and the other columns halved.
    spectral_mix_adjoint(s, b, m_in, m_out, m_gh.data(), weights(), m_zh.data());
    hermitian_column_and_scale(s, b * m_in, m_zh.data(), Real(1), Real(0.5));
    plan(int(b * m_in), ny, nx).inverse(m_zh.data(), dx.ptr());
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

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
