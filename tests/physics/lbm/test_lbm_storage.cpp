// How populations are stored: 16-bit storage (FP16S) and in-place streaming (the AA pattern).
// - The binary16 conversions round to nearest even as IEEE 754 does (the compiler's _Float16
//   conversion as reference) and every binary16 value survives float and back.
// - FP16S within stated bounds of published and analytic references: the cavity at Re 100
//   against Ghia et al. (1982), the force-driven channel against the Poiseuille parabola.
// - In place equals two lattices bit for bit (fields, obstacle forces, checkpoints, which
//   restart across the two) on a forced periodic D3Q19 box with walls, a D2Q9 cavity with a
//   lid, a staircase obstacle between velocity inlets, with Smagorinsky, in FP32, FP64 and
//   FP16S, after odd and even step counts; and refuses what it cannot run.
// - Every instruction-set level of the CPU interior loop (lbm::CpuIsa) gives the baseline's
//   populations bit for bit.
// - A build without them (TWINSIM_LBM_COMPACT=OFF: the sanitizer and fuzz presets) refuses
//   them, naming the option; their tests skip there.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends.hpp"
#include "lbm_cases.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/lbm/CpuIsa.hpp"
#include "twinsim/lbm/Reference.hpp"
#include "twinsim/lbm/kernels/storage_kernel.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

// FP16S and in place are in this build (TWINSIM_LBM_COMPACT), or the test is skipped.
#define TWINSIM_SKIP_UNLESS_COMPACT()                                                \
  if (!lbm::compact_storage_built())                                                \
  GTEST_SKIP() << "FP16S and in-place streaming are not in this build (TWINSIM_LBM_COMPACT=OFF)"

std::uint16_t reference_half(float f) {
  const _Float16 h = static_cast<_Float16>(f);
  std::uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

TEST(LbmFp16s, ConversionsRoundToNearestEven) {
  // Every binary16 value (NaNs aside) through float and back.
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = lbm::half_to_float(std::uint16_t(h));
    _Float16 ref;
    const std::uint16_t bits = std::uint16_t(h);
    std::memcpy(&ref, &bits, 2);
    if (std::isnan(f)) continue;
    ASSERT_EQ(f, static_cast<float>(ref)) << h;
    ASSERT_EQ(lbm::float_to_half(f), h) << h;
  }
  // Floats across binary16's whole range (subnormals, ties, overflow): every 997th bit pattern.
  for (std::uint64_t u = 0; u < (std::uint64_t(1) << 32); u += 997) {
    float f;
    const std::uint32_t bits = std::uint32_t(u);
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(lbm::float_to_half(f), reference_half(f)) << f;
  }
  // Exact ties: half-way between two binary16 values round to the even one.
  for (std::uint32_t h = 0x0001; h < 0x7bff; h += 37) {
    const float lo = lbm::half_to_float(std::uint16_t(h));
    const float hi = lbm::half_to_float(std::uint16_t(h + 1));
    const float mid = lo + (hi - lo) / 2;
    ASSERT_EQ(lbm::float_to_half(mid), (h % 2 == 0 ? h : h + 1)) << h;
  }
}

template <class Case>
class LbmStorage : public ::testing::Test {};
TYPED_TEST_SUITE(LbmStorage, AllBackends, BackendName);

// FP16S cavity at Re 100, 32^2 cells (as test_lbm_cavity's FP32 and FP64), against Ghia's
// centrelines: the same bound, 0.02 of the lid speed. Measured: see solvers/lbm/README.md.
TYPED_TEST(LbmStorage, Fp16sCavityMatchesGhia) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  TWINSIM_SKIP_UNLESS_COMPACT();
  const int n = 32;
  const double lid = 0.1, re = 100.0;
  const double tau = 3.0 * lid * n / re + 0.5;
  const lbm::LatticeConfig c = cavity(n, tau, lid, lbm::Collision::trt, lbm::Precision::fp16s);
  auto solver = lbm::make_solver(TypeParam::k_backend, c);
  solver->step(20 * long(n / lid));  // 20 lid transits: steady (test_lbm_cavity: about 21)
  const lbm::CentrelineErrors e = lbm::ghia_centreline_errors(solver->macroscopic(), lid, 100);
  std::printf("FP16S cavity %d^2: max |u - Ghia| %.4f, max |v - Ghia| %.4f\n", n, e.max_u,
              e.max_v);
  EXPECT_LT(e.max_u, 0.02);
  EXPECT_LT(e.max_v, 0.02);
  EXPECT_DOUBLE_EQ(solver->bytes_per_cell_update(), 2.0 * 9 * 2);
}

