// What a steady-state step costs a GPU: host synchronisations, device allocations and kernel
// launches (core/ExecCounts.hpp), counted at the same calls by both backends, so the CPU cases
// stand for the CUDA ones on a machine without a GPU. A hidden synchronisation or allocation in
// a step loop (a reduction read back every step, a buffer made per batch) fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "md_test_support.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/md/Simulation.hpp"
#include "twinsim/spectral/Velocity3D.hpp"
#include "twinsim/spectral/Vorticity2D.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "uniform_values.hpp"

namespace twinsim::test {
namespace {

template <class Tag>
class StepCosts : public ::testing::Test {};
TYPED_TEST_SUITE(StepCosts, AllBackends, BackendName);

// The counts of f().
template <class F>
core::ExecCounts counts_of(F&& f) {
  const core::ExecCounts before = core::exec_counts();
  f();
  return core::exec_counts() - before;
}

void print(const char* what, const core::ExecCounts& c) {
  std::printf("%s: %lld synchronisations, %lld allocations, %lld launches\n", what,
              (long long)c.synchronizations, (long long)c.allocations, (long long)c.launches);
}

// MD steps without a thermo row: the displacement checks stay on the device and are read once
// per check window; a run() waits once at its end. A cold crystal makes no list build. The
// Nose-Hoover chain (HOOMD's benchmark thermostat) runs its half steps on the device.
TYPED_TEST(StepCosts, MdStepsSynchroniseOnlyToReadTheDisplacementChecks) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  enum class Method { nve, langevin, nose_hoover };
  for (const Method method : {Method::nve, Method::langevin, Method::nose_hoover}) {
    SCOPED_TRACE(int(method));
    MdSetup s = lattice_setup({4, 4, 4}, 0.01, 0.0, true);
    if (method == Method::langevin) s.settings.langevin = md::Langevin{0.01, 1.0, 5};
    if (method == Method::nose_hoover) s.settings.nose_hoover = md::NoseHooverChain{0.01, 0.5, 3};
    const int window = s.settings.check_every;
    ASSERT_GT(window, 1);
    auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
    sim->run(2 * window);  // warm-up: scratch areas sized
    const std::int64_t builds = sim->neighbor_builds();
    const core::ExecCounts one = counts_of([&] { sim->run(1); });  // inside a window
    const core::ExecCounts many = counts_of([&] { sim->run(4 * window - 1); });
    ASSERT_EQ(sim->neighbor_builds(), builds) << "the crystal was meant to need no list build";
    print("MD, 1 step", one);
    print("MD, 4 windows", many);
    EXPECT_EQ(one.synchronizations, 1);  // the run's closing wait, no read
    EXPECT_EQ(many.synchronizations, 4 + 1);
    EXPECT_EQ(one.allocations, 0);
    EXPECT_EQ(many.allocations, 0);
    // Velocity Verlet: kick-drift, check, forces with the kick (CPU: + the part sums);
    // Langevin: one more (the O step); Nose-Hoover: four more (two chain half steps, the sum of
    // v^2, the closing scaling).
    const int per_step = (method == Method::nve ? 3 : method == Method::langevin ? 4 : 7) +
                         (TypeParam::k_backend == core::Backend::Cpu ? 1 : 0);
    EXPECT_EQ(one.launches, per_step);
    EXPECT_EQ(many.launches, per_step * (4 * window - 1));
  }
}

TYPED_TEST(StepCosts, LbmStepsNeitherSynchroniseNorAllocate) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  auto solver = lbm::make_solver(TypeParam::k_backend,
                                 cavity(32, 0.6, 0.1, lbm::Collision::bgk, lbm::Precision::fp32));
  solver->step(2);
  const core::ExecCounts c = counts_of([&] { solver->step(10); });
  print("LBM, 10 steps", c);
  EXPECT_EQ(c.synchronizations, 0);
  EXPECT_EQ(c.allocations, 0);
  EXPECT_GT(c.launches, 0);
}

