// Comparisons with the references of lbm.reference, as summary.json figures and log lines.
#include "twinsim/lbm/Report.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace twinsim::lbm {

namespace {

// A steady Schafer-Turek benchmark (ST: its bands): c_D, c_L and dP (Pa) against the bands, in
// the log and in summary.json under `key`; relative errors too where the paper's values are
// high-precision ones (with_errors), not the bands' middles.
template <class ST>
void steady_benchmark(io::Summary& sum, const std::string& key, const char* title, double cd,
                      double cl, double dp, bool with_errors) {
  spdlog::info(
      "{}: c_D {:.4f} (band [{}, {}]), c_L {:.5f} (band [{}, {}]), dP {:.4f} Pa (band "
      "[{}, {}])",
      title, cd, ST::k_cd.lower, ST::k_cd.upper, cl, ST::k_cl.lower, ST::k_cl.upper, dp,
      ST::k_dp.lower, ST::k_dp.upper);
  sum.set(key + ".drag_coefficient", cd);
  sum.set(key + ".lift_coefficient", cl);
  sum.set(key + ".pressure_difference_Pa", dp);
  if (with_errors) {
    sum.set(key + ".drag_relative_error", cd / ST::k_cd.value - 1);
    sum.set(key + ".lift_relative_error", cl / ST::k_cl.value - 1);
    sum.set(key + ".pressure_difference_relative_error", dp / ST::k_dp.value - 1);
  }
  sum.set(key + ".drag_in_band", ST::k_cd.contains(cd));
  sum.set(key + ".lift_in_band", ST::k_cl.contains(cl));
  sum.set(key + ".pressure_difference_in_band", ST::k_dp.contains(dp));
}

}  // namespace

void report_ghia1982(io::Summary& sum, const Macroscopic& m, double lid_velocity, int reynolds) {
  const CentrelineErrors e = ghia_centreline_errors(m, lid_velocity, reynolds);
  spdlog::info(
      "Ghia et al. 1982 centrelines: max |u - ref| {:.4f}, max |v - ref| {:.4f} "
      "(of the lid speed)",
      e.max_u, e.max_v);
  sum.set("ghia1982.max_u_error", e.max_u);
  sum.set("ghia1982.max_v_error", e.max_v);
}

void report_poiseuille(io::Summary& sum, const Macroscopic& m, double ax, double viscosity) {
  const double e = poiseuille_error(m, ax, viscosity);
  spdlog::info("Poiseuille: relative L2 error of u against the parabola {:.3e}", e);
  sum.set("poiseuille.relative_l2_error", e);
}

void report_schafer_turek_2d1(io::Summary& sum, double drag, double lift, double dp) {
  steady_benchmark<SchaferTurek2D1>(sum, "schafer_turek_2d1", "Schafer-Turek 2D-1", drag, lift, dp,
                                    true);
}

void report_schafer_turek_3d1z(io::Summary& sum, double drag, double lift, double dp) {
  // The paper gives bands only: no relative errors against their middles.
  steady_benchmark<SchaferTurek3D1Z>(sum, "schafer_turek_3d1z", "Schafer-Turek 3D-1Z", drag, lift,
                                     dp, false);
}

void report_schafer_turek_2d2(io::Summary& sum, const Shedding& s) {
  using ST = SchaferTurek2D2;
  spdlog::info(
      "Schafer-Turek 2D-2 (last {} samples): c_D max {:.4f} (band [{}, {}]), c_L max "
      "{:.4f} (band [{}, {}]), St {:.4f} (band [{}, {}])",
      s.window, s.drag_max, ST::k_cd_max.lower, ST::k_cd_max.upper, s.lift_max, ST::k_cl_max.lower,
      ST::k_cl_max.upper, s.strouhal, ST::k_strouhal.lower, ST::k_strouhal.upper);
  sum.set("schafer_turek_2d2.drag_coefficient_max", s.drag_max);
  sum.set("schafer_turek_2d2.lift_coefficient_max", s.lift_max);
  sum.set("schafer_turek_2d2.strouhal", s.strouhal);
  sum.set("schafer_turek_2d2.window_samples", std::int64_t(s.window));
  sum.set("schafer_turek_2d2.drag_max_in_band", ST::k_cd_max.contains(s.drag_max));
  sum.set("schafer_turek_2d2.lift_max_in_band", ST::k_cl_max.contains(s.lift_max));
  sum.set("schafer_turek_2d2.strouhal_in_band", ST::k_strouhal.contains(s.strouhal));
}

}  // namespace twinsim::lbm
