#include "twinsim/surrogates/Data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <numeric>
#include <optional>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

namespace {

// Throws naming the place of the first non-finite value of `values`, trajectories of `shape`
// (its sample count aside) from sample `first` on.
void require_finite(const std::vector<double>& values, const Trajectories& s, std::int64_t first,
                    const std::string& path, const std::string& dataset) {
  const auto bad =
      std::find_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); });
  if (bad == values.end()) return;
  const std::int64_t i = bad - values.begin(), plane = s.ny * s.nx;
  throw core::Error(fmt::format(
      "{}: {} holds a non-finite value ({}) at sample {}, frame {}, y {}, x {}: the data "
      "are damaged or the run that wrote them diverged",
      path, dataset, *bad, first + i / (s.frames * plane), i / plane % s.frames,
      i % plane / s.nx, i % s.nx));
}

}  // namespace

TrajectorySet read_trajectories(const std::vector<std::string>& files, const std::string& dataset) {
  if (files.empty()) throw core::Error("data.files: no trajectory file given");
  TrajectorySet set;
  for (const std::string& path : files) {
    io::H5File f = io::H5File::open(path);
    if (!f.exists(dataset))
      throw core::Error(
          fmt::format("{}: no dataset {}; expected trajectories [sample][frame][y]"
                      "[x] as the spectral solver writes (twinsim run "
                      "cases/spectral/...)",
                      path, dataset));
    io::Array<double> a = f.read<double>(dataset);
    if (a.shape.size() != 4)
      throw core::Error(fmt::format("{}: {} has {} axes; expected 4, [sample][frame][y][x]", path,
                                    dataset, a.shape.size()));
    const Trajectories s{std::int64_t(a.shape[0]), std::int64_t(a.shape[1]),
                         std::int64_t(a.shape[2]), std::int64_t(a.shape[3])};
    require_finite(a.values, s, 0, path, dataset);
    if (set.shape.samples == 0) {
      set.shape = s;
      if (f.exists("/snapshot_time")) {
        const io::Array<double> t = f.read<double>("/snapshot_time");
        if (t.values.size() > 1) set.snapshot_interval = t.values[1] - t.values[0];
      }
      const std::string parent = dataset.substr(0, dataset.rfind('/'));
      try {
        set.solver_dt = f.attribute_as<double>(parent.empty() ? "/" : parent, "dt");
      } catch (const std::exception&) {
        set.solver_dt = 0;  // not a spectral-solver file: no timing comparison
      }
    } else if (s.frames != set.shape.frames || s.ny != set.shape.ny || s.nx != set.shape.nx) {
      throw core::Error(fmt::format(
          "{}: trajectories of {} frames of {} x {} differ from the first file's {} frames of "
          "{} x {}",
          path, s.frames, s.ny, s.nx, set.shape.frames, set.shape.ny, set.shape.nx));
    } else {
      set.shape.samples += s.samples;
    }
    set.values.insert(set.values.end(), a.values.begin(), a.values.end());
  }
  return set;
}

namespace {

// The file at data.files' entry `path`, opened, or an error naming the key.
io::H5File open_data_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw core::Error(fmt::format("data.files: no file '{}'", path));
  try {
    return io::H5File::open(path);
  } catch (const core::Error&) {
    throw core::Error(fmt::format("data.files: '{}' is not an HDF5 file, or is damaged", path));
  }
}

// One trajectory's size: its root mean square and largest magnitude.
struct SampleSize {
  std::string file;
  std::int64_t index = 0;  // in its file
  double rms = 0, largest = 0;
  bool checked = false;  // its file's checksums vouch for it
};

