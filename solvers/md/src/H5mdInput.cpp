// Initial state from an H5MD file (host code; io's HDF5 layer).
#include <fmt/format.h>

#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/md/InitialConditions.hpp"

namespace twinsim::md {

H5mdState read_h5md(const std::string& path, std::int64_t frame, const std::string& group) {
  const io::H5File file = io::H5File::open(path);
  const std::string base = "/particles/" + group;
  const std::string position = base + "/position/value";
  if (!file.exists(position))
    throw core::Error(
        fmt::format("{}: no {} (an H5MD file with particle group '{}' is "
                    "expected)",
                    path, position, group));
  const io::Shape shape = file.shape(position);
  if (shape.size() != 3 || shape[2] != 3 || shape[0] == 0)
    throw core::Error(
        fmt::format("{}: {} should be [frames][N][3] with at least one frame", path, position));
  const std::int64_t frames = std::int64_t(shape[0]);
  const std::int64_t t = frame < 0 ? frames + frame : frame;
  if (t < 0 || t >= frames)
    throw core::Error(
        fmt::format("{}: frame {} requested, the file holds {} frames", path, frame, frames));
  H5mdState s;
  s.particles.position = file.read_frame<double>(position, std::uint64_t(t)).values;
  if (file.exists(base + "/box/edges/value")) {
    // Edges as a vector [3] (rectangular) or as the 3x3 matrix of edge vectors, which must then
    // be diagonal (this solver's boxes are orthorhombic).
    const std::vector<double> e =
        file.read_frame<double>(base + "/box/edges/value", std::uint64_t(t)).values;
    if (e.size() == 3) {
      s.box.edge = {e[0], e[1], e[2]};
    } else if (e.size() == 9 && e[1] == 0 && e[2] == 0 && e[3] == 0 && e[5] == 0 && e[6] == 0 &&
               e[7] == 0) {
      s.box.edge = {e[0], e[4], e[8]};
    } else {
      throw core::Error(fmt::format(
          "{}: {}/box/edges/value frame has {} values, expected 3 edges or a diagonal 3x3 "
          "matrix (orthorhombic boxes only)", path, base, e.size()));
    }
  } else if (file.exists(base + "/box")) {
    const auto e = file.attribute_as<std::vector<double>>(base + "/box", "edges");
    if (e.size() != 3)
      throw core::Error(fmt::format("{}: {}/box edges attribute has {} values, expected 3", path,
                                    base, e.size()));
    s.box.edge = {e[0], e[1], e[2]};
  } else {
    throw core::Error(fmt::format("{}: no box edges under {}/box", path, base));
  }
  for (int a = 0; a < 3; ++a)
    if (!(s.box.edge[a] > 0))
      throw core::Error(fmt::format("{}: box edge {} = {}, expected > 0", path, a, s.box.edge[a]));
  for (std::size_t k = 0; k < s.particles.position.size(); ++k) {
    const double e = s.box.edge[k % 3];
    double& x = s.particles.position[k];
    if (!std::isfinite(x))
      throw core::Error(
          fmt::format("{}: particle {} has a non-finite position in frame {}", path, k / 3, t));
    x -= e * std::floor(x / e);
    if (x >= e) x = 0;
  }
  if (file.exists(base + "/velocity/value"))
    s.particles.velocity =
        file.read_frame<double>(base + "/velocity/value", std::uint64_t(t)).values;
  if (file.exists(base + "/species/value")) {
    const io::Shape sp = file.shape(base + "/species/value");
    // Species may be time-dependent ([t][N]) or fixed ([N]).
    const std::vector<std::int32_t> v =
        sp.size() == 2
            ? file.read_frame<std::int32_t>(base + "/species/value", std::uint64_t(t)).values
            : file.read<std::int32_t>(base + "/species/value").values;
    s.particles.type.assign(v.begin(), v.end());
  }
  if (file.exists(base + "/position/step"))
    s.step = file.read_frame<std::int64_t>(base + "/position/step", std::uint64_t(t)).values.at(0);
  return s;
}

}  // namespace twinsim::md
