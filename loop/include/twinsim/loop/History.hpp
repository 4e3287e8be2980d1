#pragma once
// A run's scalar history as one table (LAMMPS' thermo log, HOOMD-blue's Table): operations hand
// it values (an energy, a drag force, a loss) as they fire; the loop writes one row per step
// boundary where any was handed, to `history.csv` in the run folder and to the `/history`
// series of the run's HDF5 file. Columns nobody set at that boundary read `nan`.
//
//   history.csv   step,time [s],mass [kg],drag [N]         (a unit in brackets; none: dimensionless)
//                 0,0,1.0000000000,nan
//   <name>.h5     /history/value [row][column] float64, /history/step, /history/time;
//                 attributes `columns` and `units` (string arrays, one entry per column)
//
// numpy.loadtxt("history.csv", delimiter=",", skiprows=1) and pandas.read_csv read it; h5py:
// pandas.DataFrame(f["history/value"][:], columns=f["history"].attrs["columns"]). A restart cuts both back
// to the rows of its checkpoint, so a resumed run continues the same table without duplicates.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace twinsim::io {
class H5File;
class StateWriter;
class StateReader;
class TimeSeries;
}  // namespace twinsim::io

namespace twinsim::loop {

class History {
 public:
  // csv: the table's file (created at the first row; a restart keeps it and cuts it in load());
  // empty: none (the ranks other than 0 of an MPI run).
  explicit History(std::filesystem::path csv);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // The unit of the time column ("s", "LJ tau", "epoch"); "" before the first row: none.
  void time_unit(std::string unit) { m_time_unit = std::move(unit); }
  // Adds a column (before the first row) and returns its index for set(); a name already
  // declared returns its index.
  std::size_t column(const std::string& name, const std::string& unit = "");
  void set(std::size_t column, double value);
  // The run's HDF5 file, which gets the /history series too (null: CSV only). The file must
  // outlive the history's last row.
  void write_to(io::H5File* file) { m_file = file; }

  // Writes a row to history.csv when any column was set since the last one (the loop calls it
  // after the operations of each boundary fired), and keeps it for the HDF5 file.
  void commit(std::int64_t step, double time);
  // Appends the rows kept since the last call to /history. The loop calls it as each
  // checkpoint is written (so /history holds the checkpoint's rows, the count a restart cuts
  // back to) and close() at the end: the HDF5 file is written to as seldom as the checkpoints,
  // not at every row, so a process killed at a random moment seldom dies inside a write of it
  // (history.csv, appended at every row, has them all).
  void write_pending();
  // Writes what is pending and closes the HDF5 series (before the run's file is closed).
  void close();

  std::uint64_t rows() const { return m_rows; }
  // The row count at a checkpoint; load() cuts history.csv back to it (the HDF5 series is cut
  // with the run's other series when the output is reopened).
  void save(io::StateWriter& out, const std::string& prefix) const;
  void load(const io::StateReader& in, const std::string& prefix);

 private:
  struct Column {
    std::string name;
    std::string unit;
  };
  std::string header() const;

  std::filesystem::path m_csv;
  std::string m_time_unit;
  std::vector<Column> m_columns;
  std::vector<double> m_row;
  bool m_pending = false;
  // Rows committed but not yet in /history: their steps, times and values (row after row).
  std::vector<std::int64_t> m_unwritten_steps;
  std::vector<double> m_unwritten_times;
  std::vector<double> m_unwritten;
  std::uint64_t m_rows = 0;
  io::H5File* m_file = nullptr;
  std::unique_ptr<io::TimeSeries> m_series;
};

}  // namespace twinsim::loop
