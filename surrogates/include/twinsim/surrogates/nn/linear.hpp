#pragma once
// Linear: the pointwise (per grid point) or fully connected affine map, one gemm per batch
// (the pointwise backward: a strided batched GEMM and three GEMMs, whatever the batch).
#include <algorithm>
#include <cmath>

#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

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
    m_dx.resize(m_x->shape);
    input_gradient(dy, m_dx, Real(0));
    backward_params(dy);
    return m_dx;
  }

  // backward that adds dL/dx into dx (the input's shape) instead of returning it: a
  // FourierBlock sums its two branches' gradients without a pass of its own.
  void backward_add(const T<Real>& dy, T<Real>& dx) {
    input_gradient(dy, dx, Real(1));
    backward_params(dy);
  }

  void backward_params(const T<Real>& dy) override {
    const T<Real>& x = *m_x;
    const Index batch = x.shape[0], points = x.size() / (batch * m_in);
    ensure_ones(std::max(batch, points));
    core::Blas<Real>& blas = *m_ctx.blas;
    const int b = int(batch);
    if (points == 1) {
      blas.gemm(core::Op::N, core::Op::T, m_in, m_out, b, Real(1), x.ptr(), m_in, dy.ptr(), m_out,
                Real(1), m_w.grad.ptr(), m_in);
      blas.gemm(core::Op::N, core::Op::N, m_out, 1, b, Real(1), dy.ptr(), m_out, m_ones.data(), b,
                Real(1), m_b.grad.ptr(), m_out);
      return;
    }
    const int p = int(points);
    // Weight and bias gradients sum over the batch. A batched product cannot write one
    // matrix from several samples, so each sample's product goes to its own slice of a reused
    // buffer (one strided batched GEMM), and one GEMM with a ones vector adds the slices to the
    // gradient: 4 calls whatever the batch, instead of 2 per sample.
    const std::size_t w_size = std::size_t(m_in) * m_out;
    if (m_partial.size() < std::size_t(batch) * (w_size + m_out))
      m_partial = core::Buffer<Real, Space>(std::size_t(batch) * (w_size + m_out));
    Real* w_parts = m_partial.data();                   // [batch][out][in]: dW_s (in x out)
    Real* b_parts = m_partial.data() + batch * w_size;  // [batch][out]: dB_s
    blas.gemm_strided_batched(core::Op::T, core::Op::N, m_in, m_out, p, Real(1), x.ptr(), p,
                              std::int64_t(m_in) * p, dy.ptr(), p, std::int64_t(m_out) * p,
                              Real(0), w_parts, m_in, std::int64_t(w_size), b);
    blas.gemm(core::Op::N, core::Op::N, int(w_size), 1, b, Real(1), w_parts, int(w_size),
              m_ones.data(), b, Real(1), m_w.grad.ptr(), int(w_size));
    // dy as (batch out) rows of p points: each row's sum, then the rows of each output added.
    blas.gemm(core::Op::T, core::Op::N, m_out * b, 1, p, Real(1), dy.ptr(), p, m_ones.data(), p,
              Real(0), b_parts, m_out * b);
    blas.gemm(core::Op::N, core::Op::N, m_out, 1, b, Real(1), b_parts, m_out, m_ones.data(), b,
              Real(1), m_b.grad.ptr(), m_out);
  }

  std::vector<Param<Real>*> params() override { return {&m_w, &m_b}; }

 private:
  // dx = dL/dx + beta dx: one GEMM, or one strided batched GEMM on fields.
  void input_gradient(const T<Real>& dy, T<Real>& dx, Real beta) {
    const T<Real>& x = *m_x;
    const Index batch = x.shape[0], points = x.size() / (batch * m_in);
    core::Blas<Real>& blas = *m_ctx.blas;
    if (points == 1)
      blas.gemm(core::Op::N, core::Op::N, m_in, int(batch), m_out, Real(1), m_w.value.ptr(), m_in,
                dy.ptr(), m_out, beta, dx.ptr(), m_in);
    else
      blas.gemm_strided_batched(core::Op::N, core::Op::T, int(points), m_in, m_out, Real(1),
                                dy.ptr(), int(points), std::int64_t(m_out) * points,
                                m_w.value.ptr(), m_in, 0, beta, dx.ptr(), int(points),
                                std::int64_t(m_in) * points, int(batch));
  }

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
  core::Buffer<Real, Space> m_partial;  // per-sample weight and bias gradients, reused
};

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
