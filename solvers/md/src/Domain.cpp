#include "Domain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "twinsim/core/Decomposition.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::md::detail {

namespace {

// The first brick coordinate along an axis of `cuts` bricks of width w in a box edge L: lo of
// brick c is c w, hi is (c + 1) w, the last brick's hi the edge itself.
double brick_lo(int c, double w) { return c * w; }
double brick_hi(int c, int cuts, double w, double edge) { return c + 1 == cuts ? edge : (c + 1) * w; }

// The distance from x to [lo, hi) on a periodic axis of length L (0 inside).
double axis_distance(double x, double lo, double hi, double edge) {
  if (x >= lo && x < hi) return 0.0;
  const double up = x < lo ? lo - x : (lo + edge) - x;     // to the brick's low face, upwards
  const double down = x >= hi ? x - hi : x - (hi - edge);  // from its high face, downwards
  return std::min(up, down);
}

bool fits(const std::array<int, 3>& c, int ranks, const Box& box, double radius) {
  if (c[0] < 1 || c[1] < 1 || c[2] < 1 || c[0] * c[1] * c[2] != ranks) return false;
  for (int a = 0; a < 3; ++a)
    if (c[a] > 1 && !(box.edge[a] / c[a] >= radius)) return false;
  return true;
}

}  // namespace

std::array<int, 3> brick_cuts(int ranks, const Box& box, double radius,
                              const std::array<int, 3>& wanted) {
  const std::array<int, 3> best = core::least_halo_cuts(
      ranks, box.edge, [&](const std::array<int, 3>& c) { return fits(c, ranks, box, radius); });
  const bool asked = wanted != std::array<int, 3>{0, 0, 0};
  if (asked ? fits(wanted, ranks, box, radius) : best[0] > 0) return asked ? wanted : best;
  std::array<int, 3> most{};  // the cuts that fit along each axis alone
  for (int a = 0; a < 3; ++a) most[a] = std::max(1, int(box.edge[a] / radius));
  std::string advice;
  if (best[0] > 0) {
    advice = fmt::format("{} x {} x {} bricks fit", best[0], best[1], best[2]);
  } else {  // the rank counts next to `ranks` that some cuts within `most` make
    int below = 1, above = 0;
    for (int cx = 1; cx <= most[0]; ++cx)
      for (int cy = 1; cy <= most[1]; ++cy)
        for (int cz = 1; cz <= most[2]; ++cz) {
          const int p = cx * cy * cz;
          if (p < ranks) below = std::max(below, p);
          if (p > ranks && (above == 0 || p < above)) above = p;
        }
    advice = above > 0 ? fmt::format("use {} or {} ranks, or a larger box", below, above)
                       : fmt::format("use at most {} ranks, or a larger box", below);
  }
  throw core::Error(fmt::format(
      "MD across {} ranks: {}; each brick must be at least cutoff + skin = {:.6g} sigma wide "
      "along every cut axis (a ghost would have to come from beyond a neighbour), and the box "
      "({:.6g} x {:.6g} x {:.6g} sigma) takes at most {} x {} x {} cuts along x, y, z: {}",
      ranks,
      asked ? fmt::format("{} x {} x {} bricks were asked for", wanted[0], wanted[1], wanted[2])
            : fmt::format("no {} bricks fit", ranks),
      radius, box.edge[0], box.edge[1], box.edge[2], most[0], most[1], most[2], advice));
}

std::string bricks_line(int ranks, const Box& box, double radius,
                        const std::array<int, 3>& wanted) {
  const std::array<int, 3> c = brick_cuts(ranks, box, radius, wanted);
  return fmt::format("md: split into {} x {} x {} bricks (along x, y, z) of {:.6g} x {:.6g} x "
                     "{:.6g} sigma across {} MPI ranks", c[0], c[1], c[2], box.edge[0] / c[0],
                     box.edge[1] / c[1], box.edge[2] / c[2], ranks);
}