// Every trajectory of `dataset` in data file f, read one at a time: values damaged after
// writing (a checksum that does not match) and non-finite values are refused naming the file,
// the dataset and the sample; each trajectory's size goes to `sizes`.
void check_values(const io::H5File& f, const std::string& path, const std::string& dataset,
                  const io::Shape& shape, std::vector<SampleSize>& sizes) {
  const bool checked = io::has_checksums(f, dataset);
  const Trajectories s{1, std::int64_t(shape[1]), std::int64_t(shape[2]),
                       std::int64_t(shape[3])};
  for (std::uint64_t i = 0; i < shape[0]; ++i) {
    io::Array<double> a;
    try {
      a = f.read_frame<double>(dataset, i);
    } catch (const core::Error& e) {
      if (checked)
        throw core::Error(fmt::format(
            "data.files: sample {} of {} in '{}' does not match its checksum: the file was "
            "damaged after it was written (disk, copy or edit); write it again or use an "
            "intact copy", i, dataset, path));
      throw core::Error(fmt::format("data.files: cannot read sample {} of {} in '{}': {}", i,
                                    dataset, path, e.what()));
    }
    require_finite(a.values, s, std::int64_t(i), path, dataset);
    if (a.values.empty()) continue;
    SampleSize size{path, std::int64_t(i), 0, 0, checked};
    for (double v : a.values) {
      size.rms += v * v;
      size.largest = std::max(size.largest, std::abs(v));
    }
    size.rms = std::sqrt(size.rms / double(a.values.size()));
    sizes.push_back(size);
  }
}

// Trajectories that no checksum vouches for (files written elsewhere, or by twinsim before it
// stored checksums) and that are far larger than the median trajectory of data.files: a root
// mean square 10 times the median's, or a value 1000 times it (what a flipped exponent bit
// makes). A warning, not a refusal: the data may be right.
void warn_of_outliers(std::vector<SampleSize> sizes) {
  if (sizes.size() < 2) return;
  std::vector<double> rms;
  for (const SampleSize& s : sizes) rms.push_back(s.rms);
  std::nth_element(rms.begin(), rms.begin() + rms.size() / 2, rms.end());
  const double median = rms[rms.size() / 2];
  if (!(median > 0)) return;
  std::vector<std::string> listed;
  std::size_t count = 0;
  for (const SampleSize& s : sizes)
    if (!s.checked && (s.rms > 10 * median || s.largest > 1000 * median)) {
      if (++count <= 5)
        listed.push_back(fmt::format("sample {} of '{}' (rms {:.3g}, largest |value| {:.3g})",
                                     s.index, s.file, s.rms, s.largest));
    }
  if (count > 0)
    spdlog::warn("data.files: {} trajectories are far larger than the median trajectory (rms "
                 "{:.3g}) and carry no checksum: {}{}; damaged data or a run that went wrong? "
                 "(a warning: the training goes ahead)",
                 count, median, fmt::join(listed, "; "), count > listed.size() ? "; ..." : "");
}

}  // namespace

void check_data(const io::Case& c) {
  const std::vector<std::string>& files = c.get_strings("data.files");
  if (files.empty()) throw core::Error("data.files: no file given");
  const bool table = c.get_string("data.kind") == "table";
  const std::string model = c.get_string("model.kind");
  const bool grid_model = find_hyper_parameter(model_kind(model), "modes") != nullptr;
  if (table && grid_model)
    throw core::Error(fmt::format("model.kind = \"{}\" needs trajectories on a grid, and "
                                  "data.kind = \"table\" gives rows: choose another model.kind "
                                  "or data.kind",
                                  model));
  const std::int64_t wanted = c.get_int("data.train_samples") + c.get_int("data.test_samples");
  std::int64_t samples = 0;
  std::vector<SampleSize> sizes;
  for (const std::string& path : files) {
    const io::H5File f = open_data_file(path);
    if (table) {
      if (!f.exists("/members"))
        throw core::Error(fmt::format("data.files: '{}' has no /members table; expected a file "
                                      "written by twinsim gather", path));
      samples += std::int64_t(
          f.attribute_as<std::vector<std::string>>("/members", "names").size());
      continue;
    }
    const std::string dataset = c.get_string("data.dataset");
    if (!f.exists(dataset))
      throw core::Error(fmt::format("data.dataset: '{}' has no dataset {}", path, dataset));
    const io::Shape shape = f.shape(dataset);
    if (shape.size() != 4)
      throw core::Error(fmt::format("data.dataset: {} in '{}' has {} axes; expected 4, "
                                    "[sample][frame][y][x]", dataset, path, shape.size()));
    samples += std::int64_t(shape[0]);
    const std::int64_t frames = c.get_int("data.in_frames") + c.get_int("data.out_frames");
    if (frames > std::int64_t(shape[1]))
      throw core::Error(fmt::format("data.in_frames + data.out_frames = {} exceed the {} frames "
                                    "of the trajectories in '{}'", frames, shape[1], path));
    if (grid_model) {
      const std::int64_t modes = c.get_int("model.modes");
      if (2 * modes > std::int64_t(std::min(shape[2], shape[3])))
        throw core::Error(fmt::format("model.modes = {} exceeds half the {} x {} grid of '{}' "
                                      "(at most {})", modes, shape[2], shape[3], path,
                                      std::min(shape[2], shape[3]) / 2));
    }
    check_values(f, path, dataset, shape, sizes);
  }
  warn_of_outliers(std::move(sizes));
  if (wanted > samples)
    throw core::Error(fmt::format("data.train_samples + data.test_samples = {} exceed the {} {} "
                                  "in data.files", wanted, samples, table ? "rows" : "samples"));
  const std::string init_from = c.has("train.init_from") ? c.get_string("train.init_from") : "";
  if (!init_from.empty()) {
    try {
      (void)read_model_file(init_from);
    } catch (const core::Error& e) {
      throw core::Error(fmt::format("train.init_from: {}", e.what()));
    }
  }
}

