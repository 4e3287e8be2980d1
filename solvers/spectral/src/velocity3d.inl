// Backend translation unit: the batched 3D velocity-form solver on the OpenMP or CUDA backend.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/SlabFft.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/core/slab_fft_exec.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/kernels/energy_spectrum_kernel.hpp"
#include "twinsim/spectral/kernels/velocity3d_kernel.hpp"
#include "energy_spectrum.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace velocity3d_detail {

using core::Buffer;
using core::Complex;
using spectral::Grid3D;

// Kernels as free functions over raw pointers in Space memory, over this rank's part of the grid
// (Grid3D's z0, y0, transposed: one rank holds all of it). `total` counts the modes of one
// component over the batch; component c of an array starts at c * total.

// d_out [6][total]: u, v, w (copied) and the vorticity modes, for one batched inverse transform.
template <class Real>
void velocity_and_curl(const Grid3D g, Index modes, Index total, const Complex<Real>* d_u,
                       Complex<Real>* d_out) {
  for_each_index(total, [=] TWINSIM_HD(Index i) {
    const spectral::ModeK3 k = spectral::mode_wavenumbers_3d(g, i % modes);
    const Complex<Real> u = d_u[i], v = d_u[total + i], w = d_u[2 * total + i];
    d_out[i] = u;
    d_out[total + i] = v;
    d_out[2 * total + i] = w;
    spectral::curl_modes_3d(k, u, v, w, d_out[3 * total + i], d_out[4 * total + i],
                            d_out[5 * total + i]);
  });
}

// d_f [6][points] u, v, w, ox, oy, oz on the grid -> u x w in the first three blocks.
template <class Real>
void cross_product(Index points, Real* d_f) {
  for_each_index(points, [=] TWINSIM_HD(Index i) {
    const Index n = points;
    const Real u = d_f[i], v = d_f[n + i], w = d_f[2 * n + i];
    const Real ox = d_f[3 * n + i], oy = d_f[4 * n + i], oz = d_f[5 * n + i];
    d_f[i] = v * oz - w * oy;
    d_f[n + i] = w * ox - u * oz;
    d_f[2 * n + i] = u * oy - v * ox;
  });
}

// max over grid points of max_i |u_i| / h_i; d_f [3 or more][points] u, v, w on the grid.
template <class Real>
double cfl_rate(Index points, double hx, double hy, double hz, const Real* d_f) {
  return transform_reduce(
      points, 0.0,
      [=] TWINSIM_HD(Index i) {
        return spectral::cfl_rate_3d(d_f[i], d_f[points + i], d_f[2 * points + i], hx, hy, hz);
      },
      core::Max{});
}

// d_u -= k (k.d_u) / |k|^2 for every mode: the divergence-free part.
template <class Real>
void project_modes(const Grid3D g, Index modes, Index total, Complex<Real>* d_u) {
  for_each_index(total, [=] TWINSIM_HD(Index i) {
    const spectral::ModeK3 k = spectral::mode_wavenumbers_3d(g, i % modes);
    if (!(k.k2 > 0)) return;
    Complex<Real>&x = d_u[i], &y = d_u[total + i], &z = d_u[2 * total + i];
    const Complex<Real> kdotu = Real(k.kx) * x + Real(k.ky) * y + Real(k.kz) * z;
    const Real inv = Real(1.0 / k.k2);
    x = x - (inv * Real(k.kx)) * kdotu;
    y = y - (inv * Real(k.ky)) * kdotu;
    z = z - (inv * Real(k.kz)) * kdotu;
  });
}

template <class Real>
void project(const Grid3D g, Index modes, Index total, double forcing, const Complex<Real>* d_u,
             Complex<Real>* d_rhs) {
  const double scale = 1.0 / (double(g.nx) * g.ny * g.nz);
  for_each_index(total, [=] TWINSIM_HD(Index i) {
    spectral::projected_rhs_3d(spectral::mode_wavenumbers_3d(g, i % modes), scale, forcing,
                               d_rhs[i], d_rhs[total + i], d_rhs[2 * total + i], d_u[i],
                               d_u[total + i], d_u[2 * total + i]);
  });
}

template <class Real>
void rk4_if_stage(int stage, double dt, Index modes, Index total, const Real* d_factor,
                  Complex<Real>* d_w, Complex<Real>* d_acc, Complex<Real>* d_next,
                  const Complex<Real>* d_nl) {
  for_each_index(3 * total, [=] TWINSIM_HD(Index i) {
    spectral::rk4_if_update(stage, dt, d_factor[i % modes], d_w[i], d_acc[i], d_next[i], d_nl[i]);
  });
}

