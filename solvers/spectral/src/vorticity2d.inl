// Backend translation unit: the batched 2D vorticity solver on the OpenMP or CUDA backend.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"
#include "twinsim/spectral/kernels/vorticity2d_kernel.hpp"
#include "energy_spectrum.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace vorticity2d_detail {

using core::Buffer;
using core::Complex;
using spectral::Grid2D;

// Kernels as free functions over raw pointers in Space memory (nvcc's extended lambdas may not
// live in private member functions). `modes` counts one sample's half-plane, ny * nkx.

// d_grad: [4][b][modes] u, v, dw/dx, dw/dy modes from d_w [b][modes].
template <class Real>
void gradient_modes(const Grid2D g, int batch, const Complex<Real>* d_w, Complex<Real>* d_grad) {
  const Index modes = Index(g.ny) * g.nkx, total = modes * batch;
  for_each_index(total, [=] TWINSIM_HD(Index i) {
    spectral::velocity_gradient_modes(g, i % modes, d_w[i], d_grad[i], d_grad[total + i],
                                      d_grad[2 * total + i], d_grad[3 * total + i]);
  });
}

// max over the grid points of max(|u| / hx, |v| / hy), d_fields as below.
template <class Real>
double cfl_rate(Index total_points, double hx, double hy, const Real* d_fields) {
  return transform_reduce(
      total_points, 0.0,
      [=] TWINSIM_HD(Index i) {
        return spectral::cfl_rate_2d(d_fields[i], d_fields[total_points + i], hx, hy);
      },
      core::Max{});
}

// d_fields: [4][b][points] u, v, dw/dx, dw/dy on the grid; the product u dw/dx + v dw/dy
// overwrites the first block.
template <class Real>
void advection_product(Index total_points, Real* d_fields) {
  for_each_index(total_points, [=] TWINSIM_HD(Index i) {
    const Index n = total_points;
    d_fields[i] = d_fields[i] * d_fields[2 * n + i] + d_fields[n + i] * d_fields[3 * n + i];
  });
}

template <class Real>
void nonlinear_modes(const Grid2D g, int batch, const Complex<Real>* d_forcing,
                     Complex<Real>* d_nl) {
  const Index modes = Index(g.ny) * g.nkx;
  for_each_index(modes * batch, [=] TWINSIM_HD(Index i) {
    d_nl[i] = spectral::nonlinear_mode(g, i % modes, d_nl[i], d_forcing[i]);
  });
}

template <class Real>
void rk4_if_stage(int stage, double dt, const Grid2D g, int batch, const Real* d_factor,
                  Complex<Real>* d_w, Complex<Real>* d_acc, Complex<Real>* d_next,
                  const Complex<Real>* d_nl) {
  const Index modes = Index(g.ny) * g.nkx;
  for_each_index(modes * batch, [=] TWINSIM_HD(Index i) {
    spectral::rk4_if_update(stage, dt, d_factor[i % modes], d_w[i], d_acc[i], d_next[i], d_nl[i]);
  });
}

template <class Real>
void integrating_factors(const Grid2D g, double nu, double dt, Real* d_factor) {
  for_each_index(Index(g.ny) * g.nkx, [=] TWINSIM_HD(Index m) {
    d_factor[m] = Real(spectral::integrating_factor(g, m, nu, dt));
  });
}

// d_out = CN step from d_w with right-hand side (d_r1 + d_r2) / 2 (d_r2 null: d_r1).
template <class Real>
void crank_nicolson_step(double dt, double nu, const Grid2D g, int batch, const Complex<Real>* d_w,
                         const Complex<Real>* d_r1, const Complex<Real>* d_r2,
                         Complex<Real>* d_out) {
  const Index modes = Index(g.ny) * g.nkx;
  for_each_index(modes * batch, [=] TWINSIM_HD(Index i) {
    const Complex<Real> r = d_r2 ? Real(0.5) * (d_r1[i] + d_r2[i]) : d_r1[i];
    d_out[i] = spectral::crank_nicolson(dt, nu, g, i % modes, d_w[i], r);
  });
}