Trajectories data_extent(const io::Case& c) {
  const bool table = c.get_string("data.kind") == "table";
  Trajectories e;
  for (const std::string& path : c.get_strings("data.files")) {
    const io::H5File f = open_data_file(path);
    if (table) {
      e.samples += std::int64_t(
          f.attribute_as<std::vector<std::string>>("/members", "names").size());
      e.frames = std::int64_t(c.get_strings("data.inputs").size() +
                              c.get_strings("data.outputs").size());
      e.ny = e.nx = 1;
      continue;
    }
    const io::Shape shape = f.shape(c.get_string("data.dataset"));
    e.samples += std::int64_t(shape[0]);
    e.frames = std::int64_t(shape[1]);
    e.ny = std::int64_t(shape[2]);
    e.nx = std::int64_t(shape[3]);
  }
  return e;
}

TrajectorySet select_samples(const TrajectorySet& set, std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0 || first + count > set.shape.samples)
    throw core::Error(fmt::format("samples [{}, {}) requested from a dataset of {} samples", first,
                                  first + count, set.shape.samples));
  TrajectorySet out = set;
  out.shape.samples = count;
  const std::int64_t per = set.shape.frames * set.shape.ny * set.shape.nx;
  out.values.assign(set.values.begin() + first * per, set.values.begin() + (first + count) * per);
  return out;
}

Normalisation normalisation_of(const std::vector<double>& values) {
  TWINSIM_REQUIRE(!values.empty(), "normalisation of an empty set");
  double mean = 0;
  for (double v : values) mean += v;
  mean /= double(values.size());
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  var /= double(values.size());
  return {mean, var > 0 ? std::sqrt(var) : 1.0};
}

template <class Real>
std::vector<Real> normalised(const std::vector<double>& values, const Normalisation& n) {
  std::vector<Real> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = Real(n.apply(values[i]));
  return out;
}
template std::vector<float> normalised<float>(const std::vector<double>&, const Normalisation&);
template std::vector<double> normalised<double>(const std::vector<double>&, const Normalisation&);

