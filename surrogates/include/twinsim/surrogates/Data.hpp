#pragma once
// Training data from solver output: trajectories [sample][frame][y][x] read from one HDF5 file
// or a list of shards (concatenated along samples, in the order given), normalisation
// statistics, and seeded shuffling. Host memory; the Learner keeps its copy on the backend.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::nn {

struct TrajectorySet {
  Trajectories shape;
  std::vector<double> values;    // [sample][frame][y][x]
  double snapshot_interval = 0;  // time between frames (from /snapshot_time or the dataset's time)
  double solver_dt = 0;          // the solver's time step (dataset attribute dt), 0 if absent
};

// Reads `dataset` (default the spectral solver's /vorticity/value) from every file. Throws
// core::Error naming the file when a dataset is missing, not 4-D, or differs in frame shape.
TrajectorySet read_trajectories(const std::vector<std::string>& files,
                                const std::string& dataset = "/vorticity/value");

// Samples [first, first + count) of a set.
TrajectorySet select_samples(const TrajectorySet& set, std::int64_t first, std::int64_t count);

// One mean and one standard deviation over all values of a set: z = (w - mean) / std. A scalar
// pair keeps autoregressive rollouts consistent (outputs are fed back as inputs).
struct Normalisation {
  double mean = 0;
  double std = 1;
  double apply(double w) const { return (w - mean) / std; }
  double undo(double z) const { return z * std + mean; }
};
Normalisation normalisation_of(const std::vector<double>& values);

template <class Real>
std::vector<Real> normalised(const std::vector<double>& values, const Normalisation& n);

// A permutation of [0, n): Fisher-Yates driven by Philox (seed, stream = epoch), so epoch e of
// a resumed run draws exactly what an uninterrupted one drew.
std::vector<std::int64_t> shuffled(std::int64_t n, std::uint64_t seed, std::uint64_t epoch);

}  // namespace twinsim::nn