// Grid values of the initial field or forcing in every sample.
enum class GridField { taylor_green, forcing };
template <class Real>
void sample_grid(const Grid2D g, int batch, GridField field, double u0, int mode,
                 spectral::ForcingParams forcing, Real* d_out) {
  const Index points = Index(g.ny) * g.nx;
  const double hx = 2.0 * M_PI / g.kx0 / g.nx, hy = 2.0 * M_PI / g.ky0 / g.ny;
  for_each_index(points * batch, [=] TWINSIM_HD(Index i) {
    const Index p = i % points;
    const double x = hx * double(p % g.nx), y = hy * double(p / g.nx);
    d_out[i] = Real(field == GridField::taylor_green
                        ? spectral::taylor_green_vorticity_2d(g, u0, mode, x, y)
                        : spectral::forcing_value(forcing, g, x, y));
  });
}

template <class Real>
void random_field(const Grid2D g, int batch, spectral::RandomFieldParams p,
                  const std::uint64_t* d_seeds, double volume, Complex<Real>* d_w) {
  const Index modes = Index(g.ny) * g.nkx;
  for_each_index(modes * batch, [=] TWINSIM_HD(Index i) {
    d_w[i] = spectral::random_field_mode<Real>(g, i % modes, p, d_seeds[i / modes], volume);
  });
}

template <class Real>
void scale_modes(Index n, Real s, Complex<Real>* d_modes) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_modes[i] = s * d_modes[i]; });
}

template <class Real>
void truncate_modes(const Grid2D fine, const Grid2D coarse, int batch, const Complex<Real>* d_fine,
                    Complex<Real>* d_coarse) {
  const Index fine_modes = Index(fine.ny) * fine.nkx, coarse_modes = Index(coarse.ny) * coarse.nkx;
  for_each_index(coarse_modes * batch, [=] TWINSIM_HD(Index i) {
    d_coarse[i] = spectral::truncated_mode(fine, coarse, i % coarse_modes,
                                           d_fine + (i / coarse_modes) * fine_modes);
  });
}

// Planes of `plane` values, contiguous in d_from [n], to d_to at `stride` apart.
template <class Real>
void copy_planes(const Real* d_from, Index plane, Index n, Index stride, Real* d_to) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_to[(i / plane) * stride + i % plane] = d_from[i]; });
}

enum class Norm { energy, enstrophy };
template <class Real>
double mode_sum(const Grid2D g, Norm norm, const Complex<Real>* d_w_sample) {
  return transform_reduce(
      Index(g.ny) * g.nkx, 0.0,
      [=] TWINSIM_HD(Index m) {
        return norm == Norm::energy ? spectral::energy_of_mode(g, m, d_w_sample[m])
                                    : spectral::enstrophy_of_mode(g, m, d_w_sample[m]);
      },
      core::Plus{});
}

// 0 when every mode is finite, else NaN: x - x is 0 for a finite x and NaN for NaN and
// +-infinity, and a NaN survives the sum (large finite values cannot overflow it).
template <class Real>
double non_finite_marker(Index modes, const Complex<Real>* d_w) {
  return transform_reduce(
      modes, 0.0,
      [=] TWINSIM_HD(Index m) {
        const double re = d_w[m].re, im = d_w[m].im;
        return (re - re) + (im - im);
      },
      core::Plus{});
}

Grid2D make_grid(int nx, int ny, double lx, double ly) {
  return {nx, ny, nx / 2 + 1, 2.0 * M_PI / lx, 2.0 * M_PI / ly};
}

template <class Real>
class Vorticity2DImpl final : public spectral::Vorticity2D<Real> {
 public:
  explicit Vorticity2DImpl(const spectral::Vorticity2DConfig& c)
      : m_config(c),
        m_grid(make_grid(c.nx, c.ny, c.lx, c.ly)),
        m_modes(std::size_t(c.ny) * m_grid.nkx * c.batch),
        m_points(std::size_t(c.ny) * c.nx * c.batch),
        m_w(m_modes),
        m_acc(m_modes),
        m_next(m_modes),
        m_nl(m_modes),
        m_forcing(m_modes),
        m_factor(std::size_t(c.ny) * m_grid.nkx),
        m_grad(4 * m_modes),
        m_fields(4 * m_points),
        m_fft(core::make_real_fft<Real>(k_backend, {c.ny, c.nx}, c.batch)),
        m_fft4(core::make_real_fft<Real>(k_backend, {c.ny, c.nx}, 4 * c.batch)),
        m_dk(spectral::spectrum_dk(m_grid.kx0, m_grid.ky0)),
        m_shells(spectral::spectrum_shells_2d(m_grid)) {
    sample_grid(m_grid, c.batch, GridField::forcing, 0.0, 0, c.forcing, m_fields.data());
    from_grid(m_fields.data(), m_forcing.data());
    ensure_factors(c.dt);
    m_dt = c.dt;
  }