// FP16S force-driven channel (TRT, magic 3/16: exact for the parabola in exact arithmetic;
// FP32 within 1e-4 of u_max, test_lbm_poiseuille) against the analytic profile
// u(y) = 4 u_max s (H - s) / H^2: within 5 % of u_max. Measured 3.6 %: the force's share of a
// population per step (w 3 F ~ 5e-5) is a few binary16 steps of the stored populations, so
// the rounding of each step biases the balance of force and friction (solvers/lbm/README.md).
TYPED_TEST(LbmStorage, Fp16sPoiseuilleMatchesParabola) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  TWINSIM_SKIP_UNLESS_COMPACT();
  const int ny = 16;
  const double tau = 0.8, u_max = 0.05;
  const lbm::LatticeConfig c =
      channel(ny, tau, lbm::Collision::trt, lbm::Precision::fp16s, u_max);
  auto solver = lbm::make_solver(TypeParam::k_backend, c);
  solver->step(steady_steps(ny, tau));
  const lbm::Macroscopic m = solver->macroscopic(lbm::k_velocity);
  double worst = 0;
  for (int y = 0; y < ny; ++y) {
    const double s = y + 0.5;
    worst = std::max(worst, std::abs(m.ux[y] - 4.0 * u_max * s * (ny - s) / (ny * ny)));
  }
  std::printf("FP16S Poiseuille %d cells: max |u - parabola| / u_max = %.2e\n", ny,
              worst / u_max);
  EXPECT_LT(worst, 5e-2 * u_max);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

void expect_same_state(lbm::Solver& a, lbm::Solver& b) {
  const lbm::Macroscopic ma = a.macroscopic(), mb = b.macroscopic();
  EXPECT_TRUE(same_bits(ma.rho, mb.rho)) << "density after " << a.steps_done() << " steps";
  EXPECT_TRUE(same_bits(ma.ux, mb.ux)) << "ux after " << a.steps_done() << " steps";
  EXPECT_TRUE(same_bits(ma.uy, mb.uy)) << "uy after " << a.steps_done() << " steps";
  EXPECT_TRUE(same_bits(ma.uz, mb.uz)) << "uz after " << a.steps_done() << " steps";
  EXPECT_TRUE(same_bits(ma.vorticity, mb.vorticity));
  const auto fa = a.obstacle_forces(), fb = b.obstacle_forces();
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t k = 0; k < fa.size(); ++k)
    for (int i = 0; i < 3; ++i) EXPECT_EQ(fa[k][i], fb[k][i]) << "obstacle " << k + 1;
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-lbm-storage-" + name);
  fs::remove_all(p);
  return p;
}

// The populations a checkpoint of s holds (T: the arithmetic's type).
template <class T = float>
std::vector<T> saved_populations(lbm::Solver& s, const fs::path& folder) {
  io::Checkpoints checkpoints(folder, {}, {"lbm", 0, 0.0, "test", ""});
  checkpoints.write(s.steps_done(), 0.0, [&](io::StateWriter& w) { s.save(w); });
  const io::Restart r(folder, "latest");
  return r.state().get<T>("lbm/populations");
}

