#pragma once
// The lattice Boltzmann solver on the OpenMP or CUDA backend (included by the backend
// translation units solver_<lattice>_<storage>.inl that solvers/lbm/CMakeLists.txt generates).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExactSum.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/lbm/Block.hpp"
#include "twinsim/lbm/Solver.hpp"
#include "twinsim/lbm/kernels/collision_kernel.hpp"
#include "twinsim/lbm/kernels/halo_kernel.hpp"
#include "twinsim/lbm/kernels/lattice_kernel.hpp"
#include "twinsim/lbm/kernels/storage_kernel.hpp"
#include "twinsim/lbm/kernels/stream_kernel.hpp"
#include "interior_blocks.hpp"
#if !defined(__CUDACC__)
#define TWINSIM_LBM_ISA_NS isa_baseline
#include "interior_level.hpp"  // the baseline level's block functions, in this unit
#endif

namespace twinsim::TWINSIM_BACKEND_NS {

namespace lbm_detail {

using core::Buffer;
using lbm::Domain;
using lbm::Relaxation;

// Kernels as free functions over raw pointers (Space memory): nvcc's extended lambdas may not
// live in private member functions.

// Cells per work item of the interior loop on the CPU: a block whose runs of interior cells
// are vectorised loops, by the block function of the instruction-set level chosen
// (interior_blocks.hpp). On the GPU one cell per thread.
constexpr Index k_interior_block = 64;

// One time step of kind k_step (lbm::Step): pull from src, collide, store in dst (in place:
// src == dst, `odd` the step's parity). Interior cells by the fast path, over the whole lattice
// (when `interior`: kind 0, on the CPU also the wrap codes of periodic sides, on_edge); the cells
// of the edge list next: the fast path with their wrap code on periodic sides (GPU) and on a rim
// next to ghost cells (lbm::k_rim), the general pull() where a side or a
// solid cell is upstream. Solid cells are neither updated nor read (in place, a solid cell's
// slot may hold a population on its way back). Across ranks a step is two calls: the interior
// and the edge cells away from the ghost cells, then (interior false) the rim list, once the
// halo has arrived.
// `block`: the CPU's interior block function (interior_blocks.hpp; null on the GPU).
template <class L, lbm::Step k_step, lbm::Subgrid k_subgrid, lbm::Force k_force, class Real,
          class Store>
void stream_collide(const Domain<Real>& d, const Relaxation<Real>& r, const Store* src,
                    Store* dst, const unsigned char* solid, const unsigned char* kind,
                    lbm::WallFractionView<Real> fraction, const std::uint32_t* edge,
                    Index edge_cells, bool interior, bool odd,
                    typename lbm::InteriorBlocks<L, Real, Store>::Fn block) {
  constexpr bool in_place = k_step == lbm::Step::in_place;
  const Index n = lbm::cell_count(d);
  const lbm::Streams<L, Store> s = lbm::streams<L>(d, src, dst);
  const auto in = lbm::populations<L, in_place>(d, src, lbm::layout_read(k_step, odd));
  const auto out = lbm::populations<L, in_place>(d, dst, lbm::layout_written(k_step, odd));
#if defined(__CUDACC__)
  (void)block;
  for_each_index(interior ? n : 0, [=] TWINSIM_HD(Index cell) {
    if (kind[cell] == lbm::k_interior)
      lbm::update_interior<L, k_step, k_subgrid, k_force>(s, r, std::int32_t(cell), 0, odd);
  });
#else
  constexpr Index size = k_interior_block;
  for_each_index(interior ? (n + size - 1) / size : 0, [=](Index b) {
    block(s, r, kind, std::int32_t(b * size), std::int32_t((b + 1) * size < n ? (b + 1) * size : n),
          odd);
  });
#endif
  for_each_index(edge_cells, [=] TWINSIM_HD(Index i) {
    const std::uint32_t cell = edge[i];
    const unsigned char k = kind[cell];
    if (k < lbm::k_boundary) {
      lbm::update_interior<L, k_step, k_subgrid, k_force>(s, r, std::int32_t(cell),
                                                          k & (lbm::k_rim - 1), odd);
      return;
    }
    Real g[L::k_q];
    lbm::pull<L>(d, cell, in, solid, fraction, g);
    lbm::collide<L, k_subgrid, k_force>(g, r);
    TWINSIM_LBM_UNROLL
    for (int q = 0; q < L::k_q; ++q) out.put(q, cell, g[q]);
  });
}

// The absorbing layers (lbm::absorb) on the post-collision populations in dst of the cells
// `layer` (layer_cells), after a two-lattice step's stream_collide: a pass of its own, so that
// those cells keep the fast path (in place has no pressure outlet, so no absorbing layer).
template <class L, class Real, class Store>
void absorb_layers(const Domain<Real>& d, Store* dst, const std::uint32_t* layer, Index cells) {
  const auto f = lbm::populations<L, false>(d, dst, lbm::Layout::two_lattice);
  for_each_index(cells, [=] TWINSIM_HD(Index i) {
    const std::uint32_t cell = layer[i];
    Real g[L::k_q];
    TWINSIM_LBM_UNROLL
    for (int q = 0; q < L::k_q; ++q) g[q] = f(q, cell);
    int x[3];
    lbm::cell_position(d, cell, x);
    lbm::absorb<L>(d, x, g);
    TWINSIM_LBM_UNROLL
    for (int q = 0; q < L::k_q; ++q) f.put(q, cell, g[q]);
  });
}

// The kinds the interior loop updates: on the CPU every wrap code (the interior and the cells on
// periodic sides, runs of one code vectorised: interior_level.hpp), on the GPU kind 0 alone (a
// wrap code would make the kernel index its offset table).
#if defined(__CUDACC__)
constexpr unsigned char k_interior_loop_kinds = 1;
#else
constexpr unsigned char k_interior_loop_kinds = lbm::k_wrap_codes;
#endif

// Whether a cell of kind k is updated, but not by the interior loop.
TWINSIM_HD inline bool on_edge(unsigned char k) {
  return k >= k_interior_loop_kinds && k != lbm::k_solid && k != lbm::k_ghost;
}

// The cell kinds (lbm::cell_kind) of a lattice, built in parallel. The cells outside the box
// `owned` are ghost cells (k_ghost: read, not updated); a fast-path cell on its rim (next to a
// ghost cell) gets lbm::k_rim added to its wrap code, so that the interior loop leaves it to the
// rim list.
template <class L, class Real>
void classify_cells(const Domain<Real>& d, const unsigned char* solid, unsigned char* kind,
                    const lbm::Region& owned) {
  for_each_index(lbm::cell_count(d), [=] TWINSIM_HD(Index cell) {
    int x[3];
    lbm::cell_position(d, cell, x);
    bool ghost = false;
    for (int a = 0; a < 3; ++a)
      ghost = ghost || x[a] < owned.lo[a] || x[a] >= owned.lo[a] + owned.size[a];
    unsigned char k = ghost ? lbm::k_ghost : lbm::cell_kind<L>(d, cell, solid);
    if (k < lbm::k_boundary && lbm::on_rim(owned, x))
      k = static_cast<unsigned char>(k | lbm::k_rim);
    kind[cell] = k;
  });
}

// Replaces the n >= 1 counts at o (Space memory) by their exclusive prefix sums, in parallel;
// returns their total.
inline std::uint32_t scan_counts(std::uint32_t* o, Index n) {
  std::uint32_t last_count = 0, last_offset = 0;
  core::detail::copy_bytes(&last_count, core::MemorySpace::Host, o + n - 1, Space::k_space,
                           sizeof(std::uint32_t));
  exclusive_scan(o, o, n);
  core::detail::copy_bytes(&last_offset, core::MemorySpace::Host, o + n - 1, Space::k_space,
                           sizeof(std::uint32_t));
  return last_offset + last_count;
}

// The cells among the n of a lattice for which wanted(cell) holds (a device predicate),
// ascending, built in parallel.
template <class Wanted>
Buffer<std::uint32_t, Space> cells_where(Index n, Wanted wanted) {
  Buffer<std::uint32_t, Space> offset(n);
  std::uint32_t* o = offset.data();
  for_each_index(n, [=] TWINSIM_HD(Index cell) { o[cell] = wanted(cell) ? 1 : 0; });
  Buffer<std::uint32_t, Space> list(scan_counts(o, n));
  std::uint32_t* l = list.data();
  for_each_index(n, [=] TWINSIM_HD(Index cell) {
    if (wanted(cell)) l[o[cell]] = std::uint32_t(cell);
  });
  return list;
}

// Which cells a list holds (listed_cells).
enum class Listed { edge_and_rim, edge, rim };

// The fluid cells updated outside the interior loop (on_edge), ascending: all of them, those
// away from the rim (the edge list) or those on it (the rim list).
template <class Real>
Buffer<std::uint32_t, Space> listed_cells(const Domain<Real>& d, const unsigned char* kind,
                                          const lbm::Region& owned, Listed which) {
  return cells_where(lbm::cell_count(d), [=] TWINSIM_HD(Index cell) {
    if (!on_edge(kind[cell])) return false;
    if (which == Listed::edge_and_rim) return true;
    int x[3];
    lbm::cell_position(d, cell, x);
    return lbm::on_rim(owned, x) == (which == Listed::rim);
  });
}

// The fluid cells of this rank's block that lie in an absorbing layer (absorb_layers).
template <class L, class Real>
Buffer<std::uint32_t, Space> layer_cells(const Domain<Real>& d, const unsigned char* kind) {
  return cells_where(lbm::cell_count(d), [=] TWINSIM_HD(Index cell) {
    if (kind[cell] == lbm::k_solid || kind[cell] == lbm::k_ghost) return false;
    int x[3];
    lbm::cell_position(d, cell, x);
    return lbm::in_sponge<L>(d, x);
  });
}

// Density and velocity of the state in src (a view of the post-collision populations,
// lbm::Populations): streamed but not yet collided, the state at the current time.
template <class L, class Real, class Src>
void compute_moments(const Domain<Real>& d, const Relaxation<Real>& r, const Src src,
                     const unsigned char* solid, lbm::WallFractionView<Real> fraction, Real* rho,
                     Real* ux, Real* uy, Real* uz) {
  const Index n = lbm::cell_count(d);
  for_each_index(n, [=] TWINSIM_HD(Index cell) {
    Real u[3] = {0, 0, 0}, density = 1;
    if (!solid[cell]) {
      Real g[L::k_q];
      lbm::pull<L>(d, cell, src, solid, fraction, g);
      lbm::moments<L>(g, r.force, density, u);
    }
    rho[cell] = density;
    ux[cell] = u[0];
    uy[cell] = u[1];
    uz[cell] = u[2];
  });
}

// Vorticity components wx, wy, wz of the velocity fields; 0 in solid cells.
template <class Real>
void compute_vorticity(const Domain<Real>& d, const Real* ux, const Real* uy, const Real* uz,
                       const unsigned char* solid, Real* wx, Real* wy, Real* wz) {
  for_each_index(lbm::cell_count(d), [=] TWINSIM_HD(Index cell) {
    Real w[3] = {0, 0, 0};
    if (!solid[cell]) lbm::vorticity(d, cell, ux, uy, uz, solid, w);
    wx[cell] = w[0];
    wy[cell] = w[1];
    wz[cell] = w[2];
  });
}

// Values summed over the owned cells (exact_sums): the density of fluid cells.
template <class Real>
struct FluidDensity {
  static constexpr int k = 1;
  const Real* rho;
  const unsigned char* solid;
  TWINSIM_HD void operator()(Index i, double* s) const {
    if (!solid[i]) s[0] += double(rho[i]);
  }
};

// |u - u_last|^2 and |u|^2.
template <class Real>
struct VelocityChange {
  static constexpr int k = 2;
  const Real *ux, *uy, *uz, *last_x, *last_y, *last_z;
  TWINSIM_HD void operator()(Index i, double* s) const {
    const double dx = double(ux[i]) - last_x[i], dy = double(uy[i]) - last_y[i],
                 dz = double(uz[i]) - last_z[i];
    s[0] += dx * dx + dy * dy + dz * dz;
    s[1] += double(ux[i]) * ux[i] + double(uy[i]) * uy[i] + double(uz[i]) * uz[i];
  }
};

// Value's Value::k sums over the cells of `box`, exact (core::ExactSum) and so independent of
// how the cells are grouped: each work item adds whole rows of x, the items' sums are merged on
// the host.
template <class Value>
std::vector<core::ExactSum> exact_sums(const lbm::Region& box, const Value& value) {
  constexpr int k = Value::k;
  const Index rows = Index(box.size[1]) * box.size[2];
  const Index items = std::min<Index>(std::max<Index>(rows, 1), 1024);
  Buffer<core::ExactSum, Space> sums(std::size_t(items) * k);
  core::ExactSum* out = sums.data();
  for_each_index(items, [=] TWINSIM_HD(Index t) {
    core::ExactSum* acc = out + t * k;
    for (int j = 0; j < k; ++j) acc[j].clear();
    for (Index row = t; row < rows; row += items) {
      const Index first = lbm::region_cell(box, row * box.size[0]);
      for (int x = 0; x < box.size[0]; ++x) {
        double v[k];
        for (int j = 0; j < k; ++j) v[j] = 0;
        value(first + x, v);
        for (int j = 0; j < k; ++j) acc[j].add(v[j]);
      }
    }
  });
  const std::vector<core::ExactSum> h = core::to_host(sums);
  std::vector<core::ExactSum> total(k);
  for (int j = 0; j < k; ++j) {
    total[j].clear();
    for (Index t = 0; t < items; ++t) total[j].merge(h[t * k + j]);
  }
  return total;
}

// The sums of every rank (collective), as doubles: each rank's exact sums normalized, their
// words added by one all-reduce (integers: any order), rounded once.
inline std::vector<double> ranks_total(core::Comm& comm, std::vector<core::ExactSum> sums) {
  std::vector<std::int64_t> words;
  for (core::ExactSum& e : sums) {
    e.normalize();
    words.insert(words.end(), e.word, e.word + core::ExactSum::k_words);
  }
  if (comm.size() > 1) comm.allreduce(words.data(), words.size(), core::Reduce::sum);
  std::vector<double> total(sums.size());
  for (std::size_t j = 0; j < sums.size(); ++j) {
    core::ExactSum e;
    std::copy(words.begin() + j * core::ExactSum::k_words,
              words.begin() + (j + 1) * core::ExactSum::k_words, e.word);
    total[j] = e.value();
  }
  return total;
}

// The momentum exchanged across each link of the link list (cell * 32 + q): force[3 * i + a].
template <class L, class Real, class Src>
void link_forces(const Domain<Real>& d, const Src src, const unsigned char* solid,
                 lbm::WallFractionView<Real> fraction, const std::int64_t* links, Index count,
                 double* force) {
  for_each_index(count, [=] TWINSIM_HD(Index i) {
    const std::int64_t link = links[i];
    double* f = force + 3 * i;
    f[0] = f[1] = f[2] = 0;
    lbm::link_force<L>(d, Index(link / 32), int(link % 32), src, solid, fraction, f);
  });
}

// Copies fields of a region into a halo buffer and back.
template <class Real>
void pack(const lbm::Region& r, const lbm::HaloFields& f, const Real* base, Real* buffer) {
  for_each_index(f.count * lbm::region_cells(r),
                 [=] TWINSIM_HD(Index i) { lbm::pack_halo(r, f, base, buffer, i); });
}
template <class Real>
void unpack(const lbm::Region& r, const lbm::HaloFields& f, Real* base, const Real* buffer) {
  for_each_index(f.count * lbm::region_cells(r),
                 [=] TWINSIM_HD(Index i) { lbm::unpack_halo(r, f, base, buffer, i); });
}

// dst[i] = src[i]: the bandwidth roof of stream_collide (same bytes, no arithmetic; in place
// src == dst, as an in-place step reads and writes the same slots).
template <class T>
void copy_kernel(Index n, const T* src, T* dst) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { dst[i] = src[i]; });
}