// An output copies only the fields it writes (Solver::macroscopic(fields)): per field row 4 or
// 8 bytes per cell (velocity 3 rows, vorticity 1 in 2D and 3 in 3D), one copy per contiguous
// run of rows, and what it gets equals the full copy bit for bit, the fields not asked for left
// empty. A 2D cavity and a 3D box with an obstacle, FP32 and FP64.
TYPED_TEST(StepCosts, LbmOutputsCopyOnlyTheFieldsTheyWrite) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  lbm::LatticeConfig box =
      box3d({12, 10, 8}, {2, 3, 4, 5}, 0.6, lbm::Collision::bgk, lbm::Precision::fp64);
  box.force = {1e-4, 0, 0};
  add_solid_box(box, {4, 3, 2}, {7, 6, 5});
  lbm::LatticeConfig square = cavity(16, 0.6, 0.1, lbm::Collision::bgk, lbm::Precision::fp32);
  for (const lbm::LatticeConfig& c : {square, box}) {
    auto solver = lbm::make_solver(TypeParam::k_backend, c);
    solver->step(20);
    const std::int64_t cells = std::int64_t(c.cells[0]) * c.cells[1] * c.cells[2];
    const std::int64_t row = cells * (c.precision == lbm::Precision::fp32 ? 4 : 8);
    const int vorticity_rows = c.lattice == lbm::Lattice::d2q9 ? 1 : 3;
    const core::ExecCounts all_counts = counts_of([&] { solver->macroscopic(); });
    const lbm::Macroscopic all = solver->macroscopic();
    EXPECT_EQ(all_counts.copies, vorticity_rows == 1 ? 2 : 1);  // 2D: rows 4-5 are not copied
    EXPECT_EQ(all_counts.copied_bytes, (4 + vorticity_rows) * row);
    struct Ask {
      unsigned fields;
      int copies, rows;
    };
    for (const Ask& ask : {Ask{lbm::k_velocity, 1, 3}, Ask{lbm::k_density, 1, 1},
                           Ask{lbm::k_vorticity, 1, vorticity_rows},
                           Ask{lbm::k_density | lbm::k_vorticity, 2, 1 + vorticity_rows}}) {
      SCOPED_TRACE(testing::Message() << "fields " << ask.fields << ", D" << c.cells[2]);
      lbm::Macroscopic m;
      const core::ExecCounts n = counts_of([&] { m = solver->macroscopic(ask.fields); });
      print("LBM output", n);
      std::printf("  %lld bytes copied in %lld copies\n", (long long)n.copied_bytes,
                  (long long)n.copies);
      EXPECT_EQ(n.copies, ask.copies);
      EXPECT_EQ(n.copied_bytes, ask.rows * row);
      EXPECT_EQ(n.allocations, 0);
      const auto expect = [&](unsigned field, const std::vector<double>& got,
                              const std::vector<double>& full) {
        EXPECT_EQ(got, (ask.fields & field) ? full : std::vector<double>());
      };
      expect(lbm::k_density, m.rho, all.rho);
      expect(lbm::k_velocity, m.ux, all.ux);
      expect(lbm::k_velocity, m.uy, all.uy);
      expect(lbm::k_velocity, m.uz, all.uz);
      expect(lbm::k_vorticity, m.vorticity, all.vorticity);
      EXPECT_EQ(m.solid, all.solid);
      EXPECT_EQ(m.cells, all.cells);
    }
    ASSERT_FALSE(all.vorticity.empty());
    EXPECT_NE(*std::max_element(all.vorticity.begin(), all.vorticity.end()), 0.0);
  }
}

// An lbm_ensemble's frame for an in-situ trainer (Solver::vorticity_into): the vorticity in 1/s
// written where the state lives, in steady state with nothing copied, allocated or waited for
// (two launches: the moments, the vorticity), and equal bit for bit to the host's fields
// (macroscopic(k_vorticity)) divided by the time step. A 2D cavity with an obstacle beside the
// walls, FP32 and FP64.
TYPED_TEST(StepCosts, LbmVorticityIntoBackendMemoryCopiesNothing) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const double dt = 2.5e-3;  // s per step
  for (const lbm::Precision p : {lbm::Precision::fp32, lbm::Precision::fp64}) {
    SCOPED_TRACE(lbm::to_string(p));
    lbm::LatticeConfig c = cavity(16, 0.6, 0.1, lbm::Collision::bgk, p);
    add_solid_box(c, {5, 4, 0}, {9, 7, 1});
    auto solver = lbm::make_solver(TypeParam::k_backend, c);
    core::Buffer<double, typename TypeParam::Space> d_w(16 * 16);
    solver->step(20);
    solver->vorticity_into(d_w.data(), dt);
    solver->step(5);
    const core::ExecCounts n = counts_of([&] { solver->vorticity_into(d_w.data(), dt); });
    print("LBM vorticity into backend memory", n);
    EXPECT_EQ(n.copies, 0);
    EXPECT_EQ(n.allocations, 0);
    EXPECT_EQ(n.synchronizations, 0);
    EXPECT_EQ(n.launches, 2);
    std::vector<double> expected = solver->macroscopic(lbm::k_vorticity).vorticity;
    for (double& w : expected) w /= dt;
    EXPECT_EQ(core::to_host(d_w), expected);
    EXPECT_NE(*std::max_element(expected.begin(), expected.end()), 0.0);
  }
  auto box = lbm::make_solver(TypeParam::k_backend,
                              box3d({4, 4, 4}, {}, 0.6, lbm::Collision::bgk, lbm::Precision::fp32));
  core::Buffer<double, typename TypeParam::Space> d_box(64);
  EXPECT_THROW(box->vorticity_into(d_box.data(), dt), core::Error);
}

