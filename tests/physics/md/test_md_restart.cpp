// Checkpoint and restart: 2N steps straight equal N steps, a save through a checkpoint file, a
// load into a fresh simulation (made from other initial positions and velocities) and N more
// steps, bit for bit, for NVE, Langevin and Nose-Hoover dynamics on every backend built.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "backends.hpp"
#include "md_test_support.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

template <class Tag>
class MdRestart : public ::testing::Test {};
TYPED_TEST_SUITE(MdRestart, AllBackends, BackendName);

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Every field of a thermo row, bit for bit.
std::vector<double> thermo_bits(md::Simulation& sim) {
  const md::Thermo t = sim.thermo();
  return {double(t.step), t.time,        double(t.atoms), t.kinetic,
          t.potential,    t.total,       t.conserved,     t.temperature,
          t.pressure,     t.momentum[0], t.momentum[1],   t.momentum[2]};
}

// 256 atoms of a melting fcc lattice (T = 1.44): the Verlet list is rebuilt every ~10 steps.
MdSetup melt(std::uint64_t seed) { return lattice_setup({4, 4, 4}, 1.44, 0.05, true, seed); }

struct Variant {
  std::string name;
  void (*configure)(MdSetup& s);
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> v{
      {"nve", [](MdSetup&) {}},
      // Two types (the type array follows the particles through the cell sort).
      {"langevin, two types",
       [](MdSetup& s) {
         s.settings.langevin = md::Langevin{1.0, 2.0, 11};
         s.settings.types = {{1.0, 1.0}, {0.8, 0.9}};
         s.particles.type.resize(s.particles.size());
         for (std::size_t i = 0; i < s.particles.type.size(); ++i) s.particles.type[i] = int(i % 2);
       }},
      // A fixed rebuild interval: the dangerous-build count is carried too.
      {"nose-hoover, rebuild every 10",
       [](MdSetup& s) {
         s.settings.nose_hoover = md::NoseHooverChain{1.0, 0.2, 3};
         s.settings.rebuild_every = 10;
       }},
  };
  return v;
}

TYPED_TEST(MdRestart, SaveAndLoadContinueBitForBit) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  constexpr std::int64_t k_half = 155;  // between two list builds (checked below)
  const fs::path file =
      fs::temp_directory_path() /
      ("twinsim-test-md-restart-" + std::string(core::to_string(TypeParam::k_backend)) + ".h5");
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    MdSetup s = melt(7);
    v.configure(s);
    auto straight = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
    straight->run(2 * k_half);

    auto first = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
    first->run(k_half);
    first->thermo();  // a thermo sample between the halves, as a run takes one
    const md::SimulationState at_save = first->state();
    // The list was built at other positions than the current ones: restoring it from the
    // current positions would give other neighbor orders.
    ASSERT_FALSE(same_bits(at_save.position, at_save.build_position));
    {
      io::H5File h5 = io::H5File::create(file);
      io::StateWriter w(h5);
      md::save_state(*first, w);
    }

    // A fresh simulation from other positions and velocities, overwritten by the load.
    MdSetup other = melt(8);
    v.configure(other);
    auto second = md::make_simulation(TypeParam::k_backend, other.settings, other.particles);
    {
      const io::H5File h5 = io::H5File::open(file);
      md::load_state(*second, io::StateReader(h5));
    }
    EXPECT_EQ(second->step(), k_half);
    EXPECT_TRUE(same_bits(thermo_bits(*second), thermo_bits(*first)));
    second->run(k_half);

    const md::HostParticles a = straight->particles(), b = second->particles();
    EXPECT_TRUE(same_bits(a.position, b.position));
    EXPECT_TRUE(same_bits(a.velocity, b.velocity));
    EXPECT_TRUE(same_bits(a.force, b.force));
    EXPECT_EQ(a.image, b.image);
    EXPECT_EQ(a.type, b.type);
    EXPECT_TRUE(same_bits(thermo_bits(*straight), thermo_bits(*second)));
    EXPECT_EQ(straight->step(), second->step());
    EXPECT_EQ(straight->neighbor_builds(), second->neighbor_builds());
    EXPECT_EQ(straight->dangerous_builds(), second->dangerous_builds());
    EXPECT_GT(straight->neighbor_builds(), 5);  // the run crossed list rebuilds
  }
  fs::remove(file);
}

TYPED_TEST(MdRestart, RefusesAStateOfAnotherSize) {
  TWINSIM_SKIP_IF_UNAVAILABLE(TypeParam);
  const MdSetup s = melt(7);
  auto sim = md::make_simulation(TypeParam::k_backend, s.settings, s.particles);
  const MdSetup bigger = lattice_setup({5, 4, 4}, 1.44, 0.05, true);
  auto other = md::make_simulation(TypeParam::k_backend, bigger.settings, bigger.particles);
  EXPECT_THROW(other->restore(sim->state()), core::Error);
  MdSetup chain = melt(7);
  chain.settings.nose_hoover = md::NoseHooverChain{1.0, 0.2, 3};
  auto thermostatted = md::make_simulation(TypeParam::k_backend, chain.settings, chain.particles);
  EXPECT_THROW(thermostatted->restore(sim->state()), core::Error);
}

}  // namespace
}  // namespace twinsim::test