template <class T>
void fill(Index n, T* f, T value) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { f[i] = value; });
}

// The links between fluid cells and obstacle cells, grouped by obstacle number: for each fluid
// cell and direction q whose upstream neighbour (along -c_q, across periodic sides) is solid,
// the entry cell * 32 + q, ascending within an obstacle; obstacle k's links are
// [begin[k - 1], begin[k]) (k up to the largest number in the mask). Built in parallel from the
// edge list alone (no other cell has a solid neighbour).
template <class L, class Real>
Buffer<std::int64_t, Space> obstacle_links(const Domain<Real>& d, const unsigned char* solid,
                                           const Buffer<std::uint32_t, Space>& edge_list,
                                           std::vector<Index>& begin) {
  const int obstacles = transform_reduce(
      lbm::cell_count(d), 0, [=] TWINSIM_HD(Index i) { return int(solid[i]); }, core::Max{});
  begin.assign(obstacles + 1, 0);
  const Index edges = Index(edge_list.size());
  if (edges == 0) return {};
  const std::uint32_t* edge = edge_list.data();
  // The obstacle number upstream of edge cell `cell` along -c_q, 0 for fluid or beyond a side.
  Buffer<std::uint32_t, Space> offset(edges);
  std::uint32_t* o = offset.data();
  for_each_index(edges, [=] TWINSIM_HD(Index i) {
    int x[3];
    lbm::cell_position(d, edge[i], x);
    std::uint32_t count = 0;
    TWINSIM_LBM_UNROLL
    for (int q = 1; q < L::k_q; ++q) {
      const int back[3] = {-L::c(q, 0), -L::c(q, 1), -L::c(q, 2)};
      const Index up = lbm::offset_cell<L>(d, x, back);
      count += up >= 0 && solid[up] ? 1 : 0;
    }
    o[i] = count;
  });
  const Index total = Index(scan_counts(o, edges));
  Buffer<std::int64_t, Space> links(total);
  Buffer<std::uint32_t, Space> obstacle(total);
  std::int64_t* l = links.data();
  std::uint32_t* k = obstacle.data();
  for_each_index(edges, [=] TWINSIM_HD(Index i) {
    const std::uint32_t cell = edge[i];
    int x[3];
    lbm::cell_position(d, cell, x);
    std::uint32_t at = o[i];
    TWINSIM_LBM_UNROLL
    for (int q = 1; q < L::k_q; ++q) {
      const int back[3] = {-L::c(q, 0), -L::c(q, 1), -L::c(q, 2)};
      const Index up = lbm::offset_cell<L>(d, x, back);
      if (up < 0 || !solid[up]) continue;
      l[at] = std::int64_t(cell) * 32 + q;
      k[at++] = solid[up];
    }
  });
  // Stable: within an obstacle the links stay in cell, then q, order.
  if (total > 0) sort_by_key(k, l, total);
  for (std::uint32_t key : core::to_host(obstacle)) ++begin[key];
  for (int j = 1; j <= obstacles; ++j) begin[j] += begin[j - 1];
  return links;
}