  const spectral::Vorticity2DConfig& config() const override { return m_config; }

  void set_taylor_green(double u0, int mode) override {
    sample_grid(m_grid, m_config.batch, GridField::taylor_green, u0, mode, m_config.forcing,
                m_fields.data());
    from_grid(m_fields.data(), m_w.data());
    restart_clock();
  }

  void set_random_field(const spectral::RandomFieldParams& p,
                        const std::vector<std::uint64_t>& seeds) override {
    TWINSIM_REQUIRE(seeds.size() == std::size_t(m_config.batch), "one seed per sample");
    const auto d_seeds = Buffer<std::uint64_t, Space>::from_host(seeds);
    random_field(m_grid, m_config.batch, p, d_seeds.data(), m_config.lx * m_config.ly, m_w.data());
    synchronize();  // d_seeds is freed on return
    restart_clock();
  }

  void set_vorticity(const std::vector<Real>& h_vorticity) override {
    TWINSIM_REQUIRE(h_vorticity.size() == m_points, "vorticity: batch * ny * nx values");
    const auto d_w = Buffer<Real, Space>::from_host(h_vorticity);
    from_grid(d_w.data(), m_w.data());
    synchronize();
    restart_clock();
  }

  void advance(std::int64_t steps) override {
    for (std::int64_t s = 0; s < steps; ++s) {
      step(0.0, 0.0);
      // Time as a count of steps since the last anchor: no drift from summing dt.
      m_time = m_anchor + double(++m_steps) * m_config.dt;
    }
  }

  std::int64_t advance_cfl_to(double target, double cfl, std::int64_t max_steps) override {
    TWINSIM_REQUIRE(cfl > 0 && max_steps >= 0, "advance_cfl_to: cfl > 0 and max_steps >= 0");
    std::int64_t taken = 0;
    // step() shortens the last step of the interval to the remainder: it lands on target.
    for (; taken < max_steps && m_time < target; ++taken) {
      const double dt = step(cfl, target - m_time);
      m_time = dt >= target - m_time ? target : m_time + dt;
    }
    m_anchor = m_time;
    m_steps = 0;
    return taken;
  }

  double last_dt() const override { return m_dt; }
  double time() const override { return m_time; }

  spectral::SpectralState<Real> state() const override {
    return {core::to_host(m_w), m_time, m_dt, m_anchor, m_steps};
  }

  void set_state(const spectral::SpectralState<Real>& state) override {
    TWINSIM_REQUIRE(state.modes.size() == m_w.size(),
                    "spectral state: the mode count differs from this solver's (another grid "
                    "or batch)");
    m_w = Buffer<Complex<Real>, Space>::from_host(state.modes);
    m_time = state.time;
    m_dt = state.last_dt;
    m_anchor = state.anchor;
    m_steps = state.steps;
  }

  std::vector<Real> vorticity(int ny_out, int nx_out) override {
    output_vorticity(ny_out, nx_out);
    return core::to_host(m_out);
  }

  void vorticity_into(int ny_out, int nx_out, Real* d_to, std::int64_t stride) override {
    output_vorticity(ny_out, nx_out);
    const Index plane = Index(ny_out) * nx_out;
    TWINSIM_REQUIRE(stride >= plane, "vorticity_into: planes overlap");
    copy_planes(m_out.data(), plane, Index(m_config.batch) * plane, Index(stride), d_to);
  }

  std::vector<double> kinetic_energy() const override { return norms(Norm::energy); }
  std::vector<double> enstrophy() const override { return norms(Norm::enstrophy); }
  bool non_finite() const override {
    return !(non_finite_marker(Index(m_modes), m_w.data()) == 0.0);
  }

