#pragma once
// Spatial decomposition of the MD box across MPI ranks (LAMMPS' scheme): the box is cut into
// cuts[0] x cuts[1] x cuts[2] equal bricks, one per rank (x fastest in the rank number), each at
// least the Verlet list radius (cutoff + skin) wide along every cut axis; a rank owns the atoms
// inside its brick and holds, as ghosts, copies of the atoms of its neighbours (the bricks
// around it, faces, edges and corners) within that radius of its brick. Host code: what moves
// at a list build (atoms leaving a brick, the ghost plan) goes through the host; the positions
// of the ghosts at every step go through the engine's own pack and unpack kernels
// (simulation.inl) and these exchanges.
//
// Positions stay in the box's own periodic coordinates (no image shift of the ghosts): the
// pair kernels take the minimum image, which is the one image within the radius because the
// box edge is at least twice the radius. So a ghost must reach a rank at most once: the
// neighbours are told apart by their offset modulo the cuts (with 2 cuts along an axis the
// brick before and the one after are the same rank), and each distinct neighbour gets one
// message, the atoms within the radius of its brick. Messages go in a fixed order of offsets,
// every rank sending to the neighbour at +offset and receiving from the one at -offset, so the
// pairs meet without a deadlock. Cuts along x alone give the messages, their order and their
// atoms that slabs did before the bricks came.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
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

// The cuts of `box` along x, y and z for `ranks` bricks (their product is ranks), each brick at
// least `radius` (cutoff + skin) wide along every cut axis: `wanted` when it is not all zero,
// else core::least_halo_cuts (core/Decomposition.hpp, shared with the LBM blocks). Throws core::Error when none fits (or the
// wanted ones do not), naming the rank counts that would.
std::array<int, 3> brick_cuts(int ranks, const Box& box, double radius,
                              const std::array<int, 3>& wanted = {0, 0, 0});
// Those bricks as the run logs them ("md: split into 2 x 1 x 1 bricks ... across 2 MPI ranks").
std::string bricks_line(int ranks, const Box& box, double radius,
                        const std::array<int, 3>& wanted);

class Domain {
 public:
  // Throws core::Error as brick_cuts does.
  Domain(core::Comm& comm, const Box& box, double radius,
         const std::array<int, 3>& wanted = {0, 0, 0});

  core::Comm& comm() const { return m_comm; }
  const std::array<int, 3>& cuts() const { return m_cuts; }
  // True when a wrapped position (3 values) lies in this rank's brick.
  bool owns(const double* wrapped) const;

  // Owned atoms (positions wrapped) after the atoms outside the brick went to their owners and
  // the atoms that entered it arrived (appended in message order). Collective. Throws
  // core::Error for an atom that moved beyond a neighbour's brick since the last build.
  std::vector<Atom> migrate(std::vector<Atom> owned) const;

  // The ghosts every other rank needs from `owned` (positions wrapped, as at a list build), and
  // those this rank receives. Collective.
  GhostPlan plan_ghosts(const std::vector<Atom>& owned) const;

 private:
  struct Peer {
    int to, from;  // the neighbours at +offset and -offset
  };
  int owner(const double* wrapped) const;
  int rank_of(const std::array<int, 3>& brick) const;  // brick coordinates taken periodically
  // Whether a wrapped position is within the ghost reach of `rank`'s brick (periodically).
  bool near(const double* wrapped, int rank) const;
  // Sends `out` to `to` while receiving from `from` (counts first).
  std::vector<Atom> swap(const std::vector<Atom>& out, int to, int from) const;

  core::Comm& m_comm;
  std::array<double, 3> m_edge;   // box edges, sigma
  std::array<int, 3> m_cuts;      // bricks along x, y, z
  std::array<double, 3> m_width;  // brick widths, sigma
  double m_radius;                // ghost reach: cutoff + skin, sigma
  std::vector<Peer> m_peers;      // one per distinct neighbour, in message order
};

}  // namespace twinsim::md::detail
