#include "twinsim/spectral/Analysis.hpp"

#include <algorithm>
#include <cstddef>

#include "twinsim/spectral/kernels/vorticity2d_kernel.hpp"

namespace twinsim::spectral {

template <class Real>
double taylor_green_error_2d(const TaylorGreen2D& flow, const Real* h_w, int nx, int ny, double t) {
  const Grid2D g{nx, ny, nx / 2 + 1, 2 * M_PI / flow.lx, 2 * M_PI / flow.ly};
  const double a = flow.mode * g.kx0, b = flow.mode * g.ky0;
  const double decay = std::exp(-flow.nu * (a * a + b * b) * t);
  const double amplitude = flow.u0 * (a * a + b * b) / b * decay;
  double worst = 0;
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      const double px = x * flow.lx / g.nx, py = y * flow.ly / g.ny;
      const double exact = decay * taylor_green_vorticity_2d(g, flow.u0, flow.mode, px, py);
      worst = std::max(worst, std::abs(double(h_w[std::size_t(y) * g.nx + x]) - exact));
    }
  return worst / amplitude;
}
template double taylor_green_error_2d<float>(const TaylorGreen2D&, const float*, int, int, double);
template double taylor_green_error_2d<double>(const TaylorGreen2D&, const double*, int, int,
                                              double);

Peak peak_of(const std::vector<double>& times, const std::vector<double>& values) {
  Peak p;
  std::size_t top = values.size();  // none yet
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] > p.value) p.value = values[i], p.time = times[i], top = i;
  p.value_interpolated = p.value;
  p.time_interpolated = p.time;
  if (top == values.size() || top == 0 || top + 1 == values.size()) return p;
  const double a = values[top - 1], b = values[top], d = values[top + 1];
  const double curvature = a - 2 * b + d;  // < 0 at an interior maximum
  if (curvature < 0) {
    const double x = 0.5 * (a - d) / curvature;  // offset in records, |x| <= 1/2
    p.time_interpolated = times[top] + x * (times[top + 1] - times[top]);
    p.value_interpolated = b - 0.25 * (a - d) * x;
  }
  return p;
}

}  // namespace twinsim::spectral