template <class Real>
void integrating_factors(const Grid3D g, Index modes, double nu, double dt, Real* d_factor) {
  for_each_index(modes, [=] TWINSIM_HD(Index m) {
    d_factor[m] = Real(exp(-0.5 * nu * spectral::mode_wavenumbers_3d(g, m).k2 * dt));
  });
}

template <class Real>
void sample_initial(const Grid3D g, Index points, int batch, spectral::Initial3D kind, double v0,
                    Real* d_f) {
  const double hx = 2 * M_PI / g.kx0 / g.nx, hy = 2 * M_PI / g.ky0 / g.ny,
               hz = 2 * M_PI / g.kz0 / g.nz;
  const Index total = points * batch;
  for_each_index(total, [=] TWINSIM_HD(Index i) {
    const Index p = i % points;
    const Index ix = p % g.nx, iy = (p / g.nx) % g.ny, iz = g.z0 + p / (Index(g.nx) * g.ny);
    double u, v, w;
    spectral::initial_velocity_3d(kind, g, v0, hx * double(ix), hy * double(iy), hz * double(iz), u,
                                  v, w);
    d_f[i] = Real(u);
    d_f[total + i] = Real(v);
    d_f[2 * total + i] = Real(w);
  });
}

template <class Real>
void copy_modes(Index n, const Complex<Real>* d_from, Complex<Real>* d_to) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_to[i] = d_from[i]; });
}

template <class Real>
void scale_modes(Index n, Real s, Complex<Real>* d_modes) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { d_modes[i] = s * d_modes[i]; });
}

enum class Norm { energy, enstrophy, divergence, gradient };
// Sum (energy, enstrophy) or max (divergence |k.u|, gradient |k| |u|) over one sample's modes.
template <class Real>
double mode_norm(const Grid3D g, Index modes, Index total, Norm norm, const Complex<Real>* d_u) {
  const auto term = [=] TWINSIM_HD(Index m) {
    const spectral::ModeK3 k = spectral::mode_wavenumbers_3d(g, m);
    const Complex<Real> u = d_u[m], v = d_u[total + m], w = d_u[2 * total + m];
    const double s = spectral::squared_norm(u, v, w);
    if (norm == Norm::energy) return 0.5 * spectral::mode_weight_3d(g, m) * s;
    if (norm == Norm::enstrophy) return 0.5 * spectral::mode_weight_3d(g, m) * k.k2 * s;
    if (norm == Norm::gradient) return sqrt(k.k2 * s);
    const Complex<Real> d = Real(k.kx) * u + Real(k.ky) * v + Real(k.kz) * w;
    return sqrt(double(d.re) * d.re + double(d.im) * d.im);
  };
  return norm == Norm::energy || norm == Norm::enstrophy
             ? transform_reduce(modes, 0.0, term, core::Plus{})
             : transform_reduce(modes, 0.0, term, core::Max{});
}

template <class Real>
class Velocity3DImpl final : public spectral::Velocity3D<Real> {
 public:
  Velocity3DImpl(const spectral::Velocity3DConfig& c, core::Comm& comm)
      : m_config(c),
        m_comm(comm),
        m_fft3(make_slab_fft<Real>(comm, c.nz, c.ny, c.nx, 3 * c.batch, m_transposes)),
        m_fft6(make_slab_fft<Real>(comm, c.nz, c.ny, c.nx, 6 * c.batch, m_transposes)),
        m_layout(m_fft3->layout()),
        m_grid{c.nx,
               c.ny,
               c.nz,
               c.nx / 2 + 1,
               2 * M_PI / c.lx,
               2 * M_PI / c.ly,
               2 * M_PI / c.lz,
               m_layout.z0,
               m_layout.y0,
               m_layout.transposed},
        m_modes(m_layout.modes()),
        m_total(m_modes * c.batch),
        m_points(m_layout.points()),
        m_grid_points(double(c.nz) * c.ny * c.nx),
        m_u(3 * m_total),
        m_acc(3 * m_total),
        m_next(3 * m_total),
        m_nl(6 * m_total),
        m_factor(m_modes),
        m_fields(6 * m_points * c.batch),
        m_dk(spectral::spectrum_dk(m_grid.kx0, m_grid.ky0, m_grid.kz0)),
        m_shells(spectral::spectrum_shells_3d(m_grid)),
        m_dt(c.dt) {
    ensure_factors(c.dt);
  }

  const spectral::Velocity3DConfig& config() const override { return m_config; }

