#pragma once
// Structural and transport computes on host copies of the particles (reduced LJ units). They run
// every few hundred steps on a copy that Simulation::particles() makes anyway for output, so
// they are plain host code rather than backend kernels.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/md/Simulation.hpp"

namespace twinsim::md {

// Radial distribution function g(r) of a periodic box, accumulated over frames: pairs counted
// in `bins` shells of [0, range), normalised by the ideal-gas count N/2 * rho * 4/3 pi
// (r_hi^3 - r_lo^3) per frame. Pairs are found through a cell grid of cells at least `range`
// wide (all pairs where an axis has fewer than 3 cells).
class Rdf {
 public:
  // range must not exceed half the shortest box edge (the minimum image covers the sphere).
  Rdf(const Box& box, double range, int bins);
  void add(const std::vector<double>& position);  // [N][3], any periodic image
  std::int64_t frames() const { return m_frames; }
  std::vector<double> r() const;  // shell centres, sigma
  std::vector<double> g() const;  // dimensionless; zeros before the first frame
  // The accumulated counts through a checkpoint (names under `prefix`), for a restarted run;
  // load throws core::Error for another bin count.
  void save(io::StateWriter& writer, const std::string& prefix) const;
  void load(const io::StateReader& reader, const std::string& prefix);

 private:
  Box m_box;
  double m_range;
  int m_bins;
  std::vector<double> m_counts;  // pairs (each once) per shell, summed over frames
  std::int64_t m_frames = 0;
  std::int64_t m_particles = 0;  // N of the frames (fixed)
};

// Unwrapped positions [N][3]: position + image * edge.
std::vector<double> unwrapped_positions(const HostParticles& p, const Box& box);

// Mean squared displacement (sigma^2) between two sets of unwrapped positions, centre-of-mass
// drift included (the dynamics conserve momentum, so it is zero up to round-off).
double mean_squared_displacement(const std::vector<double>& now, const std::vector<double>& start);

}  // namespace twinsim::md
