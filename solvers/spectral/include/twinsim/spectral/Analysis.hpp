#pragma once
// Figures the spectral runs compute from their output, here so that tests and benchmarks
// compute them the same way: the error of a 2D Taylor-Green run against the exact decay, and
// the peak of a history sampled at records (the dissipation peak of a 3D Taylor-Green run).
#include <cmath>
#include <vector>

namespace twinsim::spectral {

// The Taylor-Green start of Vorticity2D::set_taylor_green(u0, mode), left unforced: it decays as
// exp(-nu (a^2 + b^2) t) with a, b = 2 pi mode / (lx, ly). Case units.
struct TaylorGreen2D {
  double lx = 2 * M_PI, ly = 2 * M_PI;  // box edges [length]
  double nu = 0;                        // kinematic viscosity [length^2/time]
  double u0 = 1;                        // velocity amplitude [length/time]
  int mode = 1;                         // waves per box edge
};

// max |w - exact| / amplitude over one sample's vorticity at time t: h_w [y][x] on an nx x ny
// grid of the box (nodes at x = i lx / nx), host memory; the amplitude is the exact one at t,
// u0 (a^2 + b^2) / b exp(-nu (a^2 + b^2) t). Round-off (1e-14) for rk4_if in FP64.
template <class Real>
double taylor_green_error_2d(const TaylorGreen2D& flow, const Real* h_w, int nx, int ny, double t);

// The peak of a history (values[i] at times[i], equally spaced), as the spectral3d summary
// reports the dissipation peak.
struct Peak {
  // The largest value (the first of equals) and its time; 0 and 0 when no value is > 0.
  double value = 0, time = 0;
  // The vertex of the parabola through the largest value and its two neighbours: the peak
  // between records, accurate to O(spacing^3) for a smooth history. The record itself when it
  // is the first or the last, or when the three are not concave.
  double value_interpolated = 0, time_interpolated = 0;
};
Peak peak_of(const std::vector<double>& times, const std::vector<double>& values);

}  // namespace twinsim::spectral