// `c` with two lattices and in place: after `n` steps (odd), n + 1 (even), the same bits; the
// in-place checkpoint at an odd count holds the two-lattice populations and restarts a
// two-lattice solver that goes on with the same bits.
template <class Case>
void expect_in_place_equal(lbm::LatticeConfig c, std::int64_t n, const std::string& name) {
  SCOPED_TRACE(name + " " + lbm::to_string(c.precision));
  c.streaming = lbm::Streaming::two_lattice;
  auto two = lbm::make_solver(Case::k_backend, c);
  c.streaming = lbm::Streaming::in_place;
  auto one = lbm::make_solver(Case::k_backend, c);
  two->step(n);
  one->step(n);
  expect_same_state(*two, *one);
  const fs::path folder = scratch(name);  // checkpoints: FP32 arrays (FP32 and FP16S runs)
  EXPECT_TRUE(same_bits(saved_populations(*two, folder / "two"),
                        saved_populations(*one, folder / "one")));
  c.streaming = lbm::Streaming::two_lattice;
  auto restarted = lbm::make_solver(Case::k_backend, c);
  restarted->load(io::Restart(folder / "one", "latest").state());
  restarted->step(3);
  two->step(3);
  expect_same_state(*two, *restarted);
  one->step(3);
  fs::remove_all(folder);
  expect_same_state(*two, *one);
  two->step(1);
  one->step(1);
  expect_same_state(*two, *one);
}

TYPED_TEST(LbmStorage, InPlaceEqualsTwoLatticesBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  TWINSIM_SKIP_UNLESS_COMPACT();
  for (lbm::Precision p : {lbm::Precision::fp32, lbm::Precision::fp16s}) {  // FP64: refused
    // Periodic in x and z, walls in y, a body force: the interior fast path, wrap codes,
    // walls.
    lbm::LatticeConfig box = box3d({10, 8, 6}, {2, 3}, 0.7, lbm::Collision::trt, p);
    box.force = {1e-5, 0.0, 2e-6};
    expect_in_place_equal<TypeParam>(box, 41, "box");
    // A lid-driven cavity with a staircase obstacle in it (its force by momentum exchange),
    // Smagorinsky's model on.
    lbm::LatticeConfig cav = cavity(20, 0.55, 0.1, lbm::Collision::bgk, p);
    add_solid_box(cav, {6, 5, 0}, {9, 9, 1});
    cav.smagorinsky = 0.15;
    expect_in_place_equal<TypeParam>(cav, 57, "cavity");
    // Velocity inlets at both ends (one parabolic), an obstacle between, a periodic z.
    lbm::LatticeConfig duct = box3d({16, 9, 4}, {0, 1, 2, 3}, 0.6, lbm::Collision::trt, p);
    duct.sides[0].type = duct.sides[1].type = lbm::Boundary::velocity_inlet;
    duct.sides[0].velocity = duct.sides[1].velocity = {0.05, 0.0, 0.0};
    duct.sides[0].profile = lbm::Profile::parabolic;
    add_solid_box(duct, {6, 3, 0}, {8, 6, 4}, 1);
    expect_in_place_equal<TypeParam>(duct, 33, "duct");
  }
}

TYPED_TEST(LbmStorage, InPlaceHalvesThePopulationMemory) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  TWINSIM_SKIP_UNLESS_COMPACT();
  lbm::LatticeConfig c = box3d({8, 8, 8}, {}, 0.7, lbm::Collision::trt, lbm::Precision::fp32);
  EXPECT_EQ(lbm::bytes_per_cell(c), 2u * 19 * 4 + 40 + 2);
  c.streaming = lbm::Streaming::in_place;
  EXPECT_EQ(lbm::bytes_per_cell(c), 19u * 4 + 40 + 2);
  c.precision = lbm::Precision::fp16s;
  EXPECT_EQ(lbm::bytes_per_cell(c), 19u * 2 + 40 + 2);
  EXPECT_DOUBLE_EQ(lbm::make_solver(TypeParam::k_backend, c)->bytes_per_cell_update(), 76.0);
}

