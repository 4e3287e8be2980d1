#include "twinsim/loop/History.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::loop {

namespace fs = std::filesystem;

namespace {

std::string with_unit(const std::string& name, const std::string& unit) {
  return unit.empty() ? name : fmt::format("{} [{}]", name, unit);
}

// Writes text to path through a temporary file and a rename.
void replace_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) throw core::Error(fmt::format("{}: cannot write", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw core::Error(fmt::format("{}: cannot replace: {}", path.string(), ec.message()));
}

}  // namespace

History::History(fs::path csv) : m_csv(std::move(csv)) {}

History::~History() = default;

std::size_t History::column(const std::string& name, const std::string& unit) {
  for (std::size_t i = 0; i < m_columns.size(); ++i)
    if (m_columns[i].name == name) return i;
  if (m_rows > 0 || m_series)
    throw core::Error(fmt::format("history: column {} added after the first row", name));
  m_columns.push_back({name, unit});
  m_row.push_back(std::numeric_limits<double>::quiet_NaN());
  return m_columns.size() - 1;
}

void History::set(std::size_t column, double value) {
  m_row.at(column) = value;
  m_pending = true;
}

std::string History::header() const {
  std::string text = "step," + with_unit("time", m_time_unit);
  for (const Column& c : m_columns) text += "," + with_unit(c.name, c.unit);
  return text + "\n";
}

void History::commit(std::int64_t step, double time) {
  if (!m_pending) return;
  // Shortest text that reads back to the same double: the CSV holds what the HDF5 file holds.
  std::string line = fmt::format("{},{}", step, time);
  for (double v : m_row) line += fmt::format(",{}", v);
  line += "\n";
  if (m_csv.empty()) {  // another MPI rank's table: rank 0 writes the file
  } else if (m_rows == 0) {
    replace_file(m_csv, header() + line);
  } else {
    std::ofstream out(m_csv, std::ios::app);
    out << line << std::flush;
    if (!out) throw core::Error(fmt::format("{}: cannot append a row", m_csv.string()));
  }
  if (m_file) {
    m_unwritten_steps.push_back(step);
    m_unwritten_times.push_back(time);
    m_unwritten.insert(m_unwritten.end(), m_row.begin(), m_row.end());
  }
  ++m_rows;
  m_pending = false;
  for (double& v : m_row) v = std::numeric_limits<double>::quiet_NaN();
}

void History::write_pending() {
  if (!m_file || m_unwritten_steps.empty()) return;
  if (!m_series) {
    const io::TimeSeries::Spec spec =
        io::TimeSeries::Spec::table({m_columns.size()}, "", m_time_unit);
    const bool fresh = !m_file->exists("/history");
    m_series = std::make_unique<io::TimeSeries>(*m_file, "/history", spec);
    if (fresh) {
      std::vector<std::string> names, units;
      for (const Column& c : m_columns) {
        names.push_back(c.name);
        units.push_back(c.unit);
      }
      m_file->set_attribute("/history", "columns", names);
      m_file->set_attribute("/history", "units", units);
    }
  }
  for (std::size_t r = 0; r < m_unwritten_steps.size(); ++r)
    m_series->append(m_unwritten.data() + r * m_columns.size(), m_unwritten_steps[r],
                     m_unwritten_times[r]);
  m_unwritten_steps.clear();
  m_unwritten_times.clear();
  m_unwritten.clear();
}

void History::close() {
  write_pending();
  m_series.reset();
}

void History::save(io::StateWriter& out, const std::string& prefix) const {
  out.put(prefix + "rows", std::int64_t(m_rows));
}

void History::load(const io::StateReader& in, const std::string& prefix) {
  if (!in.has(prefix + "rows")) return;  // a checkpoint from before the history existed
  m_rows = std::uint64_t(in.get_int(prefix + "rows"));
  if (m_csv.empty()) return;
  if (m_rows == 0 || !fs::exists(m_csv)) {
    m_rows = 0;
    return;
  }
  // Rows written after the checkpoint are written again by the resumed run: drop them.
  std::ifstream in_file(m_csv);
  std::string text, line;
  for (std::uint64_t n = 0; n < m_rows + 1 && std::getline(in_file, line); ++n) text += line + "\n";
  in_file.close();
  replace_file(m_csv, text);
}

}  // namespace twinsim::loop
