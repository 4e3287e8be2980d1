// The lattice Boltzmann run of the library (lbm::make_run): where the loop's chunks end changes
// nothing (the inflow ramp holds its value over fixed blocks of steps), so a restart continues
// bit for bit; and the statistics its summary takes from the force series (last-window extremes,
// means and Strouhal number) on a signal with known values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/Run.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

template <class Case>
class LbmRun : public ::testing::Test {};
TYPED_TEST_SUITE(LbmRun, AllBackends, BackendName);

// The Schafer-Turek channel at 10 cells per diameter (dt = 1/300 s), 150 steps, with an inflow
// ramp of 111 steps (not a whole number of the ramp's 20-step blocks).
io::Case ramped_channel() {
  io::Schema schema;
  lbm::add_schema(schema);
  return io::Case::from_string(
      "[lbm]\nsteps = 150\noutput_every = 0\ninflow_ramp = 0.37\n"
      "[lbm.domain]\nsize = [2.2, 0.41]\ncells = [220, 41]\nviscosity = 1e-3\n"
      "reference_velocity = 0.3\n"
      "[lbm.boundaries]\nx_min = \"velocity_inlet\"\nx_min_profile = \"parabolic\"\n"
      "x_min_velocity = [0.3, 0.0]\nx_max = \"pressure_outlet\"\n"
      "[[lbm.obstacle]]\nshape = \"circle\"\ncenter = [0.2, 0.2]\nradius = 0.05\n",
      "ramped channel", schema);
}

// The populations of a run's state, through a checkpoint written in `folder`.
std::vector<float> populations(const loop::Stepper& stepper, const fs::path& folder) {
  io::Checkpoints checkpoints(folder, {}, {"lbm", 0, 0.0, "test", ""});
  checkpoints.write(stepper.step(), stepper.time(), [&](io::StateWriter& w) { stepper.save(w); });
  return io::Restart(folder, "latest").state().get<float>("lbm/populations");
}

TYPED_TEST(LbmRun, WhereChunksEndChangesNothing) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const fs::path scratch = fs::temp_directory_path() / "twinsim-test-lbm-run";
  fs::remove_all(scratch);
  const io::Case c = ramped_channel();
  const io::RunDirectory one(scratch / "one", true), chunks(scratch / "chunks", true);
  loop::Run a = lbm::make_run({c, TypeParam::k_backend, one, "channel"});
  loop::Run b = lbm::make_run({c, TypeParam::k_backend, chunks, "channel"});
  a.stepper->advance(1000, loop::k_no_time_limit);  // stops at lbm.steps
  const std::int64_t sizes[] = {7, 13, 1, 39, 20, 3};
  for (int k = 0; !b.stepper->finished(); ++k)
    b.stepper->advance(sizes[k % 6], loop::k_no_time_limit);
  ASSERT_EQ(a.stepper->step(), 150);
  ASSERT_EQ(b.stepper->step(), 150);
  const std::vector<float> fa = populations(*a.stepper, scratch / "one" / "checkpoints");
  const std::vector<float> fb = populations(*b.stepper, scratch / "chunks" / "checkpoints");
  ASSERT_EQ(fa.size(), fb.size());
  EXPECT_EQ(std::memcmp(fa.data(), fb.data(), fa.size() * sizeof(float)), 0);
  fs::remove_all(scratch);
}

TEST(LbmRunStatistics, LastWindowAndStrouhalNumberOfASine) {
  // 1 + 0.5 sin(2 pi k / 40) over 400 samples, then the last 200: period 40 samples.
  std::vector<double> s;
  for (int k = 0; k < 400; ++k) s.push_back(1.0 + 0.5 * std::sin(2 * M_PI * k / 40.0));
  const lbm::Window w = lbm::last_window(s, 200);
  EXPECT_NEAR(w.max, 1.5, 1e-12);
  EXPECT_NEAR(w.min, 0.5, 1e-12);
  EXPECT_NEAR(w.mean, 1.0, 1e-12);
  EXPECT_NEAR(w.frequency, 1.0 / 40.0, 1e-9);
  // Sampled every 0.01 s: f = 2.5 Hz; St = f L / U with L = 0.1 m, U = 0.5 m/s.
  EXPECT_NEAR(lbm::strouhal_number(w.frequency, 0.01, 0.1, 0.5), 0.5, 1e-9);
  // A window longer than the signal takes all of it; an empty signal gives zeros.
  EXPECT_EQ(lbm::last_window(s, 10000).max, *std::max_element(s.begin(), s.end()));
  EXPECT_EQ(lbm::last_window({}, 4).frequency, 0.0);
  // c = 2 F / (rho U^2 L): 2 N/m on 0.1 m at 2 m/s in water is 0.01.
  EXPECT_NEAR(lbm::coefficient_factor(1000.0, 2.0, 0.1) * 2.0, 0.01, 1e-15);
}

}  // namespace
}  // namespace twinsim::test