TEST(LbmInPlace, RefusesWhatItCannotRun) {
  TWINSIM_SKIP_UNLESS_COMPACT();
  const auto refusal = [](lbm::LatticeConfig c) {
    c.streaming = lbm::Streaming::in_place;
    try {
      lbm::make_solver(core::Backend::Cpu, c);
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  lbm::LatticeConfig interpolated =
      schafer_turek(10, 0.1, 20, true, lbm::Precision::fp32);
  EXPECT_NE(refusal(interpolated).find("lbm.obstacle_walls"), std::string::npos)
      << refusal(interpolated);
  lbm::LatticeConfig fp64 = box3d({8, 8, 8}, {}, 0.7, lbm::Collision::trt, lbm::Precision::fp64);
  EXPECT_NE(refusal(fp64).find("lbm.precision = \"fp64\""), std::string::npos) << refusal(fp64);
  lbm::LatticeConfig outlet = schafer_turek(10, 0.1, 20, false, lbm::Precision::fp32);
  const std::string why = refusal(outlet);
  EXPECT_NE(why.find("lbm.streaming"), std::string::npos) << why;
  EXPECT_NE(why.find("lbm.boundaries.x_max"), std::string::npos) << why;
  // From a case file: the case's lattice (what `twinsim check` builds) refuses it too, and
  // takes it where it can run.
  const auto case_text = [](const std::string& x_max) {
    return "[lbm]\nsteps = 1\nstreaming = \"in_place\"\n[lbm.domain]\nsize = [2.2, 0.4]\n"
           "cells = [44, 8]\nviscosity = 0.01\nreference_velocity = 0.3\n"
           "lattice_velocity = 0.1\n[lbm.boundaries]\nx_min = \"velocity_inlet\"\n"
           "x_min_velocity = [0.3, 0.0]\nx_max = \"" +
           x_max + "\"\ny_min = \"wall\"\ny_max = \"wall\"\n";
  };
  std::string message;
  try {
    case_lattice(case_text("pressure_outlet"));
  } catch (const std::exception& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("lbm.streaming = \"in_place\""), std::string::npos) << message;
  EXPECT_EQ(case_lattice(case_text("wall")).config.streaming,
            lbm::Streaming::in_place);
}

// A build without FP16S and in place refuses both, naming the option and what to use instead,
// in make_solver and from a case file (what `twinsim check` builds).
TEST(LbmCompact, RefusedWhereNotBuilt) {
  if (lbm::compact_storage_built()) GTEST_SKIP() << "FP16S and in place are in this build";
  const auto refusal = [](const lbm::LatticeConfig& c) {
    try {
      lbm::make_solver(core::Backend::Cpu, c);
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  lbm::LatticeConfig c = box3d({8, 8, 8}, {}, 0.7, lbm::Collision::trt, lbm::Precision::fp16s);
  std::string why = refusal(c);
  EXPECT_NE(why.find("lbm.precision = \"fp16s\""), std::string::npos) << why;
  EXPECT_NE(why.find("TWINSIM_LBM_COMPACT"), std::string::npos) << why;
  c.precision = lbm::Precision::fp32;
  c.streaming = lbm::Streaming::in_place;
  why = refusal(c);
  EXPECT_NE(why.find("lbm.streaming = \"in_place\""), std::string::npos) << why;
  EXPECT_NE(why.find("TWINSIM_LBM_COMPACT"), std::string::npos) << why;
  std::string message;
  try {
    case_lattice("[lbm]\nsteps = 1\nprecision = \"fp16s\"\n[lbm.domain]\nsize = [2.2, 0.4]\n"
                 "cells = [44, 8]\nviscosity = 0.01\nreference_velocity = 0.3\n"
                 "lattice_velocity = 0.1\n[lbm.boundaries]\nx_min = \"velocity_inlet\"\n"
                 "x_min_velocity = [0.3, 0.0]\nx_max = \"wall\"\ny_min = \"wall\"\n"
                 "y_max = \"wall\"\n");
  } catch (const std::exception& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("TWINSIM_LBM_COMPACT"), std::string::npos) << message;
}

// The CPU solver of c after `steps` steps with its interior loop at level `isa`
// (TWINSIM_LBM_ISA, read when a solver is made).
std::unique_ptr<lbm::Solver> stepped_at(lbm::CpuIsa isa, const lbm::LatticeConfig& c, int steps) {
  setenv("TWINSIM_LBM_ISA", lbm::to_string(isa).c_str(), 1);
  auto s = lbm::make_solver(core::Backend::Cpu, c);
  unsetenv("TWINSIM_LBM_ISA");
  s->step(steps);
  return s;
}

// Each level this build holds and this CPU runs (AVX2 + FMA, AVX-512: compiled apart with
// -ffp-contract=off) against the baseline: the same populations and fields, bit for bit, after
// 23 steps (odd: in place ends in its other layout) of a forced D3Q19 box with walls (interior
// loop, wrap codes, walls) and a D2Q9 lid-driven cavity with an obstacle and Smagorinsky's
// model; two lattices and in place; FP32, FP64, FP16S. A level not available is refused.
TEST(LbmCpuIsa, EveryLevelGivesTheBaselinesBits) {
  const std::vector<lbm::CpuIsa> levels = lbm::cpu_isas_available();
  std::printf("CPU interior loop levels available:");
  for (lbm::CpuIsa isa : levels) std::printf(" %s", lbm::to_string(isa).c_str());
  std::printf(" (chosen without TWINSIM_LBM_ISA: %s)\n", lbm::to_string(lbm::cpu_isa()).c_str());
  ASSERT_EQ(levels.front(), lbm::CpuIsa::baseline);
  const fs::path folder = scratch("isa");
  for (lbm::Precision p : {lbm::Precision::fp32, lbm::Precision::fp64, lbm::Precision::fp16s})
    for (lbm::Streaming streaming : {lbm::Streaming::two_lattice, lbm::Streaming::in_place}) {
      if (p == lbm::Precision::fp64 && streaming == lbm::Streaming::in_place) continue;
      if (!lbm::compact_storage_built() &&
          (p == lbm::Precision::fp16s || streaming == lbm::Streaming::in_place))
        continue;
      lbm::LatticeConfig box = box3d({12, 8, 6}, {2, 3}, 0.7, lbm::Collision::trt, p);
      box.force = {1e-5, 0.0, 2e-6};
      lbm::LatticeConfig cav = cavity(20, 0.55, 0.1, lbm::Collision::bgk, p);
      add_solid_box(cav, {6, 5, 0}, {9, 9, 1});
      cav.smagorinsky = 0.15;
      for (lbm::LatticeConfig c : {box, cav}) {
        c.streaming = streaming;
        SCOPED_TRACE(lbm::to_string(c.lattice) + " " + lbm::to_string(p) + " " +
                     lbm::to_string(streaming));
        auto base = stepped_at(lbm::CpuIsa::baseline, c, 23);
        for (lbm::CpuIsa isa : levels) {
          if (isa == lbm::CpuIsa::baseline) continue;
          SCOPED_TRACE(lbm::to_string(isa));
          auto other = stepped_at(isa, c, 23);
          expect_same_state(*base, *other);
          if (p == lbm::Precision::fp64)
            EXPECT_TRUE(same_bits(saved_populations<double>(*base, folder / "base"),
                                  saved_populations<double>(*other, folder / "other")));
          else
            EXPECT_TRUE(same_bits(saved_populations(*base, folder / "base"),
                                  saved_populations(*other, folder / "other")));
          fs::remove_all(folder);
        }
      }
    }
  setenv("TWINSIM_LBM_ISA", "sse9", 1);
  std::string message;
  try {
    lbm::cpu_isa();
  } catch (const core::Error& e) {
    message = e.what();
  }
  unsetenv("TWINSIM_LBM_ISA");
  EXPECT_NE(message.find("TWINSIM_LBM_ISA"), std::string::npos) << message;
  EXPECT_NE(message.find("baseline"), std::string::npos) << message;
}

}  // namespace
}  // namespace twinsim::test