// Real: the arithmetic; Store: the stored populations (Real, or lbm::Fp16s).
template <class L, class Real, class Store>
class SolverImpl final : public lbm::Solver {
  // In-place streaming is built for FP32 and FP16S storage, not for FP64: its kernels would
  // cost compile time for a memory saving FP32 storage with two lattices gives as well (the
  // same 2 Q x 4 bytes per cell); lbm::check_streaming refuses it.
  static constexpr bool k_in_place_built = lbm::k_in_place_built<Store>;

 public:
  // `global`: the whole lattice; this rank's block of it (Block.hpp) with its ghost layers is
  // what this solver holds.
  SolverImpl(const lbm::LatticeConfig& global, core::Comm& comm)
      : SolverImpl(global, comm, lbm::block_of(global, comm.rank(), comm.size())) {}

  SolverImpl(const lbm::LatticeConfig& global, core::Comm& comm, const lbm::Block& block)
      : m_config(global),
        m_comm(comm),
        m_block(block),
        m_cells(Index(block.local_cells()[0]) * block.local_cells()[1] * block.local_cells()[2]),
        m_in_place(global.streaming == lbm::Streaming::in_place),
#if !defined(__CUDACC__)
        m_interior(lbm::interior_blocks_at<L, Real, Store>(lbm::cpu_isa())),
#endif
        m_f(L::k_q * m_cells),
        m_f_next(m_in_place ? 0 : L::k_q * m_cells),
        m_macro(10 * m_cells) {
    const lbm::LatticeConfig c = lbm::local_config(global, block);
    for (int a = 0; a < 3; ++a) {
      m_domain.n[a] = c.cells[a];
      m_domain.origin[a] = block.begin[a] - int(block.low_ghost[a]);
      m_domain.extent[a] = global.cells[a];
      m_owned.n[a] = c.cells[a];
      m_owned.lo[a] = block.first()[a];
      m_owned.size[a] = block.owned(a);
    }
    for (int s = 0; s < 6; ++s) {
      const lbm::Side& side = c.sides[s];
      m_domain.side[s] = side.type == lbm::Boundary::periodic          ? lbm::k_periodic
                         : side.type == lbm::Boundary::wall            ? lbm::k_wall
                         : side.type == lbm::Boundary::velocity_inlet  ? lbm::k_velocity_inlet
                                                                       : lbm::k_pressure_outlet;
      for (int a = 0; a < 3; ++a) m_domain.wall_velocity[s][a] = Real(side.velocity[a]);
      m_domain.parabolic[s] = side.profile == lbm::Profile::parabolic ? 1 : 0;
      m_domain.density[s] = Real(side.density);
      m_domain.sponge[s] = side.sponge;
      m_domain.sponge_peak[s] =
          Real(side.sponge > 0 ? lbm::k_sponge_strength / double(side.sponge) : 0.0);
    }
    const double omega = 1.0 / c.tau;
    m_relax.omega_plus = Real(omega);
    m_relax.omega_minus =
        Real(c.collision == lbm::Collision::trt ? lbm::trt_omega_minus(c.tau, c.magic) : omega);
    for (int a = 0; a < 3; ++a) m_relax.force[a] = Real(c.force[a]);
    m_relax.tau = Real(c.tau);
    m_relax.smagorinsky = Real(18.0 * std::sqrt(2.0) * c.smagorinsky * c.smagorinsky);
    m_relax.magic = Real(c.collision == lbm::Collision::trt ? c.magic : 0.0);
    lbm::guo_terms<L>(m_relax);
    std::vector<std::uint8_t> solid = c.solid;
    solid.resize(m_cells, 0);
    m_solid = Buffer<unsigned char, Space>::from_host(solid);
    for (std::uint8_t k : global.solid) m_obstacles = std::max(m_obstacles, int(k));
    if (!c.wall_fraction.empty()) {
      m_fraction_cell = Buffer<std::uint32_t, Space>::from_host(c.wall_fraction.cell);
      m_fraction = Buffer<Real, Space>::from_host(
          std::vector<Real>(c.wall_fraction.fraction.begin(), c.wall_fraction.fraction.end()));
    }
    m_kind = Buffer<unsigned char, Space>(m_cells);
    classify_cells<L>(m_domain, m_solid.data(), m_kind.data(), m_owned);
    m_edge = listed_cells(m_domain, m_kind.data(), m_owned, Listed::edge);
    m_rim = listed_cells(m_domain, m_kind.data(), m_owned, Listed::rim);
    m_layer = layer_cells<L>(m_domain, m_kind.data());
    m_links = obstacle_links<L>(
        m_domain, m_solid.data(),
        listed_cells(m_domain, m_kind.data(), m_owned, Listed::edge_and_rim), m_link_begin);
    m_link_force = Buffer<double, Space>(3 * m_links.size());
    // Rest state rho = 1, u = 0 is g = 0 in the shifted storage (binary16 +0 too), in both
    // lattices (the second keeps solid cells' unused slots defined).
    Store zero;
    lbm::store(zero, Real(0));
    fill(L::k_q * m_cells, m_f.data(), zero);
    if (!m_in_place) fill(L::k_q * m_cells, m_f_next.data(), zero);
    fill(3 * m_cells, last_velocity(), Real(0));
    if (block.ranks > 1) plan_halo(c);
  }

