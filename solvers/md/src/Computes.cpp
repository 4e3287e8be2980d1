#include "twinsim/md/Computes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"

namespace twinsim::md {

Rdf::Rdf(const Box& box, double range, int bins) : m_box(box), m_range(range), m_bins(bins) {
  const double shortest = std::min({box.edge[0], box.edge[1], box.edge[2]});
  if (!(range > 0) || range > 0.5 * shortest + 1e-12 || bins < 1)
    throw core::Error(
        fmt::format("RDF: range {} sigma with {} bins in a box of shortest edge "
                    "{:.6g}; expected 0 < range <= half the edge ({:.6g}) and at "
                    "least one bin",
                    range, bins, shortest, 0.5 * shortest));
  m_counts.assign(std::size_t(bins), 0.0);
}

void Rdf::add(const std::vector<double>& position) {
  const std::size_t n = position.size() / 3;
  if (m_frames > 0 && std::int64_t(n) != m_particles)
    throw core::Error("RDF: frames with different particle counts");
  m_particles = std::int64_t(n);
  int cells[3];
  for (int a = 0; a < 3; ++a) cells[a] = std::max(1, int(m_box.edge[a] / m_range));
  const bool grid = cells[0] >= 3 && cells[1] >= 3 && cells[2] >= 3;
  if (!grid) cells[0] = cells[1] = cells[2] = 1;
  std::vector<double> r(position.size());
  std::vector<std::vector<std::size_t>> members(std::size_t(cells[0]) * cells[1] * cells[2]);
  auto index = [&](int x, int y, int z) {
    return (std::size_t((z + cells[2]) % cells[2]) * cells[1] + (y + cells[1]) % cells[1]) *
               cells[0] +
           (x + cells[0]) % cells[0];
  };
  std::vector<std::array<int, 3>> cell_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (int a = 0; a < 3; ++a) {
      const double e = m_box.edge[a];
      double x = position[3 * i + a] - e * std::floor(position[3 * i + a] / e);
      if (x >= e) x = 0;
      r[3 * i + a] = x;
      cell_of[i][a] = std::min(int(x / e * cells[a]), cells[a] - 1);
    }
    members[index(cell_of[i][0], cell_of[i][1], cell_of[i][2])].push_back(i);
  }
  const double range2 = m_range * m_range;
  const double inv_width = m_bins / m_range;
  const int reach = grid ? 1 : 0;
  for (std::size_t i = 0; i < n; ++i)
    for (int dz = -reach; dz <= reach; ++dz)
      for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx)
          for (std::size_t j :
               members[index(cell_of[i][0] + dx, cell_of[i][1] + dy, cell_of[i][2] + dz)]) {
            if (j <= i) continue;  // each pair once
            double d2 = 0;
            for (int a = 0; a < 3; ++a) {
              double d = r[3 * j + a] - r[3 * i + a];
              d -= m_box.edge[a] * std::rint(d / m_box.edge[a]);
              d2 += d * d;
            }
            if (d2 < range2) {
              const int bin = std::min(int(std::sqrt(d2) * inv_width), m_bins - 1);
              m_counts[std::size_t(bin)] += 1.0;
            }
          }
  ++m_frames;
}

void Rdf::save(io::StateWriter& w, const std::string& prefix) const {
  w.put(prefix + "/counts", m_counts);
  w.put(prefix + "/frames", m_frames);
  w.put(prefix + "/particles", m_particles);
}

void Rdf::load(const io::StateReader& r, const std::string& prefix) {
  r.get(prefix + "/counts", m_counts.data(), m_counts.size());
  m_frames = r.get_int(prefix + "/frames");
  m_particles = r.get_int(prefix + "/particles");
}

std::vector<double> Rdf::r() const {
  std::vector<double> out(static_cast<std::size_t>(m_bins));
  for (int b = 0; b < m_bins; ++b) out[std::size_t(b)] = (b + 0.5) * m_range / m_bins;
  return out;
}

std::vector<double> Rdf::g() const {
  std::vector<double> out(std::size_t(m_bins), 0.0);
  if (m_frames == 0) return out;
  const double n = double(m_particles);
  for (int b = 0; b < m_bins; ++b) {
    const double lo = b * m_range / m_bins, hi = (b + 1) * m_range / m_bins;
    // Ideal-gas pairs in the shell, each pair once: N/2 rho 4/3 pi (hi^3 - lo^3) (N(N-1)/2
    // pairs in the volume V: the (N - 1)/N makes g of a finite ideal gas exactly 1).
    const double ideal =
        0.5 * n * (n - 1) / m_box.volume() * 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
    out[std::size_t(b)] = m_counts[std::size_t(b)] / (ideal * double(m_frames));
  }
  return out;
}

std::vector<double> unwrapped_positions(const HostParticles& p, const Box& box) {
  std::vector<double> out(p.position.size());
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] = p.position[k] + (p.image.empty() ? 0.0 : p.image[k] * box.edge[k % 3]);
  return out;
}

double mean_squared_displacement(const std::vector<double>& now, const std::vector<double>& start) {
  double s = 0;
  for (std::size_t k = 0; k < now.size(); ++k) s += (now[k] - start[k]) * (now[k] - start[k]);
  return now.empty() ? 0.0 : s / double(now.size() / 3);
}

}  // namespace twinsim::md