  void set_initial(spectral::Initial3D kind, double v0) override {
    sample_initial(m_grid, m_points, m_config.batch, kind, v0, m_fields.data());
    m_fft3->forward(m_fields.data(), m_u.data());
    scale_modes(3 * m_total, Real(1.0 / m_grid_points), m_u.data());
    restart_clock();
  }

  void set_velocity(const std::vector<Real>& h_velocity) override {
    const std::size_t slab = std::size_t(m_points), planes = slab * m_layout.ranks;
    const std::size_t fields = 3 * std::size_t(m_config.batch);
    TWINSIM_REQUIRE(h_velocity.size() == fields * planes,
                    "velocity: 3 * batch * nz * ny * nx values");
    core::Buffer<Real, Space> d_grid(fields * slab);  // this rank's planes of each field
    for (std::size_t f = 0; f < fields; ++f)
      core::detail::copy_bytes(d_grid.data() + f * slab, Space::k_space,
                               h_velocity.data() + f * planes + std::size_t(m_layout.z0) *
                                                                    m_config.ny * m_config.nx,
                               core::MemorySpace::Host, slab * sizeof(Real));
    m_fft3->forward(d_grid.data(), m_u.data());
    scale_modes(3 * m_total, Real(1.0 / m_grid_points), m_u.data());
    project_modes(m_grid, m_modes, m_total, m_u.data());
    synchronize();  // d_grid is freed on return
    restart_clock();
  }