  void step(std::int64_t n) override {
    // The subgrid model and the body force are template switches: without them the step is
    // the plain collision.
    using lbm::Force;
    using lbm::Subgrid;
    // In place, the kind of step alternates with the step count (lbm::Step).
    const bool forced = m_relax.force[0] != 0 || m_relax.force[1] != 0 || m_relax.force[2] != 0;
    const bool smagorinsky = m_config.smagorinsky > 0;
    if (!m_in_place) {
      // Across ranks the halo overlaps the step: each step posts the halo of the state it reads
      // (the first step's is there already), updates the cells that read no ghost cell (the
      // interior loop and the edge list), waits for the halo and unpacks it, then updates the
      // rim, then relaxes the absorbing layers' cells (before the next step posts this state).
      // After the last step the halo is exchanged once more, so that every other call finds the
      // ghost cells current. One rank: no halo, no rim.
      const auto kernel = stream_kernel<lbm::Step::two_lattice>(smagorinsky, forced);
      const auto block = m_interior.fn[0][smagorinsky][forced];
      for (std::int64_t i = 0; i < n; ++i) {
        if (i > 0) start_exchange(m_f.data(), false);
        kernel(m_domain, m_relax, m_f.data(), m_f_next.data(), m_solid.data(), m_kind.data(),
               fraction(), m_edge.data(), Index(m_edge.size()), true, false, block);
        if (i > 0) finish_exchange(m_f.data(), false);
        if (m_rim.size() > 0)
          kernel(m_domain, m_relax, m_f.data(), m_f_next.data(), m_solid.data(), m_kind.data(),
                 fraction(), m_rim.data(), Index(m_rim.size()), false, false, block);
        if (m_layer.size() > 0)
          absorb_layers<L>(m_domain, m_f_next.data(), m_layer.data(), Index(m_layer.size()));
        std::swap(m_f, m_f_next);
      }
    } else if constexpr (k_in_place_built) {  // one rank only (lbm::check_streaming)
      const auto kernel = stream_kernel<lbm::Step::in_place>(smagorinsky, forced);
      const auto block = m_interior.fn[1][smagorinsky][forced];
      for (std::int64_t i = 0; i < n; ++i)
        kernel(m_domain, m_relax, m_f.data(), m_f.data(), m_solid.data(), m_kind.data(),
               fraction(), m_edge.data(), Index(m_edge.size()), true, (m_steps + i) % 2 != 0,
               block);
    }
    exchange(m_f.data(), false);
    m_steps += n;
  }