TableSet read_table(const std::vector<std::string>& files, const std::vector<std::string>& inputs,
                    const std::vector<std::string>& outputs) {
  if (files.empty()) throw core::Error("data.files: no gathered file given");
  if (inputs.empty() || outputs.empty())
    throw core::Error("data.kind = \"table\" needs data.inputs and data.outputs (column names)");
  TableSet set{inputs, outputs, {}, {}};
  std::vector<std::string> columns = inputs;
  columns.insert(columns.end(), outputs.begin(), outputs.end());
  for (const std::string& path : files) {
    io::H5File f = io::H5File::open(path);
    if (!f.exists("/members"))
      throw core::Error(
          fmt::format("{}: no /members table; expected a file written by twinsim "
                      "gather OUT.h5 RUN_DIR...",
                      path));
    const auto names = f.attribute_as<std::vector<std::string>>("/members", "names");
    const auto swept = f.attribute_as<std::vector<std::string>>("/members", "swept_keys");
    std::vector<std::vector<double>> by_column;
    for (const std::string& column : columns) {
      std::vector<double> v;
      if (std::find(swept.begin(), swept.end(), column) != swept.end()) {
        const io::AttributeValue a = f.attribute("/members", column);
        if (const auto* d = std::get_if<std::vector<double>>(&a))
          v = *d;
        else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&a))
          v.assign(i->begin(), i->end());
        else
          throw core::Error(
              fmt::format("{}: swept key {} is not a number in every member", path, column));
      } else {
        for (const std::string& name : names) {
          const std::string group = "/members/" + name;
          std::optional<double> x;
          try {
            x = io::json_number(f.attribute_as<std::string>(group, "summary"), column);
          } catch (const std::exception&) {
            x.reset();
          }
          if (!x)
            throw core::Error(fmt::format(
                "{}: column {} is neither a swept key ({}) nor a number in {}'s summary.json", path,
                column, fmt::join(swept, ", "), name));
          v.push_back(*x);
        }
      }
      if (v.size() != names.size())
        throw core::Error(fmt::format("{}: column {} has {} values for {} members", path, column,
                                      v.size(), names.size()));
      for (std::size_t r = 0; r < v.size(); ++r)
        if (!std::isfinite(v[r]))
          throw core::Error(fmt::format("{}: column {} is {} in member {}: the data are damaged "
                                        "or that run diverged", path, column, v[r], names[r]));
      by_column.push_back(std::move(v));
    }
    for (std::size_t r = 0; r < names.size(); ++r) {
      set.rows.push_back(names[r]);
      for (const std::vector<double>& v : by_column) set.values.push_back(v[r]);
    }
  }
  return set;
}

TableSet select_rows(const TableSet& set, std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0 || first + count > set.row_count())
    throw core::Error(fmt::format("rows [{}, {}) requested from a table of {} rows", first,
                                  first + count, set.row_count()));
  TableSet out{set.inputs, set.outputs, {}, {}};
  out.rows.assign(set.rows.begin() + first, set.rows.begin() + first + count);
  out.values.assign(set.values.begin() + first * set.columns(),
                    set.values.begin() + (first + count) * set.columns());
  return out;
}

std::vector<Normalisation> column_normalisations(const TableSet& set) {
  std::vector<Normalisation> n;
  for (std::int64_t c = 0; c < set.columns(); ++c) {
    std::vector<double> column;
    for (std::int64_t r = 0; r < set.row_count(); ++r) column.push_back(set.at(r, c));
    n.push_back(normalisation_of(column));
  }
  return n;
}

template <class Real>
std::vector<Real> normalised_columns(const TableSet& set, const std::vector<Normalisation>& n) {
  TWINSIM_REQUIRE(std::int64_t(n.size()) == set.columns(), "one normalisation per column");
  std::vector<Real> out(set.values.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = Real(n[i % n.size()].apply(set.values[i]));
  return out;
}
template std::vector<float> normalised_columns<float>(const TableSet&,
                                                      const std::vector<Normalisation>&);
template std::vector<double> normalised_columns<double>(const TableSet&,
                                                        const std::vector<Normalisation>&);

std::vector<std::int64_t> shuffled(std::int64_t n, std::uint64_t seed, std::uint64_t epoch) {
  std::vector<std::int64_t> order(std::size_t(std::max<std::int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), 0);
  const core::Philox rng(seed, epoch);
  for (std::int64_t i = n - 1; i > 0; --i) {
    double u, unused;
    rng.uniform2(std::uint64_t(i), u, unused);
    const std::int64_t j = std::min<std::int64_t>(i, std::int64_t(u * double(i + 1)));
    std::swap(order[std::size_t(i)], order[std::size_t(j)]);
  }
  return order;
}

}  // namespace twinsim::nn
