// The Taylor-Green check as a run: sample the exact vortex at each output time on the chosen
// backend, differentiate it spectrally, write the fields (HDF5 + XDMF) and the figures.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Progress.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/spectral/TaylorGreenCheck.hpp"

namespace twinsim::app {

void add_taylor_green_schema(io::Schema& schema) {
  schema.section("taylor_green", "Exact 2D Taylor-Green vortex on a periodic square grid")
      .key_int("n", "Grid points per direction (even)").default_value(128).at_least(4)
      .key_float("k", "Wavenumber; the box edge is 2 pi / k").default_value(1.0)
      .unit("1/length").greater_than(0.0)
      .key_float("u0", "Velocity amplitude").default_value(1.0).unit("length/time")
      .greater_than(0.0)
      .key_float("nu", "Kinematic viscosity").default_value(0.01).unit("length^2/time")
      .at_least(0.0)
      .key_float("t_end", "Last output time").default_value(10.0).unit("time").at_least(0.0)
      .key_int("frames", "Output frames, evenly spaced over [0, t_end]").default_value(11)
      .at_least(1);
}

RunResult run_taylor_green(const RunContext& ctx) {
  if (ctx.restart)
    throw core::Error("taylor_green_check has no state to continue: it evaluates the exact "
                      "vortex in seconds and writes no checkpoints; run it again without "
                      "--restart (with --overwrite to reuse the folder)");
  const io::Case& c = ctx.case_file;
  const io::Section tg = c.section("taylor_green");
  const int n = int(tg.get_int("n"));
  const spectral::TaylorGreenParams p{tg.get_float("u0"), tg.get_float("k"), tg.get_float("nu")};
  const double t_end = tg.get_float("t_end");
  const std::int64_t frames = tg.get_int("frames");
  const double h = 2.0 * M_PI / p.k / n;

  auto check = spectral::make_taylor_green_check(ctx.backend, n, p);
  io::H5File file = io::H5File::create(ctx.run.file(ctx.name + ".h5"));
  io::write_provenance(file, {c.resolved_text(), std::string(core::to_string(ctx.backend)),
                              "case units: lengths in the unit of 1/k, time in the unit of t_end"});
  const io::Shape grid = {std::uint64_t(n), std::uint64_t(n)};
  io::FieldSeries velocity(file, "velocity", grid, 3, io::DType::f64, "length/time", "time");
  io::FieldSeries vorticity(file, "vorticity", grid, 1, io::DType::f64, "1/time", "time");
  io::FieldSeries exact(file, "vorticity_exact", grid, 1, io::DType::f64, "1/time", "time");
  io::XdmfWriter xdmf(ctx.run.file(ctx.name + ".xmf"), file.path());
  const io::CoRectMesh mesh{{1, std::uint64_t(n), std::uint64_t(n)}, {0, 0, 0}, {h, h, h}};

  double worst_error = 0, worst_energy_error = 0, final_energy = 0;
  core::Progress progress("taylor_green", frames, "frames");
  for (std::int64_t i = 0; i < frames; ++i) {
    const double t = frames > 1 ? t_end * double(i) / double(frames - 1) : 0.0;
    const spectral::TaylorGreenFrame f = check->evaluate(t);
    const double energy = 0.25 * p.u0 * p.u0 * std::exp(-4.0 * p.nu * p.k * p.k * t);
    worst_error = std::max(worst_error, f.max_vorticity_error);
    worst_energy_error = std::max(worst_energy_error, std::abs(f.kinetic_energy - energy) / energy);
    final_energy = f.kinetic_energy;
    xdmf.add_step(t, mesh,
                  {{"velocity", velocity.append(f.velocity.data(), i, t)},
                   {"vorticity", vorticity.append(f.vorticity.data(), i, t)},
                   {"vorticity_exact", exact.append(f.vorticity_exact.data(), i, t)}});
    progress.update(i + 1);
  }
  progress.finish();

  const double amplitude = 2.0 * p.u0 * p.k;
  spdlog::info("max |spectral - exact| vorticity {:.3e} ({:.3e} of the amplitude {})",
               worst_error, worst_error / amplitude, amplitude);
  spdlog::info("kinetic energy: max relative deviation from (U0^2/4) exp(-4 nu k^2 t): {:.3e}",
               worst_energy_error);

  RunResult r;
  r.summary.set("grid.n", n);
  r.summary.set("grid.spacing", h);
  r.summary.set("frames", frames);
  r.summary.set("vorticity.max_abs_error", worst_error);
  r.summary.set("vorticity.max_relative_error", worst_error / amplitude);
  r.summary.set("kinetic_energy.final", final_energy);
  r.summary.set("kinetic_energy.max_relative_error", worst_energy_error);
  // Spectral differentiation of a band-limited field is exact: anything above round-off
  // (1e-12 of the amplitude in double precision) means the FFT path is broken.
  r.ok = worst_error <= 1e-12 * amplitude && worst_energy_error <= 1e-12;
  if (!r.ok)
    r.failure = fmt::format("spectral vorticity error {:.3e} exceeds round-off", worst_error);
  return r;
}

}  // namespace twinsim::app