  std::int64_t steps_done() const override { return m_steps; }
  void synchronize() override { TWINSIM_BACKEND_NS::synchronize(); }

  using lbm::Solver::macroscopic;
  // Rank 0 gets the whole lattice's fields asked for (each rank's block gathered in cell order);
  // the other ranks get `cells` alone. Only the fields asked for are copied: each contiguous
  // run of them in m_macro is one copy.
  lbm::Macroscopic macroscopic(unsigned fields) override {
    update_moments();
    const bool vorticity_wanted = (fields & lbm::k_vorticity) != 0;
    if (vorticity_wanted) {
      exchange(m_macro.data(), true);  // the velocity of the ghost layers, for the derivatives
      compute_vorticity(m_domain, ux(), uy(), uz(), m_solid.data(), vorticity(0), vorticity(1),
                        vorticity(2));
    }
    // The rows of m_macro wanted: rho 0, velocity 1-3, vorticity 2D 6 (its z component), 3D 4-6.
    bool wanted[7] = {};
    wanted[0] = (fields & lbm::k_density) != 0;
    for (int k = 1; k <= 3; ++k) wanted[k] = (fields & lbm::k_velocity) != 0;
    for (int k = L::k_dims == 2 ? 6 : 4; k <= 6; ++k) wanted[k] = vorticity_wanted;
    std::vector<Real> local;
    int count = 0, row[7] = {};  // row[k]: field k's place in `local`
    for (int k = 0; k < 7;) {
      if (!wanted[k]) {
        ++k;
        continue;
      }
      int end = k;
      while (end < 7 && wanted[end]) row[end] = count++, ++end;
      const std::vector<Real> run = fields_to_host(k, end - k);
      local.insert(local.end(), run.begin(), run.end());
      k = end;
    }
    const std::vector<Real> h = gathered(local, count);
    if (!m_comm.root()) return {m_config.cells, {}, {}, {}, {}, {}, {}};
    const std::size_t cells =
        std::size_t(m_config.cells[0]) * m_config.cells[1] * m_config.cells[2];
    const auto field = [&](int k) {
      if (!wanted[k]) return std::vector<double>();
      return std::vector<double>(h.begin() + row[k] * cells, h.begin() + (row[k] + 1) * cells);
    };
    // 2D: the z component alone; 3D: the vector, [cell][3].
    std::vector<double> w;
    if (L::k_dims == 2) {
      w = field(6);
    } else if (vorticity_wanted) {
      w.resize(3 * cells);
      for (std::size_t i = 0; i < cells; ++i)
        for (int a = 0; a < 3; ++a) w[3 * i + a] = h[(row[4] + a) * cells + i];
    }
    std::vector<std::uint8_t> solid = m_config.solid;
    solid.resize(cells, 0);
    return {m_config.cells, field(0), field(1), field(2), field(3), std::move(w),
            std::move(solid)};
  }

  void vorticity_into(double* d_to, double dt) override {
    if (L::k_dims != 2 || m_block.ranks > 1)
      throw core::Error("lbm::Solver::vorticity_into: D2Q9 on one rank only");
    update_moments();
    const Domain<Real> d = m_domain;
    const Real *x = ux(), *y = uy(), *z = uz();
    const unsigned char* solid = m_solid.data();
    for_each_index(m_cells, [=] TWINSIM_HD(Index cell) {
      Real w[3] = {0, 0, 0};  // as compute_vorticity's, then as macroscopic()'s reader divides
      if (!solid[cell]) lbm::vorticity(d, cell, x, y, z, solid, w);
      d_to[cell] = double(w[2]) / dt;
    });
  }

  double total_mass() override {
    update_moments();
    const FluidDensity<Real> rho{m_macro.data(), m_solid.data()};
    return ranks_total(m_comm, exact_sums(m_owned, rho))[0];
  }

  double velocity_change() override {
    update_moments();
    Real* last = last_velocity();
    const VelocityChange<Real> v{ux(), uy(), uz(), last, last + m_cells, last + 2 * m_cells};
    const std::vector<double> sums = ranks_total(m_comm, exact_sums(m_owned, v));
    const Real *x = ux(), *y = uy(), *z = uz();
    Real* lx = last;
    const Index n = m_cells;
    for_each_index(n, [=] TWINSIM_HD(Index i) {
      lx[i] = x[i];
      lx[n + i] = y[i];
      lx[2 * n + i] = z[i];
    });
    const bool first = !m_have_last;
    m_have_last = true;
    if (first || sums[1] == 0) return std::numeric_limits<double>::infinity();
    return std::sqrt(sums[0] / sums[1]);
  }

  // Each link's momentum exchange, added per obstacle exactly (core::ExactSum): the same sums
  // whichever rank holds a link.
  std::vector<std::array<double, 3>> obstacle_forces() override {
    const Index count = Index(m_links.size());
    std::vector<double> per_link;
    if (count > 0) {
      with_state([&](auto src) {
        link_forces<L>(m_domain, src, m_solid.data(), fraction(), m_links.data(), count,
                       m_link_force.data());
      });
      per_link = core::to_host(m_link_force);
    }
    std::vector<core::ExactSum> sums(3 * std::size_t(m_obstacles));
    for (core::ExactSum& e : sums) e.clear();
    for (std::size_t k = 0; k + 1 < m_link_begin.size(); ++k)
      for (Index i = m_link_begin[k]; i < m_link_begin[k + 1]; ++i)
        for (int a = 0; a < 3; ++a) sums[3 * k + a].add(per_link[3 * i + a]);
    const std::vector<double> total = ranks_total(m_comm, std::move(sums));
    std::vector<std::array<double, 3>> forces(m_obstacles);
    for (int k = 0; k < m_obstacles; ++k)
      forces[k] = {total[3 * k], total[3 * k + 1], total[3 * k + 2]};
    return forces;
  }

  void set_side_velocity(int side, const std::array<double, 3>& v) override {
    m_config.sides[side].velocity = v;
    for (int a = 0; a < 3; ++a) m_domain.wall_velocity[side][a] = Real(v[a]);
  }

  const lbm::LatticeConfig& config() const override { return m_config; }

  // The post-collision populations f*_q(cell) at [q][cell], as two lattices hold them in m_f
  // (the other lattice is written at every fluid cell before it is read, and solid cells are
  // never read; in place they are put in that order, solid cells 0), so a checkpoint restarts
  // with either streaming; FP16S ones decoded to FP32 (exactly: they are stored back to the
  // same bits; the checkpoint's non-finite scan reads floating-point arrays). Then the
  // velocity of the last velocity_change(), the step count and the side velocities (an inflow
  // ramp changes them). Solid mask, wall fractions and link lists are not saved: they follow
  // from the configuration, which a restart builds again.
  void save(io::StateWriter& out) const override {
    out.put("lbm/precision", lbm::to_string(m_config.precision));
    out.put("lbm/steps", m_steps);
    out.put("lbm/cuts", std::vector<std::int64_t>(m_block.cuts.begin(), m_block.cuts.end()));
    out.put("lbm/populations", saved_populations());
    const std::vector<Real> last = fields_to_host(7, 3);
    out.put("lbm/last_velocity", last.data(), last.size());
    out.put("lbm/have_last_velocity", std::int64_t(m_have_last));
    std::vector<double> sides;
    for (const lbm::Side& side : m_config.sides)
      sides.insert(sides.end(), side.velocity.begin(), side.velocity.end());
    out.put("lbm/side_velocity", sides);
  }