TYPED_TEST(StepCosts, SpectralStepsNeitherSynchroniseNorAllocate) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  spectral::Vorticity2DConfig c2;
  c2.nx = c2.ny = 32;
  auto flat = spectral::make_vorticity2d<float>(TypeParam::k_backend, c2);
  flat->set_taylor_green(1.0, 1);
  flat->advance(1);
  const core::ExecCounts a = counts_of([&] { flat->advance(5); });
  print("spectral 2D, 5 steps", a);
  EXPECT_EQ(a.synchronizations, 0);
  EXPECT_EQ(a.allocations, 0);

  spectral::Velocity3DConfig c3;
  c3.nx = c3.ny = c3.nz = 16;
  auto cube = spectral::make_velocity3d<float>(TypeParam::k_backend, c3);
  cube->set_initial(spectral::Initial3D::taylor_green, 1.0);
  cube->advance(1);
  const core::ExecCounts b = counts_of([&] { cube->advance(5); });
  print("spectral 3D, 5 steps", b);
  EXPECT_EQ(b.synchronizations, 0);
  EXPECT_EQ(b.allocations, 0);
}

// FNO-2D training: the relative-L2 loss comes back once per step (the one wait per step); a
// train_batches call adds two, the window ids' upload and its closing wait. Nothing is
// allocated. This tiny FNO (2 Fourier layers, width 6, batch 4) launches 89 kernels, FFTs and
// GEMMs per step, the same every step (no gradient for the data: the lift's dL/dx GEMM and
// the grid channels' gradient are not launched; a FourierBlock's pointwise GEMM adds its part
// of dL/dx into the spectral part, no add of its own).
TYPED_TEST(StepCosts, FnoTrainingStepWaitsOnceAndAllocatesNothing) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  nn::ModelSpec spec;
  spec.in_channels = 2;
  spec.out_channels = 1;
  spec.params.set("width", std::int64_t(6));
  spec.params.set("modes", std::int64_t(4));
  spec.params.set("layers", std::int64_t(2));
  spec.params.set("projection", std::int64_t(8));
  auto learner = nn::make_learner<float>(TypeParam::k_backend, spec, nn::OptimizerSpec{},
                                         nn::LossKind::relative_l2, 3);
  constexpr int k_samples = 8, k_frames = 5, k_n = 16, k_batch = 4;
  const std::vector<float> v =
      test::uniform_values<float>(std::size_t(k_samples) * k_frames * k_n * k_n, 11, 0);
  learner->set_trajectories(nn::Split::train, {k_samples, k_frames, k_n, k_n}, v);
  const std::int64_t windows = learner->windows(nn::Split::train);
  const std::int64_t batches = nn::batch_count(windows, k_batch);
  ASSERT_EQ(windows % k_batch, 0);
  const auto order = nn::shuffled(windows, 3, 0);
  learner->train_batches(order, 0, batches, k_batch, 1e-3, 0.0);  // warm-up
  const core::ExecCounts one = counts_of([&] { learner->train_batches(order, 0, 1, k_batch, 1e-3, 0.0); });
  const core::ExecCounts all =
      counts_of([&] { learner->train_batches(order, 0, batches, k_batch, 1e-3, 0.0); });
  print("FNO training, 1 step", one);
  print("FNO training, all steps of an epoch", all);
  EXPECT_EQ(one.synchronizations, 1 + 2);
  EXPECT_EQ(all.synchronizations, batches + 2);
  EXPECT_EQ(one.allocations, 0);
  EXPECT_EQ(all.allocations, 0);
  EXPECT_EQ(one.launches, 89);
  EXPECT_EQ(all.launches, batches * one.launches);
}

}  // namespace
}  // namespace twinsim::test
