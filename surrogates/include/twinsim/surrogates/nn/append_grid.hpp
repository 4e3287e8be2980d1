#pragma once
// The FNO's coordinate channels.
#include "twinsim/surrogates/nn/layer.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::nnk {

// [b][c][y][x] -> [b][c + 2][y][x], the last two channels x / nx and y / ny in [0, 1); one work
// item per run of a plane (k_run).
template <class Real>
void append_grid(const Real* d_x, Real* d_y, Index batch, Index c, Index ny, Index nx) {
  const Index plane = ny * nx, co = c + 2, runs = runs_of(plane);
  for_each_index(batch * co * runs, [=] TWINSIM_HD(Index r) {
    const Index q = r % runs, ch = (r / runs) % co, b = r / (runs * co);
    const Index p0 = q * k_run, n = plane - p0 < k_run ? plane - p0 : k_run;
    Real* y = d_y + (b * co + ch) * plane + p0;
    if (ch < c) {
      const Real* x = d_x + (b * c + ch) * plane + p0;
      for (Index j = 0; j < n; ++j) y[j] = x[j];
    } else if (ch == c) {
      for (Index j = 0; j < n; ++j) y[j] = Real((p0 + j) % nx) / Real(nx);
    } else {
      for (Index j = 0; j < n; ++j) y[j] = Real((p0 + j) / nx) / Real(ny);
    }
  });
}

template <class Real>
void drop_grid_gradient(const Real* d_dy, Real* d_dx, Index batch, Index c, Index plane) {
  for_each_index(batch * c * plane, [=] TWINSIM_HD(Index i) {
    const Index p = i % plane, ch = (i / plane) % c, b = i / (plane * c);
    d_dx[i] = d_dy[(b * (c + 2) + ch) * plane + p];
  });
}

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

}  // namespace twinsim::TWINSIM_BACKEND_NS::nnk