  void advance(std::int64_t steps) override {
    for (std::int64_t s = 0; s < steps; ++s) {
      step(0.0, 0.0);
      // A count of steps since the last anchor: no drift from summing dt.
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
    return {core::to_host(m_u), m_time, m_dt, m_anchor, m_steps};
  }

  void set_state(const spectral::SpectralState<Real>& state) override {
    TWINSIM_REQUIRE(state.modes.size() == m_u.size(),
                    "spectral state: the mode count differs from this solver's (another grid "
                    "or batch)");
    m_u = Buffer<Complex<Real>, Space>::from_host(state.modes);
    m_time = state.time;
    m_dt = state.last_dt;
    m_anchor = state.anchor;
    m_steps = state.steps;
  }

  std::vector<Real> velocity() override {
    // The inverse overwrites its input: transform a copy (the right-hand side buffer is free).
    copy_modes(3 * m_total, m_u.data(), m_nl.data());
    m_fft3->inverse(m_nl.data(), m_fields.data());
    std::vector<Real> h = core::to_host(m_fields);
    h.resize(3 * std::size_t(m_points) * m_config.batch);  // u, v, w; the rest is scratch
    return h;
  }

  std::vector<double> kinetic_energy() const override { return per_sample(Norm::energy); }
  std::vector<double> enstrophy() const override { return per_sample(Norm::enstrophy); }
  std::vector<double> energy_spectrum() override {
    std::vector<double> out;
    for (int b = 0; b < m_config.batch; ++b) {
      const spectral::VelocityShellTerm<Real> term{m_grid, m_dk, m_u.data() + b * m_modes,
                                                   m_total};
      const std::vector<double> e =
          spectrum_detail::shell_sums(term, m_modes, m_shells, m_spectrum_scratch);
      out.insert(out.end(), e.begin(), e.end());
    }
    if (m_layout.ranks > 1) m_comm.allreduce(out.data(), out.size(), core::Reduce::sum);
    return out;
  }
  int spectrum_shells() const override { return m_shells; }
  double spectrum_shell_width() const override { return m_dk; }

  const core::SlabLayout& layout() const override { return m_layout; }
  core::Comm& comm() const override { return m_comm; }

  std::vector<double> relative_divergence() const override {
    std::vector<double> d = per_sample(Norm::divergence), g = per_sample(Norm::gradient);
    for (std::size_t b = 0; b < d.size(); ++b) d[b] = g[b] > 0 ? d[b] / g[b] : 0.0;
    return d;
  }

 private:
  std::vector<double> per_sample(Norm norm) const {
    std::vector<double> out(m_config.batch);
    for (int b = 0; b < m_config.batch; ++b)
      out[b] = mode_norm(m_grid, m_modes, m_total, norm, m_u.data() + b * m_modes);
    if (m_layout.ranks > 1)
      m_comm.allreduce(out.data(), out.size(),
                       norm == Norm::energy || norm == Norm::enstrophy ? core::Reduce::sum
                                                                       : core::Reduce::max);
    return out;
  }

  void restart_clock() {
    m_steps = 0;
    m_time = 0;
    m_anchor = 0;
  }

  void ensure_factors(double dt) {
    if (dt == m_factor_dt) return;
    integrating_factors(m_grid, m_modes, m_config.nu, dt, m_factor.data());
    m_factor_dt = dt;
  }

  // One RK4 step; dt as in Vorticity2D's step(): the config dt, or (cfl > 0) the CFL bound at
  // the start of the step shortened to fill `remaining` with equal steps. Returns dt.
  double step(double cfl, double remaining) {
    double rate = 0;
    evaluate_rhs(m_u.data(), cfl > 0 ? &rate : nullptr);
    double dt = m_config.dt;
    if (cfl > 0) {
      if (rate > 0 && cfl / rate < dt) dt = cfl / rate;
      const double n = std::max(1.0, std::ceil(remaining / dt * (1 - 1e-12)));
      dt = remaining / n;
    }
    m_dt = dt;
    ensure_factors(dt);
    for (int stage = 1; stage <= 4; ++stage) {
      rk4_if_stage(stage, dt, m_modes, m_total, m_factor.data(), m_u.data(), m_acc.data(),
                   m_next.data(), m_nl.data());
      if (stage < 4) evaluate_rhs(m_next.data());
    }
    return dt;
  }

  // m_nl[0..3) = P(u x w) (+ A u) from the modes d_u; with rate, also the CFL rate of d_u.
  void evaluate_rhs(const Complex<Real>* d_u, double* rate = nullptr) {
    velocity_and_curl(m_grid, m_modes, m_total, d_u, m_nl.data());
    m_fft6->inverse(m_nl.data(), m_fields.data());
    if (rate) {
      *rate = cfl_rate(m_points * m_config.batch, m_config.lx / m_config.nx,
                       m_config.ly / m_config.ny, m_config.lz / m_config.nz, m_fields.data());
      if (m_layout.ranks > 1) *rate = m_comm.max(*rate);  // every rank takes the same step
    }
    cross_product(m_points * m_config.batch, m_fields.data());
    m_fft3->forward(m_fields.data(), m_nl.data());
    project(m_grid, m_modes, m_total, m_config.linear_forcing, d_u, m_nl.data());
  }

  spectral::Velocity3DConfig m_config;
  core::Comm& m_comm;
  // Batch 3B and 6B; on several ranks they share their transposes' buffers (2 x 6B complex
  // slabs: the solver's memory less than doubles).
  std::shared_ptr<SlabScratch<Real>> m_transposes = std::make_shared<SlabScratch<Real>>();
  std::unique_ptr<core::SlabFft<Real>> m_fft3;
  std::unique_ptr<core::SlabFft<Real>> m_fft6;
  core::SlabLayout m_layout;  // this rank's planes and modes
  Grid3D m_grid;
  Index m_modes;         // one component of one sample on this rank: layout().modes()
  Index m_total;         // m_modes * batch
  Index m_points;        // one component of one sample on this rank: layout().points()
  double m_grid_points;  // nz * ny * nx, the whole grid: the forward transform's scale
  // Mode arrays [c][b][z][y][x/2+1], normalised coefficients, Space memory.
  Buffer<Complex<Real>, Space> m_u;     // the state
  Buffer<Complex<Real>, Space> m_acc;   // RK4 accumulator
  Buffer<Complex<Real>, Space> m_next;  // next stage input
  Buffer<Complex<Real>, Space> m_nl;    // [6]: u and curl u modes, then the right-hand side [3]
  Buffer<Real, Space> m_factor;         // [z][y][x/2+1] exp(-nu |k|^2 dt / 2)
  Buffer<Real, Space> m_fields;         // [6][b][planes][y][x] u, curl u, then u x w on the grid
  double m_dk;                                  // spectrum shell width [1/length]
  int m_shells;                                 // spectrum shells 0 .. m_shells - 1
  Buffer<double, Space> m_spectrum_scratch;     // [shells][chunks] partial sums
  double m_dt;                                  // the last step taken
  double m_factor_dt = -1;                      // the dt of m_factor
  std::int64_t m_steps = 0;                     // fixed steps since m_anchor
  double m_anchor = 0;                          // end of the last adaptive interval
  double m_time = 0;
};

}  // namespace velocity3d_detail

template <class Real>
std::unique_ptr<spectral::Velocity3D<Real>> make_velocity3d(const spectral::Velocity3DConfig& c,
                                                            core::Comm& comm) {
  return std::make_unique<velocity3d_detail::Velocity3DImpl<Real>>(c, comm);
}
template std::unique_ptr<spectral::Velocity3D<float>> make_velocity3d<float>(
    const spectral::Velocity3DConfig&, core::Comm&);
template std::unique_ptr<spectral::Velocity3D<double>> make_velocity3d<double>(
    const spectral::Velocity3DConfig&, core::Comm&);

}  // namespace twinsim::TWINSIM_BACKEND_NS
