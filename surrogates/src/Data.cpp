#include "twinsim/surrogates/Data.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::nn {

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
