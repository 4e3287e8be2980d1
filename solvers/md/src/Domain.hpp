#pragma once
// Spatial decomposition of the MD box across MPI ranks (LAMMPS' scheme along one axis): the
// box is split along x into equal slabs, one per rank, each at least the Verlet list radius
// (cutoff + skin) wide; a rank owns the atoms inside its slab and holds, as ghosts, copies of
// the atoms of its two neighbours within that radius of its faces. Host code: what moves at a
// list build (atoms leaving a slab, the ghost plan) goes through the host; the positions of
// the ghosts at every step go through the engine's own pack and unpack kernels (simulation.inl)
// and these exchanges.
//
// Positions stay in the box's own periodic coordinates (no image shift of the ghosts): the
// pair kernels take the minimum image, which is the one image within the radius because the
// box edge is at least twice the radius. So a ghost must reach a rank at most once: with two
// ranks the one neighbour gets the union of the atoms near either face.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/md/Simulation.hpp"

namespace twinsim::md::detail {

// One atom as it travels between ranks (host memory): position (sigma, wrapped into the box),
// velocity (sigma/tau), periodic images crossed, global id (the caller's index) and type.
struct Atom {
  double r[3];
  double v[3];
  int image[3];
  int tag;
  int type;
};

// One halo message of a step: `count` ghost positions go to rank `to` from the send buffer at
// `send_at`, `received` come from rank `from` into the receive buffer at `recv_at` (atoms;
// three doubles each).
struct HaloExchange {
  int to, from;
  std::size_t send_at, count;
  std::size_t recv_at, received;
};

// The ghosts of one list build: which owned atoms go where at each step (indices into the
// owned atoms, in message order), the messages, and the ghost atoms received (in message
// order, positions as the owners had them at the build).
struct GhostPlan {
  std::vector<int> send;
  std::vector<HaloExchange> exchanges;
  std::vector<Atom> ghosts;
};

// Throws core::Error when `ranks` slabs along x would be narrower than `radius` (cutoff + skin).
void require_slabs(int ranks, const Box& box, double radius);

class Domain {
 public:
  // Throws core::Error when a slab would be narrower than `radius` (cutoff + skin).
  Domain(core::Comm& comm, const Box& box, double radius);

  core::Comm& comm() const { return m_comm; }
  // True when a wrapped x lies in this rank's slab.
  bool owns(double wrapped_x) const;

  // Owned atoms (positions wrapped) after the atoms outside the slab went to their owners and
  // the atoms that entered it arrived (appended in message order). Collective. Throws
  // core::Error for an atom that moved beyond a neighbour's slab since the last build.
  std::vector<Atom> migrate(std::vector<Atom> owned) const;

  // The ghosts every other rank needs from `owned` (positions wrapped, as at a list build), and
  // those this rank receives. Collective.
  GhostPlan plan_ghosts(const std::vector<Atom>& owned) const;

 private:
  int owner(double wrapped_x) const;
  // Sends `out` to `to` while receiving from `from` (counts first).
  std::vector<Atom> swap(const std::vector<Atom>& out, int to, int from) const;

  core::Comm& m_comm;
  double m_width;     // slab width, sigma
  double m_radius;    // ghost reach: cutoff + skin, sigma
  double m_lo, m_hi;  // this rank's slab [lo, hi) along x, sigma
  int m_left, m_right;  // neighbour ranks (the same rank on two ranks)
};

}  // namespace twinsim::md::detail
