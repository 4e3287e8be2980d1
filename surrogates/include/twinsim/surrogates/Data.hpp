#pragma once
// Training data from solver output: trajectories [sample][frame][y][x] read from one HDF5 file
// or a list of shards (concatenated along samples, in the order given), normalisation
// statistics, and seeded shuffling. Host memory; the Learner keeps its copy on the backend.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::io {
class Case;
}

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

// Refuses (core::Error naming the key and the file) a surrogate case whose data cannot serve it,
// from the files' headers only, before any run folder exists: no file, a file that does not
// open or lacks its dataset, fewer samples than data.train_samples + data.test_samples, fewer
// frames than data.in_frames + data.out_frames, model.modes beyond the grid, table data with a
// grid model (one with modes), a train.init_from that is not a model file. Trajectories are
// also read, one at a time: values that fail their file's checksums (io::has_checksums: every
// series twinsim writes has them) or are not finite are refused naming the file, dataset and
// sample; trajectories far larger than the median one in files without checksums are a warning.
void check_data(const io::Case& case_file);

// What data.files hold, from their headers (a case check_data accepted): all their samples,
// and the frames and grid of a trajectory; a table's rows, columns as frames, a 1 x 1 grid.
Trajectories data_extent(const io::Case& case_file);

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

// A table of state points: one row per member of ensembles gathered by `twinsim gather`
// (files concatenated in the order given), named input columns, then named output columns. A
// column is a swept case key of the /members table ("md.density") or a number in every member's
// summary.json ("pressure.mean"). The Learner sees a table as trajectories of
// inputs + outputs frames on a 1 x 1 grid (trajectories()): a row is one window.
struct TableSet {
  std::vector<std::string> inputs, outputs;
  std::vector<std::string> rows;  // member names
  std::vector<double> values;     // [row][inputs..., outputs...]
  std::int64_t columns() const { return std::int64_t(inputs.size() + outputs.size()); }
  std::int64_t row_count() const { return std::int64_t(rows.size()); }
  Trajectories trajectories() const { return {row_count(), columns(), 1, 1}; }
  double at(std::int64_t row, std::int64_t column) const {
    return values[std::size_t(row * columns() + column)];
  }
};

// Throws core::Error naming the file and column when a file has no /members table or a column
// is neither a swept key nor a number in some member's summary.
TableSet read_table(const std::vector<std::string>& files, const std::vector<std::string>& inputs,
                    const std::vector<std::string>& outputs);
// Rows [first, first + count).
TableSet select_rows(const TableSet& set, std::int64_t first, std::int64_t count);
// Mean and standard deviation of each column: inputs and outputs are scaled separately.
std::vector<Normalisation> column_normalisations(const TableSet& set);
// Every value z = (w - mean_c) / std_c of its column c.
template <class Real>
std::vector<Real> normalised_columns(const TableSet& set, const std::vector<Normalisation>& n);
// A column's name as one summary.json key: "pressure.mean" -> "pressure_mean" (a dot would
// nest).
inline std::string column_label(std::string name) {
  for (char& ch : name)
    if (ch == '.') ch = '_';
  return name;
}

// A permutation of [0, n): Fisher-Yates driven by Philox (seed, stream = epoch), so epoch e of
// a resumed run draws exactly what an uninterrupted one drew.
std::vector<std::int64_t> shuffled(std::int64_t n, std::uint64_t seed, std::uint64_t epoch);

}  // namespace twinsim::nn
