#include "twinsim/lbm/Stl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
std::vector<std::uint8_t> voxelize_mesh(const std::vector<double>& vertices,
                                        const std::array<int, 3>& cells);
}
namespace cuda {
std::vector<std::uint8_t> voxelize_mesh(const std::vector<double>& vertices,
                                        const std::array<int, 3>& cells);
}

namespace lbm {

namespace {

Mesh read_binary(const std::string& bytes, const std::filesystem::path& path) {
  std::uint32_t n = 0;
  std::memcpy(&n, bytes.data() + 80, 4);
  Mesh m;
  m.vertices.reserve(9 * std::size_t(n));
  for (std::uint32_t t = 0; t < n; ++t) {
    float v[9];
    std::memcpy(v, bytes.data() + 84 + 50 * std::size_t(t) + 12, sizeof v);  // after the normal
    for (float x : v) {
      if (!std::isfinite(x))
        throw core::Error(fmt::format("{}: triangle {} has a vertex coordinate {}", path.string(),
                                      t + 1, x));
      m.vertices.push_back(x);
    }
  }
  return m;
}

Mesh read_ascii(const std::string& text, const std::filesystem::path& path) {
  Mesh m;
  std::istringstream in(text);
  std::string line;
  int number = 0, in_loop = -1;  // vertices of the open loop; -1: none open
  while (std::getline(in, line)) {
    ++number;
    std::istringstream words(line);
    std::string word;
    if (!(words >> word)) continue;
    const auto fail = [&](const std::string& what) {
      return core::Error(fmt::format("{}:{}: {}", path.string(), number, what));
    };
    if (word == "outer") {
      in_loop = 0;
    } else if (word == "vertex") {
      if (in_loop < 0) throw fail("'vertex' outside an 'outer loop'");
      double x[3];
      if (!(words >> x[0] >> x[1] >> x[2]) || !std::isfinite(x[0]) || !std::isfinite(x[1]) ||
          !std::isfinite(x[2]))
        throw fail("'vertex' needs three finite numbers x y z");
      m.vertices.insert(m.vertices.end(), x, x + 3);
      ++in_loop;
    } else if (word == "endloop") {
      if (in_loop != 3)
        throw fail(fmt::format("a facet's loop has {} vertices; STL facets are triangles (3)",
                               std::max(in_loop, 0)));
      in_loop = -1;
    } else if (word != "solid" && word != "facet" && word != "endfacet" && word != "endsolid") {
      throw fail(fmt::format("unexpected '{}' (ASCII STL: solid, facet normal, outer loop, "
                             "vertex, endloop, endfacet, endsolid)",
                             word));
    }
  }
  if (in_loop >= 0) throw core::Error(fmt::format("{}: ends inside a facet", path.string()));
  return m;
}

struct VertexLess {
  bool operator()(const std::array<double, 3>& a, const std::array<double, 3>& b) const {
    return a < b;
  }
};

}  // namespace

Mesh read_stl(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::Error(fmt::format("{}: cannot open the STL file", path.string()));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint32_t n = 0;
  if (bytes.size() >= 84) std::memcpy(&n, bytes.data() + 80, 4);
  const bool binary = bytes.size() >= 84 && bytes.size() == 84 + 50 * std::uint64_t(n);
  if (!binary && bytes.compare(0, 5, "solid") != 0)
    throw core::Error(fmt::format("{}: not an STL file: binary STL is 84 + 50 n bytes ({} here), "
                                  "ASCII STL starts with 'solid'",
                                  path.string(), bytes.size()));
  Mesh m = binary ? read_binary(bytes, path) : read_ascii(bytes, path);
  if (m.triangles() == 0) throw core::Error(fmt::format("{}: holds no triangle", path.string()));
  return m;
}

void write_stl(const std::filesystem::path& path, const Mesh& mesh, bool binary) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw core::Error(fmt::format("{}: cannot write the STL file", path.string()));
  const auto normal = [&](std::size_t t) {
    const double* v = mesh.vertices.data() + 9 * t;
    const double e[2][3] = {{v[3] - v[0], v[4] - v[1], v[5] - v[2]},
                            {v[6] - v[0], v[7] - v[1], v[8] - v[2]}};
    std::array<double, 3> n = {e[0][1] * e[1][2] - e[0][2] * e[1][1],
                               e[0][2] * e[1][0] - e[0][0] * e[1][2],
                               e[0][0] * e[1][1] - e[0][1] * e[1][0]};
    const double l = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (double& x : n) x = l > 0 ? x / l : 0;
    return n;
  };
  if (binary) {
    char header[80] = "twinsim binary STL";
    out.write(header, 80);
    const std::uint32_t n = std::uint32_t(mesh.triangles());
    out.write(reinterpret_cast<const char*>(&n), 4);
    for (std::size_t t = 0; t < mesh.triangles(); ++t) {
      float f[12];
      const std::array<double, 3> nv = normal(t);
      for (int k = 0; k < 3; ++k) f[k] = float(nv[k]);
      for (int k = 0; k < 9; ++k) f[3 + k] = float(mesh.vertices[9 * t + k]);
      out.write(reinterpret_cast<const char*>(f), sizeof f);
      const std::uint16_t attributes = 0;
      out.write(reinterpret_cast<const char*>(&attributes), 2);
    }
  } else {
    out << "solid twinsim\n";
    for (std::size_t t = 0; t < mesh.triangles(); ++t) {
      const std::array<double, 3> nv = normal(t);
      const double* v = mesh.vertices.data() + 9 * t;
      out << fmt::format("facet normal {:.9g} {:.9g} {:.9g}\nouter loop\n", nv[0], nv[1], nv[2]);
      for (int k = 0; k < 3; ++k)
        out << fmt::format("vertex {:.9g} {:.9g} {:.9g}\n", float(v[3 * k]), float(v[3 * k + 1]),
                           float(v[3 * k + 2]));  // FP32 as binary STL: the files agree
      out << "endloop\nendfacet\n";
    }
    out << "endsolid twinsim\n";
  }
  if (!out) throw core::Error(fmt::format("{}: writing the STL file failed", path.string()));
}