  std::vector<double> energy_spectrum() override {
    const std::int64_t modes = std::int64_t(m_config.ny) * m_grid.nkx;
    std::vector<double> out;
    out.reserve(std::size_t(m_config.batch) * m_shells);
    for (int b = 0; b < m_config.batch; ++b) {
      const spectral::VorticityShellTerm<Real> term{m_grid, m_dk, m_w.data() + b * modes};
      const std::vector<double> e =
          spectrum_detail::shell_sums(term, modes, m_shells, m_spectrum_scratch);
      out.insert(out.end(), e.begin(), e.end());
    }
    return out;
  }
  int spectrum_shells() const override { return m_shells; }
  double spectrum_shell_width() const override { return m_dk; }

 private:
  // The vorticity on the ny_out x nx_out grid into m_out [b][y][x].
  void output_vorticity(int ny_out, int nx_out) {
    TWINSIM_REQUIRE(ny_out >= 2 && nx_out >= 2 && ny_out % 2 == 0 && nx_out % 2 == 0 &&
                        ny_out <= m_config.ny && nx_out <= m_config.nx,
                    "output grid: even sizes no larger than the solver's");
    if (!m_out_fft || m_out_fft->shape() != std::vector<int>{ny_out, nx_out}) {
      m_out_fft = core::make_real_fft<Real>(k_backend, {ny_out, nx_out}, m_config.batch);
      m_out = Buffer<Real, Space>(std::size_t(ny_out) * nx_out * m_config.batch);
    }
    const Grid2D coarse = make_grid(nx_out, ny_out, m_config.lx, m_config.ly);
    // The gradient buffer is free between steps and holds at least batch coarse planes.
    truncate_modes(m_grid, coarse, m_config.batch, m_w.data(), m_grad.data());
    m_out_fft->inverse(m_grad.data(), m_out.data());
  }

  void restart_clock() {
    m_steps = 0;
    m_time = 0;
    m_anchor = 0;
  }

  // The rk4_if table exp(-nu |k|^2 dt / 2) for this dt (recomputed only when dt changes, so
  // fixed-step runs compute it once, as before adaptive steps existed).
  void ensure_factors(double dt) {
    if (dt == m_factor_dt) return;
    integrating_factors(m_grid, m_config.nu, dt, m_factor.data());
    m_factor_dt = dt;
  }

  std::vector<double> norms(Norm norm) const {
    std::vector<double> out(m_config.batch);
    const std::size_t modes = std::size_t(m_config.ny) * m_grid.nkx;
    for (int b = 0; b < m_config.batch; ++b)
      out[b] = mode_sum(m_grid, norm, m_w.data() + b * modes);
    return out;
  }

  // Batch grid values -> normalised modes.
  void from_grid(const Real* d_grid, Complex<Real>* d_modes) {
    m_fft->forward(d_grid, d_modes);
    scale_modes(Index(m_modes), Real(1.0 / (double(m_config.nx) * m_config.ny)), d_modes);
  }

  // d_nl = N(d_w): -(u.grad w) dealiased, plus the forcing. With rate, also the CFL rate
  // max(|u| / hx, |v| / hy) of d_w over the grid and the batch.
  void evaluate_rhs(const Complex<Real>* d_w, Complex<Real>* d_nl, double* rate = nullptr) {
    gradient_modes(m_grid, m_config.batch, d_w, m_grad.data());
    m_fft4->inverse(m_grad.data(), m_fields.data());
    if (rate)
      *rate = cfl_rate(Index(m_points), m_config.lx / m_config.nx, m_config.ly / m_config.ny,
                       m_fields.data());
    advection_product(Index(m_points), m_fields.data());
    m_fft->forward(m_fields.data(), d_nl);
    nonlinear_modes(m_grid, m_config.batch, m_forcing.data(), d_nl);
  }

