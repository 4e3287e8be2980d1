// The [heat] section of a case file: its schema, what it describes, the refusals the schema
// cannot make, and the disk the run will take.
#include "twinsim/heat/Case.hpp"

#include <fmt/format.h>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::heat {

void add_schema(io::Schema& schema) {
  schema.section("heat", "1D heat equation u_t = alpha u_xx on a periodic domain [0, L), "
                         "explicit FTCS, SI units")
      .key_int("cells", "Cells n (temperatures at the cell centres)").default_value(64)
      .at_least(3)
      .key_float("length", "Domain length L").default_value(1.0).unit("m").greater_than(0.0)
      .key_float("alpha", "Thermal diffusivity").default_value(1e-2).unit("m^2/s")
      .greater_than(0.0)
      .key_float("dt", "Time step; stable for dt <= dx^2 / (2 alpha), dx = L / cells")
      .default_value(1e-2).unit("s").greater_than(0.0)
      .key_int("steps", "Time steps to run").default_value(1000).at_least(0)
      .key_string("initial", "Initial temperature: sine (mode `mode`, decays as exp(-alpha k^2 t); "
                             "the summary gives its error) or gaussian (width `width`, at L/2)")
      .default_value("sine").one_of({"sine", "gaussian"})
      .key_int("mode", "initial = sine: sin(k x) with k = 2 pi mode / L").default_value(1)
      .at_least(1)
      .key_float("width", "initial = gaussian: standard deviation (well below L: the profile is "
                          "not made periodic)")
      .default_value(0.05).unit("m").greater_than(0.0)
      .key_float("amplitude", "Peak of the sine or the gaussian").default_value(1.0).unit("K")
      .key_float("background", "Uniform temperature the profile sits on").default_value(0.0)
      .unit("K")
      .key_int("output_every", "Steps between temperature frames, from step 0, and one at the "
                               "end (0: none)")
      .default_value(100).at_least(0);
}

Start start_of(const io::Case& c) {
  const io::Section s = c.section("heat");
  Start start;
  start.settings = {s.get_int("cells"), s.get_float("length"), s.get_float("alpha"),
                    s.get_float("dt")};
  start.profile.shape =
      s.get_string("initial") == "sine" ? Profile::Shape::sine : Profile::Shape::gaussian;
  start.profile.mode = s.get_int("mode");
  start.profile.width = s.get_float("width");
  start.profile.amplitude = s.get_float("amplitude");
  start.profile.background = s.get_float("background");
  start.steps = s.get_int("steps");
  start.output_every = s.get_int("output_every");
  return start;
}

void check(const io::Case& c) {
  const Start start = start_of(c);
  const HeatSettings& s = start.settings;
  if (s.dt > largest_stable_dt(s))
    throw core::Error(fmt::format(
        "heat.dt = {} s is above the FTCS stability limit dx^2 / (2 alpha) = {:.6g} s (dx = "
        "heat.length / heat.cells = {:.6g} m, alpha = {} m^2/s, r = alpha dt / dx^2 = {:.4g} > "
        "1/2): the shortest waves would grow every step; set heat.dt <= {:.6g} s, or use fewer "
        "cells",
        s.dt, largest_stable_dt(s), s.dx(), s.alpha, s.r(), largest_stable_dt(s)));
  if (start.profile.shape == Profile::Shape::sine && 2 * start.profile.mode > s.cells)
    throw core::Error(fmt::format("heat.mode = {} needs at least {} cells (two per wavelength); "
                                  "heat.cells is {}",
                                  start.profile.mode, 2 * start.profile.mode, s.cells));
}

// Sizes for the preflight disk check: <name>.h5 (temperature frames in float64 with their views
// and the XDMF sidecar) and one checkpoint (the temperature row and a few scalars). HDF5 object
// headers are counted at about 1 KiB each.
loop::Plan plan(const io::Case& c) {
  const Start start = start_of(c);
  const std::uint64_t n = std::uint64_t(start.settings.cells);
  const std::uint64_t frames =
      start.output_every > 0 ? std::uint64_t(start.steps / start.output_every) + 2 : 0;
  constexpr std::uint64_t k_object = 1024;
  loop::Plan plan;
  plan.output_bytes = 16 * k_object + (frames > 0 ? io::series_bytes(frames, 8 * n) : 0);
  plan.checkpoint_bytes = 16 * k_object + 8 * n;
  return plan;
}

}  // namespace twinsim::heat