std::string surface_defect(const Mesh& mesh) {
  std::map<std::array<double, 3>, std::uint32_t, VertexLess> ids;
  std::vector<std::array<double, 3>> points;
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> uses;
  for (std::size_t t = 0; t < mesh.triangles(); ++t) {
    std::uint32_t v[3];
    for (int k = 0; k < 3; ++k) {
      const double* x = mesh.vertices.data() + 9 * t + 3 * k;
      const std::array<double, 3> p = {x[0], x[1], x[2]};
      auto [it, fresh] = ids.emplace(p, std::uint32_t(points.size()));
      if (fresh) points.push_back(p);
      v[k] = it->second;
    }
    if (v[0] == v[1] || v[1] == v[2] || v[2] == v[0]) continue;  // a point or a segment
    for (int k = 0; k < 3; ++k)
      ++uses[{std::min(v[k], v[(k + 1) % 3]), std::max(v[k], v[(k + 1) % 3])}];
  }
  std::size_t open = 0, shared = 0;
  std::pair<std::uint32_t, std::uint32_t> first_open{}, first_shared{};
  for (const auto& [edge, n] : uses) {
    if (n == 1 && open++ == 0) first_open = edge;
    if (n > 2 && shared++ == 0) first_shared = edge;
  }
  const auto edge_text = [&](std::pair<std::uint32_t, std::uint32_t> e) {
    const auto& a = points[e.first];
    const auto& b = points[e.second];
    return fmt::format("({:.6g}, {:.6g}, {:.6g}) - ({:.6g}, {:.6g}, {:.6g})", a[0], a[1], a[2],
                       b[0], b[1], b[2]);
  };
  std::string what;
  if (open > 0)
    what = fmt::format("the surface is open: {} edge(s) belong to one triangle only (a hole), "
                       "the first {}",
                       open, edge_text(first_open));
  if (shared > 0)
    what += fmt::format("{}the surface is not manifold: {} edge(s) belong to three or more "
                        "triangles, the first {}",
                        what.empty() ? "" : "; ", shared, edge_text(first_shared));
  return what;
}

Mesh placed(const Mesh& mesh, double scale, const std::array<double, 3>& rotation_deg,
            const std::array<double, 3>& translation) {
  double r[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int axis = 0; axis < 3; ++axis) {  // r = R_axis r, x first
    const double a = rotation_deg[axis] * M_PI / 180, c = std::cos(a), s = std::sin(a);
    const int i = (axis + 1) % 3, j = (axis + 2) % 3;
    for (int col = 0; col < 3; ++col) {
      const double ri = r[i][col], rj = r[j][col];
      r[i][col] = c * ri - s * rj;
      r[j][col] = s * ri + c * rj;
    }
  }
  Mesh out;
  out.vertices.resize(mesh.vertices.size());
  for (std::size_t v = 0; v < mesh.vertices.size(); v += 3)
    for (int a = 0; a < 3; ++a)
      out.vertices[v + a] = translation[a] + scale * (r[a][0] * mesh.vertices[v] +
                                                      r[a][1] * mesh.vertices[v + 1] +
                                                      r[a][2] * mesh.vertices[v + 2]);
  return out;
}

std::array<std::array<double, 3>, 2> bounds(const Mesh& mesh) {
  std::array<std::array<double, 3>, 2> b;
  b[0].fill(std::numeric_limits<double>::infinity());
  b[1].fill(-std::numeric_limits<double>::infinity());
  for (std::size_t v = 0; v < mesh.vertices.size(); v += 3)
    for (int a = 0; a < 3; ++a) {
      b[0][a] = std::min(b[0][a], mesh.vertices[v + a]);
      b[1][a] = std::max(b[1][a], mesh.vertices[v + a]);
    }
  return b;
}

double frontal_area(const Mesh& mesh) {
  double sum = 0;
  for (std::size_t t = 0; t < mesh.triangles(); ++t) {
    const double* v = mesh.vertices.data() + 9 * t;
    sum += std::abs((v[4] - v[1]) * (v[8] - v[2]) - (v[5] - v[2]) * (v[7] - v[1]));
  }
  return sum / 4;  // |n_x| A = |2 A_x| / 2 per triangle; half of the sum
}