  // One step. cfl = 0: dt = config dt. cfl > 0: dt from the CFL bound at the start of the step
  // (capped by the config dt), shortened so that ceil(remaining / dt) equal steps fill the
  // remaining time. Returns the dt taken.
  double step(double cfl, double remaining) {
    const auto& c = m_config;
    // Every scheme starts with N(w); its buffer differs (cn_heun keeps it in m_acc).
    Complex<Real>* first = c.scheme == spectral::Scheme::cn_heun ? m_acc.data() : m_nl.data();
    double rate = 0;
    evaluate_rhs(m_w.data(), first, cfl > 0 ? &rate : nullptr);
    double dt = c.dt;
    if (cfl > 0) {
      if (rate > 0 && cfl / rate < dt) dt = cfl / rate;
      // 1e-12: a remainder that is a whole number of steps up to round-off is not one more step.
      const double n = std::max(1.0, std::ceil(remaining / dt * (1 - 1e-12)));
      dt = remaining / n;
    }
    m_dt = dt;
    switch (c.scheme) {
      case spectral::Scheme::rk4_if:
        ensure_factors(dt);
        for (int stage = 1; stage <= 4; ++stage) {
          rk4_if_stage(stage, dt, m_grid, c.batch, m_factor.data(), m_w.data(), m_acc.data(),
                       m_next.data(), m_nl.data());
          if (stage < 4) evaluate_rhs(m_next.data(), m_nl.data());
        }
        break;
      case spectral::Scheme::cn_euler:
        crank_nicolson_step<Real>(dt, c.nu, m_grid, c.batch, m_w.data(), m_nl.data(), nullptr,
                                  m_w.data());
        break;
      case spectral::Scheme::cn_heun:
        crank_nicolson_step<Real>(dt, c.nu, m_grid, c.batch, m_w.data(), m_acc.data(), nullptr,
                                  m_next.data());
        evaluate_rhs(m_next.data(), m_nl.data());
        crank_nicolson_step<Real>(dt, c.nu, m_grid, c.batch, m_w.data(), m_acc.data(),
                                  m_nl.data(), m_w.data());
        break;
    }
    return dt;
  }

  spectral::Vorticity2DConfig m_config;
  Grid2D m_grid;
  std::size_t m_modes;   // batch * ny * (nx/2 + 1)
  std::size_t m_points;  // batch * ny * nx
  // Mode arrays [b][y][x/2+1], normalised coefficients, Space memory.
  Buffer<Complex<Real>, Space> m_w;                // the state
  Buffer<Complex<Real>, Space> m_acc;              // rk4_if accumulator; cn_heun: N(w)
  Buffer<Complex<Real>, Space> m_next;             // next stage input / predictor
  Buffer<Complex<Real>, Space> m_nl;               // N(stage input)
  Buffer<Complex<Real>, Space> m_forcing;          // f_k per sample
  Buffer<Real, Space> m_factor;                    // [y][x/2+1] exp(-nu |k|^2 dt / 2), rk4_if
  Buffer<Complex<Real>, Space> m_grad;             // [4][b][modes] u, v, dw/dx, dw/dy
  Buffer<Real, Space> m_fields;                    // [4][b][y][x] the same on the grid
  std::unique_ptr<core::RealFft<Real>> m_fft;      // batch B
  std::unique_ptr<core::RealFft<Real>> m_fft4;     // batch 4B: u, v, dw/dx, dw/dy at once
  std::unique_ptr<core::RealFft<Real>> m_out_fft;  // batch B on the output grid
  Buffer<Real, Space> m_out;                       // [b][y][x] on the output grid
  double m_dk;                                     // spectrum shell width [1/length]
  int m_shells;                                    // spectrum shells 0 .. m_shells - 1
  Buffer<double, Space> m_spectrum_scratch;        // [shells][chunks] partial sums
  double m_factor_dt = -1;                         // the dt of m_factor
  double m_dt = 0;                                 // the last step taken
  std::int64_t m_steps = 0;                        // fixed steps since m_anchor
  double m_anchor = 0;                             // time of the last adaptive interval's end
  double m_time = 0;
};

}  // namespace vorticity2d_detail

template <class Real>
std::unique_ptr<spectral::Vorticity2D<Real>> make_vorticity2d(
    const spectral::Vorticity2DConfig& c) {
  return std::make_unique<vorticity2d_detail::Vorticity2DImpl<Real>>(c);
}
template std::unique_ptr<spectral::Vorticity2D<float>> make_vorticity2d<float>(
    const spectral::Vorticity2DConfig&);
template std::unique_ptr<spectral::Vorticity2D<double>> make_vorticity2d<double>(
    const spectral::Vorticity2DConfig&);

}  // namespace twinsim::TWINSIM_BACKEND_NS