Domain::Domain(core::Comm& comm, const Box& box, double radius, const std::array<int, 3>& wanted)
    : m_comm(comm),
      m_edge(box.edge),
      m_cuts(brick_cuts(comm.size(), box, radius, wanted)),
      m_width{box.edge[0] / m_cuts[0], box.edge[1] / m_cuts[1], box.edge[2] / m_cuts[2]},
      m_radius(radius) {
  const int me = m_comm.rank();
  const std::array<int, 3> at{me % m_cuts[0], me / m_cuts[0] % m_cuts[1],
                              me / (m_cuts[0] * m_cuts[1])};
  // The distinct neighbours by their offset modulo the cuts, in a fixed order (x fastest, each
  // from -1): along x alone, the brick below first, then the one above (one if they coincide).
  std::vector<std::array<int, 3>> seen;
  for (int dz = -1; dz <= 1; ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int d[3] = {dx, dy, dz};
        std::array<int, 3> offset{};
        for (int a = 0; a < 3; ++a) offset[a] = (d[a] % m_cuts[a] + m_cuts[a]) % m_cuts[a];
        if (offset == std::array<int, 3>{0, 0, 0} ||
            std::find(seen.begin(), seen.end(), offset) != seen.end())
          continue;
        seen.push_back(offset);
        std::array<int, 3> up{}, down{};
        for (int a = 0; a < 3; ++a) {
          up[a] = at[a] + offset[a];
          down[a] = at[a] - offset[a];
        }
        m_peers.push_back({rank_of(up), rank_of(down)});
      }
}

int Domain::rank_of(const std::array<int, 3>& brick) const {
  int c[3];
  for (int a = 0; a < 3; ++a) c[a] = (brick[a] % m_cuts[a] + m_cuts[a]) % m_cuts[a];
  return c[0] + m_cuts[0] * (c[1] + m_cuts[1] * c[2]);
}

int Domain::owner(const double* r) const {
  std::array<int, 3> c{};
  for (int a = 0; a < 3; ++a) c[a] = std::clamp(int(r[a] / m_width[a]), 0, m_cuts[a] - 1);
  return rank_of(c);
}

bool Domain::owns(const double* r) const { return owner(r) == m_comm.rank(); }

bool Domain::near(const double* r, int rank) const {
  const int c[3] = {rank % m_cuts[0], rank / m_cuts[0] % m_cuts[1], rank / (m_cuts[0] * m_cuts[1])};
  double d2 = 0;
  for (int a = 0; a < 3; ++a) {
    const double d = axis_distance(r[a], brick_lo(c[a], m_width[a]),
                                   brick_hi(c[a], m_cuts[a], m_width[a], m_edge[a]), m_edge[a]);
    d2 += d * d;
  }
  return std::sqrt(d2) < m_radius;
}

std::vector<Atom> Domain::swap(const std::vector<Atom>& out, int to, int from) const {
  std::int64_t sent = std::int64_t(out.size()), coming = 0;
  m_comm.exchange(&sent, sizeof sent, to, &coming, sizeof coming, from);
  std::vector<Atom> in(static_cast<std::size_t>(coming));
  m_comm.exchange(out.data(), out.size() * sizeof(Atom), to, in.data(), in.size() * sizeof(Atom),
                  from);
  return in;
}

std::vector<Atom> Domain::migrate(std::vector<Atom> owned) const {
  const int me = m_comm.rank();
  std::vector<Atom> stay;
  std::vector<std::vector<Atom>> out(m_peers.size());
  for (const Atom& a : owned) {
    const int o = owner(a.r);
    if (o == me) {
      stay.push_back(a);
      continue;
    }
    const auto peer = std::find_if(m_peers.begin(), m_peers.end(),
                                   [&](const Peer& p) { return p.to == o; });
    if (peer == m_peers.end())
      throw core::Error(fmt::format(
          "MD across ranks: atom {} at ({:.6g}, {:.6g}, {:.6g}) sigma moved from rank {}'s brick "
          "beyond its neighbours' since the last list build (time step too large?)",
          a.tag, a.r[0], a.r[1], a.r[2], me));
    out[std::size_t(peer - m_peers.begin())].push_back(a);
  }
  for (std::size_t k = 0; k < m_peers.size(); ++k) {
    const std::vector<Atom> in = swap(out[k], m_peers[k].to, m_peers[k].from);
    stay.insert(stay.end(), in.begin(), in.end());
  }
  return stay;
}

GhostPlan Domain::plan_ghosts(const std::vector<Atom>& owned) const {
  GhostPlan plan;
  for (const Peer& peer : m_peers) {
    // The owned atoms within reach of the neighbour's brick, in owned order.
    std::vector<int> send;
    std::vector<Atom> records;
    for (std::size_t i = 0; i < owned.size(); ++i)
      if (near(owned[i].r, peer.to)) {
        send.push_back(int(i));
        records.push_back(owned[i]);
      }
    const std::vector<Atom> in = swap(records, peer.to, peer.from);
    plan.exchanges.push_back(
        {peer.to, peer.from, plan.send.size(), send.size(), plan.ghosts.size(), in.size()});
    plan.send.insert(plan.send.end(), send.begin(), send.end());
    plan.ghosts.insert(plan.ghosts.end(), in.begin(), in.end());
  }
  return plan;
}

}  // namespace twinsim::md::detail
