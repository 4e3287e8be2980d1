#include "Domain.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "twinsim/core/Error.hpp"

namespace twinsim::md::detail {

void require_slabs(int ranks, const Box& box, double radius) {
  const double width = box.edge[0] / ranks;
  if (!(width >= radius))
    throw core::Error(fmt::format(
        "MD across {} ranks: the box is split along x into slabs of {:.6g} sigma, narrower than "
        "cutoff + skin = {:.6g} sigma (a ghost would have to come from beyond a neighbour); "
        "use at most {} ranks or a longer box along x",
        ranks, width, radius, std::max(1, int(box.edge[0] / radius))));
}

Domain::Domain(core::Comm& comm, const Box& box, double radius)
    : m_comm(comm),
      m_width(box.edge[0] / comm.size()),
      m_radius(radius),
      m_lo(comm.rank() * m_width),
      m_hi(comm.rank() + 1 == comm.size() ? box.edge[0] : (comm.rank() + 1) * m_width),
      m_left((comm.rank() + comm.size() - 1) % comm.size()),
      m_right((comm.rank() + 1) % comm.size()) {
  require_slabs(comm.size(), box, radius);
}

int Domain::owner(double x) const {
  const int r = int(x / m_width);
  return r < 0 ? 0 : r >= m_comm.size() ? m_comm.size() - 1 : r;
}

bool Domain::owns(double x) const { return owner(x) == m_comm.rank(); }

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
  std::vector<Atom> stay, left, right;
  for (const Atom& a : owned) {
    const int o = owner(a.r[0]);
    if (o == me)
      stay.push_back(a);
    else if (o == m_left)
      left.push_back(a);
    else if (o == m_right)
      right.push_back(a);
    else
      throw core::Error(fmt::format(
          "MD across ranks: atom {} at x = {:.6g} sigma moved from rank {}'s slab beyond its "
          "neighbours' since the last list build (time step too large?)",
          a.tag, a.r[0], me));
  }
  std::vector<std::vector<Atom>> arrived;
  if (m_left == m_right) {  // two ranks: one neighbour on both sides
    left.insert(left.end(), right.begin(), right.end());
    arrived.push_back(swap(left, m_left, m_left));
  } else {
    arrived.push_back(swap(left, m_left, m_right));
    arrived.push_back(swap(right, m_right, m_left));
  }
  for (const std::vector<Atom>& in : arrived) stay.insert(stay.end(), in.begin(), in.end());
  return stay;
}

GhostPlan Domain::plan_ghosts(const std::vector<Atom>& owned) const {
  GhostPlan plan;
  // Which owned atoms go in each message, in owned order.
  std::vector<std::vector<int>> out;
  std::vector<std::pair<int, int>> peers;  // to, from
  if (m_left == m_right) {
    out.resize(1);
    peers.push_back({m_left, m_left});
  } else {
    out.resize(2);
    peers.push_back({m_left, m_right});  // near the low face: the left neighbour's ghosts
    peers.push_back({m_right, m_left});
  }
  for (std::size_t i = 0; i < owned.size(); ++i) {
    const double x = owned[i].r[0];
    const bool low = x - m_lo < m_radius, high = m_hi - x < m_radius;
    if (out.size() == 1) {
      if (low || high) out[0].push_back(int(i));
    } else {
      if (low) out[0].push_back(int(i));
      if (high) out[1].push_back(int(i));
    }
  }
  for (std::size_t e = 0; e < out.size(); ++e) {
    std::vector<Atom> records;
    for (int i : out[e]) records.push_back(owned[std::size_t(i)]);
    const std::vector<Atom> in = swap(records, peers[e].first, peers[e].second);
    plan.exchanges.push_back({peers[e].first, peers[e].second, plan.send.size(), out[e].size(),
                              plan.ghosts.size(), in.size()});
    plan.send.insert(plan.send.end(), out[e].begin(), out[e].end());
    plan.ghosts.insert(plan.ghosts.end(), in.begin(), in.end());
  }
  return plan;
}

}  // namespace twinsim::md::detail