  void load(const io::StateReader& in) override {
    const std::string precision = in.get_string("lbm/precision");
    if (precision != lbm::to_string(m_config.precision))
      throw core::Error("lbm checkpoint: its populations are " + precision + ", this run's " +
                        lbm::to_string(m_config.precision));
    m_steps = in.get_int("lbm/steps");  // first: the in-place layout follows its parity
    std::vector<Real> populations(L::k_q * m_cells);
    if (in.parts().empty()) {  // written by this rank count: this rank's own block
      in.get("lbm/populations", populations.data(), populations.size());
      upload(in, "lbm/last_velocity", last_velocity(), 3 * m_cells);
    } else {  // by another: this block's layers from the blocks that held them
      populations = split_again(in.parts(), "lbm/populations", L::k_q);
      const std::vector<Real> last = split_again(in.parts(), "lbm/last_velocity", 3);
      core::detail::copy_bytes(last_velocity(), Space::k_space, last.data(),
                               core::MemorySpace::Host, last.size() * sizeof(Real));
    }
    load_populations(populations);
    exchange(m_f.data(), false);
    m_have_last = in.get_int("lbm/have_last_velocity") != 0;
    const std::vector<double> sides = in.get<double>("lbm/side_velocity");
    if (sides.size() != 3 * m_config.sides.size())
      throw core::Error("lbm checkpoint: lbm/side_velocity does not hold 6 sides x 3 values");
    for (int s = 0; s < 6; ++s)
      set_side_velocity(s, {sides[3 * s], sides[3 * s + 1], sides[3 * s + 2]});
  }

  double bytes_per_cell_update() const override { return 2.0 * L::k_q * sizeof(Store); }

