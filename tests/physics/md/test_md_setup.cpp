// Initial conditions and refusals of the MD engine.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <filesystem>

#include "md_test_support.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::test {
namespace {

TEST(FccLattice, FourAtomsPerCellAtTheRequestedDensity) {
  const md::Lattice l = md::fcc_lattice(0.8442, {3, 4, 5});
  ASSERT_EQ(l.position.size(), 3u * 4 * 60);
  EXPECT_NEAR(240.0 / (l.box.edge[0] * l.box.edge[1] * l.box.edge[2]), 0.8442, 1e-14);
  // Nearest neighbours of fcc sit at a / sqrt(2).
  const double a = std::cbrt(4.0 / 0.8442);
  double nearest2 = 1e300;
  for (std::size_t j = 1; j < 240; ++j)
    nearest2 = std::min(nearest2, distance2(l.position, 0, j, l.box));
  EXPECT_NEAR(std::sqrt(nearest2), a / std::sqrt(2.0), 1e-13);
  for (std::size_t k = 0; k < l.position.size(); ++k) {
    EXPECT_GE(l.position[k], 0.0);
    EXPECT_LT(l.position[k], l.box.edge[k % 3]);
  }
}

TEST(MaxwellBoltzmann, ExactTemperatureAndZeroMomentum) {
  const std::size_t n = 1001;  // odd 3N: the last normal pair is cut in half
  const std::vector<double> v = md::maxwell_boltzmann(n, 1.44, 12345);
  double p[3] = {0, 0, 0}, twice_ke = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a) {
      p[a] += v[3 * i + a];
      twice_ke += v[3 * i + a] * v[3 * i + a];
    }
  for (double c : p) EXPECT_NEAR(c, 0.0, 1e-12);
  EXPECT_NEAR(twice_ke / double(3 * n - 3), 1.44, 1e-13);
  // Same seed, same velocities; another seed, others.
  EXPECT_EQ(md::maxwell_boltzmann(n, 1.44, 12345), v);
  EXPECT_NE(md::maxwell_boltzmann(n, 1.44, 12346), v);
}

TEST(MdSettings, BoxShorterThanTwiceCutoffPlusSkinIsRefused) {
  const MdSetup s = lattice_setup({3, 3, 3}, 1.0, 0.0, false);  // edge 5.04 < 2 (2.5 + 0.3)
  try {
    md::make_simulation(core::Backend::Cpu, s.settings, s.particles);
    FAIL() << "no error for a box smaller than 2 (cutoff + skin)";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("shorter than 2 (cutoff + skin)"), std::string::npos)
        << e.what();
  }
}

TEST(MdSettings, NonFinitePositionsAreRefused) {
  MdSetup s = lattice_setup({4, 4, 4}, 1.0, 0.0, false);
  s.particles.position[3 * 17 + 1] = std::nan("");
  try {
    md::make_simulation(core::Backend::Cpu, s.settings, s.particles);
    FAIL() << "no error for a NaN position";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("particle 17"), std::string::npos) << e.what();
  }
}

TEST(H5mdInput, RestartsTheStateOfTheLastFrame) {
  // A state written as H5MD frames (Twinsim's trajectory layout) is read back bit for bit: the
  // engine started from it has the same energy, pressure and types.
  MdSetup s = lattice_setup({4, 4, 4}, 1.44, 0.05, false);
  s.particles.type.assign(s.particles.size(), 0);
  for (std::size_t i = 0; i < s.particles.size(); i += 4) s.particles.type[i] = 1;
  s.settings.types = {{1.0, 1.0}, {0.5, 0.9}};
  auto sim = md::make_simulation(core::Backend::Cpu, s.settings, s.particles);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "twinsim_md_h5md_input.h5";
  {
    io::H5File file = io::H5File::create(path);
    io::ParticleSeries atoms(file, "all", {true, true, true}, "", "", "test");
    const std::size_t n = s.particles.size();
    atoms.add("position", 3, io::DType::f64, "", n);
    atoms.add("velocity", 3, io::DType::f64, "", n);
    atoms.add("species", 1, io::DType::i32, "", n);
    for (int frame = 0; frame < 2; ++frame) {
      sim->run(25);
      const md::HostParticles p = sim->particles();
      atoms["position"].append(p.position.data(), n, sim->step(), 0.0);
      atoms["velocity"].append(p.velocity.data(), n, sim->step(), 0.0);
      atoms["species"].append(p.type.data(), n, sim->step(), 0.0);
      atoms.append_edges(s.settings.box.edge, sim->step(), 0.0);
    }
  }
  const md::H5mdState state = md::read_h5md(path.string());
  EXPECT_EQ(state.step, 50);
  EXPECT_EQ(state.box.edge, s.settings.box.edge);
  EXPECT_EQ(state.particles.type, s.particles.type);
  md::MdSettings settings = s.settings;
  auto restarted = md::make_simulation(core::Backend::Cpu, settings, state.particles);
  const md::Thermo a = sim->thermo(), b = restarted->thermo();
  EXPECT_NEAR(b.potential, a.potential, 1e-10 * std::abs(a.potential));
  EXPECT_NEAR(b.kinetic, a.kinetic, 1e-12 * a.kinetic);
  EXPECT_NEAR(b.pressure, a.pressure, 1e-10);
  EXPECT_EQ(md::read_h5md(path.string(), 0).step, 25);
  EXPECT_THROW(md::read_h5md(path.string(), 2), core::Error);
  EXPECT_THROW(md::read_h5md(path.string(), 0, "solvent"), core::Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace twinsim::test