std::vector<std::uint8_t> voxelize(core::Backend backend, const Mesh& mesh,
                                   const std::array<int, 3>& cells) {
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::voxelize_mesh(mesh.vertices, cells);
    else
      return omp::voxelize_mesh(mesh.vertices, cells);
  });
}

// Bins of about 4 cells, each listing the triangles whose bounding boxes overlap it.
MeshShape::MeshShape(Mesh mesh) : m_mesh(std::move(mesh)) {
  const auto box = bounds(m_mesh);
  m_bin = 4;
  for (int a = 0; a < 3; ++a) {
    m_lo[a] = box[0][a] - 2;
    m_bins[a] = std::max(1, int(std::ceil((box[1][a] + 2 - m_lo[a]) / m_bin)));
  }
  const auto bin_range = [&](std::size_t t, int a) {
    const double* v = m_mesh.vertices.data() + 9 * t;
    const double lo = std::min({v[a], v[3 + a], v[6 + a]}) - m_lo[a];
    const double hi = std::max({v[a], v[3 + a], v[6 + a]}) - m_lo[a];
    return std::array<int, 2>{std::clamp(int(lo / m_bin), 0, m_bins[a] - 1),
                              std::clamp(int(hi / m_bin), 0, m_bins[a] - 1)};
  };
  const std::size_t bins = std::size_t(m_bins[0]) * m_bins[1] * m_bins[2];
  std::vector<std::uint32_t> count(bins + 1, 0);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t t = 0; t < m_mesh.triangles(); ++t) {
      const auto x = bin_range(t, 0), y = bin_range(t, 1), z = bin_range(t, 2);
      for (int k = z[0]; k <= z[1]; ++k)
        for (int j = y[0]; j <= y[1]; ++j)
          for (int i = x[0]; i <= x[1]; ++i) {
            const std::size_t b = (std::size_t(k) * m_bins[1] + j) * m_bins[0] + i;
            if (pass == 0)
              ++count[b + 1];
            else
              m_items[count[b]++] = std::uint32_t(t);
          }
    }
    if (pass == 0) {
      for (std::size_t b = 0; b < bins; ++b) count[b + 1] += count[b];
      m_start = count;
      m_items.resize(count[bins]);
    }
  }
}

double MeshShape::entry(const double* p, const double* d) const {
  // The bins the segment's bounding box overlaps (a link spans at most one cell per axis).
  std::array<int, 2> range[3];
  for (int a = 0; a < 3; ++a) {
    const double lo = std::min(p[a], p[a] + d[a]) - m_lo[a],
                 hi = std::max(p[a], p[a] + d[a]) - m_lo[a];
    if (hi < 0 || lo >= m_bins[a] * m_bin) return -1;
    range[a] = {std::clamp(int(lo / m_bin), 0, m_bins[a] - 1),
                std::clamp(int(hi / m_bin), 0, m_bins[a] - 1)};
  }
  double best = -1;
  for (int k = range[2][0]; k <= range[2][1]; ++k)
    for (int j = range[1][0]; j <= range[1][1]; ++j)
      for (int i = range[0][0]; i <= range[0][1]; ++i) {
        const std::size_t b = (std::size_t(k) * m_bins[1] + j) * m_bins[0] + i;
        for (std::uint32_t it = m_start[b]; it < m_start[b + 1]; ++it) {
          // Moller-Trumbore: p + t d = a + u (b - a) + v (c - a).
          const double* v = m_mesh.vertices.data() + 9 * std::size_t(m_items[it]);
          const double e1[3] = {v[3] - v[0], v[4] - v[1], v[5] - v[2]};
          const double e2[3] = {v[6] - v[0], v[7] - v[1], v[8] - v[2]};
          const double h[3] = {d[1] * e2[2] - d[2] * e2[1], d[2] * e2[0] - d[0] * e2[2],
                               d[0] * e2[1] - d[1] * e2[0]};
          const double det = e1[0] * h[0] + e1[1] * h[1] + e1[2] * h[2];
          if (det == 0) continue;
          const double s[3] = {p[0] - v[0], p[1] - v[1], p[2] - v[2]};
          const double u = (s[0] * h[0] + s[1] * h[1] + s[2] * h[2]) / det;
          if (u < 0 || u > 1) continue;
          const double q[3] = {s[1] * e1[2] - s[2] * e1[1], s[2] * e1[0] - s[0] * e1[2],
                               s[0] * e1[1] - s[1] * e1[0]};
          const double w = (d[0] * q[0] + d[1] * q[1] + d[2] * q[2]) / det;
          if (w < 0 || u + w > 1) continue;
          const double t = (e2[0] * q[0] + e2[1] * q[1] + e2[2] * q[2]) / det;
          if (t > 0 && t <= 1 && (best < 0 || t < best)) best = t;
        }
      }
  return best;
}

}  // namespace lbm
}  // namespace twinsim