  double copy_bandwidth(int repeats) override {
    const Index n = L::k_q * m_cells;
    Store* to = m_in_place ? m_f.data() : m_f_next.data();  // in place: onto itself
    const auto timed = [&](int passes) {
      TWINSIM_BACKEND_NS::synchronize();
      const auto t0 = std::chrono::steady_clock::now();
      for (int p = 0; p < passes; ++p) copy_kernel(n, m_f.data(), to);
      TWINSIM_BACKEND_NS::synchronize();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    // Warm-up (first touch, clocks), then enough passes per run for ~0.1 s.
    const int passes = int(std::clamp(0.1 / std::max(timed(2) / 2, 1e-9), 1.0, 1e6));
    std::vector<double> seconds;
    for (int r = 0; r < std::max(repeats, 1); ++r) seconds.push_back(timed(passes) / passes);
    std::sort(seconds.begin(), seconds.end());
    return 2.0 * double(n) * sizeof(Store) / seconds[seconds.size() / 2];
  }

 private:
  Real* ux() { return m_macro.data() + m_cells; }
  Real* uy() { return m_macro.data() + 2 * m_cells; }
  Real* uz() { return m_macro.data() + 3 * m_cells; }
  Real* vorticity(int a) { return m_macro.data() + (4 + a) * m_cells; }  // component a
  Real* last_velocity() { return m_macro.data() + 7 * m_cells; }  // ux, uy, uz of the last check

  // The stream kernel of a step kind with the subgrid model and body force as switched.
  template <lbm::Step k_step>
  static auto stream_kernel(bool smagorinsky, bool forced) {
    using lbm::Force;
    using lbm::Subgrid;
    return smagorinsky
               ? (forced ? stream_collide<L, k_step, Subgrid::smagorinsky, Force::guo, Real, Store>
                         : stream_collide<L, k_step, Subgrid::smagorinsky, Force::none, Real, Store>)
               : (forced ? stream_collide<L, k_step, Subgrid::none, Force::guo, Real, Store>
                         : stream_collide<L, k_step, Subgrid::none, Force::none, Real, Store>);
  }

  // The layout of the state between steps: two lattices, or in place by the step count's parity.
  lbm::Layout state_layout() const {
    if (!m_in_place) return lbm::Layout::two_lattice;
    return m_steps % 2 == 0 ? lbm::Layout::own_opposite : lbm::Layout::downstream;
  }

  // Calls f with a view (lbm::Populations) of the post-collision populations at `base` (the
  // state's memory, or a host copy of it) in the state's layout.
  template <class T, class F>
  void with_layout(T* base, F&& f) const {
    if constexpr (k_in_place_built)
      if (m_in_place) return f(lbm::populations<L, true>(m_domain, base, state_layout()));
    f(lbm::populations<L, false>(m_domain, base, lbm::Layout::two_lattice));
  }
  template <class F>
  void with_state(F&& f) {
    with_layout(m_f.data(), f);
  }

  // The populations f*_q(cell) in [q][cell] order as Real (solid cells 0), on the host.
  std::vector<Real> saved_populations() const {
    const std::vector<Store> raw = core::to_host(m_f);
    std::vector<Real> h(raw.size(), Real(0));
    std::vector<std::uint8_t> solid = m_config.solid;
    solid.resize(m_cells, 0);  // one rank (in place): this block is the whole lattice
    with_layout(raw.data(), [&](auto src) {
      for (Index cell = 0; cell < m_cells; ++cell)
        if (!m_in_place || !solid[cell])
          for (int q = 0; q < L::k_q; ++q) h[q * m_cells + cell] = src(q, cell);
    });
    return h;
  }

  // saved_populations() back into the state: stored, in the state's layout.
  void load_populations(const std::vector<Real>& h) {
    std::vector<Store> raw(h.size());
    lbm::store(raw.front(), Real(0));
    std::fill(raw.begin(), raw.end(), raw.front());
    std::vector<std::uint8_t> solid = m_config.solid;
    solid.resize(m_cells, 0);
    with_layout(raw.data(), [&](auto dst) {
      for (Index cell = 0; cell < m_cells; ++cell)
        if (!m_in_place || !solid[cell])
          for (int q = 0; q < L::k_q; ++q) dst.put(q, cell, h[q * m_cells + cell]);
    });
    core::detail::copy_bytes(m_f.data(), Space::k_space, raw.data(), core::MemorySpace::Host,
                             raw.size() * sizeof(Store));
  }

  // Fields [first, first + count) of m_macro, copied to the host.
  std::vector<Real> fields_to_host(int first, int count) const {
    std::vector<Real> h(std::size_t(count) * m_cells);
    core::detail::copy_bytes(h.data(), core::MemorySpace::Host, m_macro.data() + first * m_cells,
                             Space::k_space, h.size() * sizeof(Real));
    return h;
  }

  // Reads `count` values of the array `name` of a checkpoint into d_dst (Space memory).
  static void upload(const io::StateReader& in, const std::string& name, Real* d_dst,
                     Index count) {
    std::vector<Real> h(count);
    in.get(name, h.data(), h.size());
    core::detail::copy_bytes(d_dst, Space::k_space, h.data(), core::MemorySpace::Host,
                             h.size() * sizeof(Real));
  }

  // This rank's layers of the [fields][cell] array `name` of a checkpoint written by
  // parts.size() ranks, each holding its own block (Block.hpp, ghost layers included), on the
  // host; the ghost layers (0) are left to the halo exchange (or are not read).
  std::vector<Real> split_again(const std::vector<const io::StateReader*>& parts,
                                const std::string& name, int fields) const {
    const auto stored = [&](const lbm::Block& b) {
      io::Block3 s;
      s.begin = b.begin;
      s.end = b.end;
      s.stored = b.local_cells();
      s.offset = b.first();
      return s;
    };
    // The writers' blocks: their cuts as recorded (lbm.processors may have changed since).
    lbm::LatticeConfig written = m_config;
    if (parts[0]->has("lbm/cuts")) {
      const std::vector<std::int64_t> cuts = parts[0]->get<std::int64_t>("lbm/cuts");
      written.processors = {int(cuts.at(0)), int(cuts.at(1)), int(cuts.at(2))};
    }
    std::vector<Real> h(std::size_t(fields) * m_cells, Real(0));
    io::split_again(
        parts, name, fields,
        [&](int r) { return stored(lbm::block_of(written, r, int(parts.size()))); },
        stored(m_block), h.data());
    return h;
  }

  lbm::WallFractionView<Real> fraction() const {
    return {m_fraction_cell.data(), m_fraction.data(), std::int32_t(m_fraction_cell.size())};
  }

  // One message of the halo: to and from the neighbour at an offset (a face, edge or corner).
  struct HaloLink {
    int peer;                      // its rank
    int send_tag, recv_tag;        // the offset's number, and the opposite offset's
    lbm::Region send_region;       // this block's cells next to the neighbour
    lbm::Region recv_region;       // the ghost cells the neighbour's cells fill
    lbm::HaloFields send, recv;    // the populations that cross each way
    std::size_t send_at, recv_at;  // where the message lies in the halo buffers
  };

  // The halo's messages: one per neighbour offset (x fastest, each from -1) across which the
  // block has ghost cells and some population crosses (D3Q19: faces and edges, no corners).
  void plan_halo(const lbm::LatticeConfig& c) {
    const std::array<int, 3> m = m_block.local_cells(), first = m_block.first();
    std::size_t send_at = 0, recv_at = 0;
    for (int oz = -1; oz <= 1; ++oz)
      for (int oy = -1; oy <= 1; ++oy)
        for (int ox = -1; ox <= 1; ++ox) {
          const int o[3] = {ox, oy, oz}, back[3] = {-ox, -oy, -oz};
          bool ghost = o[0] != 0 || o[1] != 0 || o[2] != 0;
          int faces = 0, face_axis = 0;
          HaloLink h{};
          for (int a = 0; a < 3; ++a) {
            h.send_region.n[a] = h.recv_region.n[a] = m[a];
            if (o[a] == 0) {
              h.send_region.lo[a] = h.recv_region.lo[a] = first[a];
              h.send_region.size[a] = h.recv_region.size[a] = m_block.owned(a);
              continue;
            }
            ghost = ghost && (o[a] < 0 ? m_block.low_ghost[a] : m_block.high_ghost[a]);
            ++faces;
            face_axis = a;
            h.send_region.lo[a] = o[a] < 0 ? first[a] : first[a] + m_block.owned(a) - 1;
            h.recv_region.lo[a] = o[a] < 0 ? 0 : m[a] - 1;
            h.send_region.size[a] = h.recv_region.size[a] = 1;
          }
          if (!ghost) continue;
          // A pressure outlet on a side along this face extrapolates from whole cells along the
          // side, which may lie in the ghost layer: then every population crosses.
          bool all = false;
          for (int s = 0; s < 6; ++s)
            all = all || (faces == 1 && s / 2 != face_axis &&
                          c.sides[s].type == lbm::Boundary::pressure_outlet);
          h.send = lbm::crossing_populations<L>(o, all, m_cells);
          h.recv = lbm::crossing_populations<L>(back, all, m_cells);
          if (h.send.count == 0) continue;
          h.peer = m_block.neighbour({o[0], o[1], o[2]});
          h.send_tag = (o[0] + 1) + 3 * (o[1] + 1) + 9 * (o[2] + 1);
          h.recv_tag = 26 - h.send_tag;
          h.send_at = send_at;
          h.recv_at = recv_at;
          const std::size_t most = std::size_t(L::k_q);  // fields of any exchange
          send_at += most * lbm::region_cells(h.send_region);
          recv_at += most * lbm::region_cells(h.recv_region);
          m_halo.push_back(h);
        }
    m_halo_send = Buffer<Real, Space>(send_at);
    m_halo_recv = Buffer<Real, Space>(recv_at);
    if (k_backend == core::Backend::Gpu) m_staging = std::make_unique<core::DeviceStaging>(m_comm);
  }

  // Refreshes the ghost cells of the fields at `base`: the populations that cross into them
  // (`velocity`: the three velocity fields of m_macro instead). start_exchange packs every
  // message and posts them all at once (receives first) without waiting; finish_exchange waits
  // for them and unpacks. Nothing on one rank.
  template <class T>
  void exchange(T* base, bool velocity) {
    start_exchange(base, velocity);
    finish_exchange(base, velocity);
  }

  lbm::HaloFields velocity_fields() const {
    return lbm::HaloFields{3, {m_cells, 2 * m_cells, 3 * m_cells}};
  }

  template <class T>
  void start_exchange(T* base, bool velocity) {
    if (m_halo.empty()) return;
    const lbm::HaloFields u = velocity_fields();
    std::vector<core::Comm::Message> receives, sends;
    for (const HaloLink& h : m_halo) {
      const lbm::HaloFields& send = velocity ? u : h.send;
      const lbm::HaloFields& recv = velocity ? u : h.recv;
      T* out = reinterpret_cast<T*>(m_halo_send.data()) + h.send_at;
      pack(h.send_region, send, base, out);
      sends.push_back({out, std::size_t(send.count) * lbm::region_cells(h.send_region) * sizeof(T),
                       h.peer, h.send_tag});
      receives.push_back({reinterpret_cast<T*>(m_halo_recv.data()) + h.recv_at,
                          std::size_t(recv.count) * lbm::region_cells(h.recv_region) * sizeof(T),
                          h.peer, h.recv_tag});
    }
    // The packing is done before MPI reads the buffers (staged, the copy to pinned memory would
    // wait for it anyway; a CUDA-aware MPI reads the device buffers directly).
    TWINSIM_BACKEND_NS::synchronize();
    if (m_staging)
      m_staging->start_exchange(receives, sends);
    else
      m_comm.start_exchange(receives, sends);
  }

  template <class T>
  void finish_exchange(T* base, bool velocity) {
    if (m_halo.empty()) return;
    if (m_staging)
      m_staging->finish_exchange();
    else
      m_comm.finish_exchange();
    const lbm::HaloFields u = velocity_fields();
    for (const HaloLink& h : m_halo)
      unpack(h.recv_region, velocity ? u : h.recv, base,
             reinterpret_cast<const T*>(m_halo_recv.data()) + h.recv_at);
  }

  // `fields` fields of local values (count x m_cells): on rank 0 the whole lattice's, each field
  // in cell order, from every rank's block; empty elsewhere.
  std::vector<Real> gathered(const std::vector<Real>& local, int fields) const {
    const std::array<int, 3>& n = m_config.cells;
    // The block's cells in order, as cells of a lattice of `at` cells where it starts at `from`.
    const auto owned_box = [&](const lbm::Block& b, const std::array<int, 3>& at,
                               const std::array<int, 3>& from, auto&& visit) {
      for (int z = 0; z < b.owned(2); ++z)
        for (int y = 0; y < b.owned(1); ++y)
          for (int x = 0; x < b.owned(0); ++x)
            visit((std::size_t(z + from[2]) * at[1] + y + from[1]) * at[0] + x + from[0]);
    };
    std::vector<Real> mine;
    const std::array<int, 3> owned = m_block.owned();
    mine.reserve(std::size_t(fields) * owned[0] * owned[1] * owned[2]);
    for (int k = 0; k < fields; ++k)
      owned_box(m_block, m_block.local_cells(), m_block.first(),
                [&](std::size_t i) { mine.push_back(local[std::size_t(k) * m_cells + i]); });
    if (m_block.ranks == 1) return mine;
    const std::vector<std::vector<Real>> all = m_comm.gather(mine, 0);
    if (!m_comm.root()) return {};
    const std::size_t cells = std::size_t(n[0]) * n[1] * n[2];
    std::vector<Real> h(std::size_t(fields) * cells);
    for (int r = 0; r < m_block.ranks; ++r) {
      const lbm::Block b = lbm::block_of(m_config, r, m_block.ranks);
      std::size_t at = 0;
      for (int k = 0; k < fields; ++k)
        owned_box(b, n, b.begin,
                  [&](std::size_t i) { h[std::size_t(k) * cells + i] = all[r][at++]; });
    }
    return h;
  }

  void update_moments() {
    with_state([&](auto src) {
      compute_moments<L>(m_domain, m_relax, src, m_solid.data(), fraction(), m_macro.data(), ux(),
                         uy(), uz());
    });
  }

  lbm::LatticeConfig m_config;  // the whole lattice's
  core::Comm& m_comm;
  lbm::Block m_block;           // this rank's part of it
  Index m_cells;                // of this rank's lattice: its block and ghost layers
  Domain<Real> m_domain{};
  Relaxation<Real> m_relax{};
  bool m_in_place = false;               // streaming in place (lbm::Streaming)
  // The CPU's interior block functions at the instruction-set level chosen (null on the GPU)
  lbm::InteriorBlocks<L, Real, Store> m_interior{};
  // [q][cell], shifted populations after the last collision (in place: in the layout of
  // state_layout()), stored as Store
  Buffer<Store, Space> m_f;
  Buffer<Store, Space> m_f_next;  // the other lattice, written by the next step (in place: empty)
  Buffer<unsigned char, Space> m_solid;  // [cell], obstacle number, 0 = fluid
  Buffer<unsigned char, Space> m_kind;   // [cell], lbm::CellKind
  Buffer<std::uint32_t, Space> m_edge;   // fluid cells on_edge, not on the rim
  Buffer<std::uint32_t, Space> m_rim;    // fluid cells next to ghost cells (none on one rank)
  Buffer<std::uint32_t, Space> m_layer;  // fluid cells in absorbing layers (absorb_layers)
  // Wall fractions of the boundary cells (lbm::WallFractionView), empty for half-way walls:
  Buffer<std::uint32_t, Space> m_fraction_cell;  // the boundary cells, ascending
  Buffer<Real, Space> m_fraction;                // [boundary cell][q]
  Buffer<std::int64_t, Space> m_links;   // cell * 32 + q, grouped by obstacle
  std::vector<Index> m_link_begin;       // obstacle k's links: [m_link_begin[k - 1], [k])
  Buffer<double, Space> m_link_force;    // [link][3], the momentum exchanged across each link
  int m_obstacles = 0;                   // the largest obstacle number of the whole lattice
  lbm::Region m_owned{};                 // this rank's block in its lattice (no ghost cells)
  std::vector<HaloLink> m_halo;          // the halo's messages (none on one rank)
  // Every message, one after the other (populations as Store: 2 bytes each with FP16S; or the
  // velocity), at offsets counted in elements of the type sent
  Buffer<Real, Space> m_halo_send, m_halo_recv;
  std::unique_ptr<core::DeviceStaging> m_staging;      // the CUDA backend's halo transfers
  // [field][cell]: rho, ux, uy, uz, the vorticity's x, y, z components, and ux, uy, uz at the
  // last velocity_change()
  Buffer<Real, Space> m_macro;
  std::int64_t m_steps = 0;
  bool m_have_last = false;
};

}  // namespace lbm_detail

// The solver of a lattice and precision (declared in Solver.cpp): explicitly instantiated by
// one generated translation unit each (solvers/lbm/CMakeLists.txt), so that a parallel build
// compiles them at once.
template <lbm::Lattice k_lattice, lbm::Precision k_precision>
std::unique_ptr<lbm::Solver> make_lbm_solver(const lbm::LatticeConfig& c, core::Comm& comm) {
  using L = std::conditional_t<k_lattice == lbm::Lattice::d3q19, lbm::D3Q19, lbm::D2Q9>;
  using Real = std::conditional_t<k_precision == lbm::Precision::fp64, double, float>;
  using Store = std::conditional_t<k_precision == lbm::Precision::fp16s, lbm::Fp16s, Real>;
  return std::make_unique<lbm_detail::SolverImpl<L, Real, Store>>(c, comm);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
