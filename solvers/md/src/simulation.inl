// Backend translation unit: the LJ molecular dynamics engine on the OpenMP or CUDA backend.
#include <algorithm>
#include <cmath>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "Domain.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/core/exec.hpp"
#include "twinsim/md/Simulation.hpp"
#include "twinsim/md/kernels/box_kernel.hpp"
#include "twinsim/md/kernels/field_kernel.hpp"
#include "twinsim/md/kernels/pair_kernel.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace md_detail {

using core::Buffer;
using md::BoxParams;
using md::CellGrid;

// Three components of a per-particle vector, structure of arrays, Space memory.
struct Vec3Ptr {
  double* x;
  double* y;
  double* z;
};

// Kernels as free functions over raw pointers (Space memory): nvcc's extended lambdas may not
// live in private member functions.

// Three components of a per-particle integer vector (periodic image counts), Space memory.
struct Int3Ptr {
  int* x;
  int* y;
  int* z;
};

// Wraps positions into the box and counts the periodic images crossed, so that unwrapped
// positions (mean squared displacements) survive the wrapping.
void wrap_positions(Index n, BoxParams b, Vec3Ptr r, Int3Ptr image) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    double* c[3] = {r.x + i, r.y + i, r.z + i};
    int* m[3] = {image.x + i, image.y + i, image.z + i};
    for (int a = 0; a < 3; ++a) {
      const double w = md::wrap(*c[a], b, a);
      *m[a] += int(rint((*c[a] - w) / b.edge[a]));
      *c[a] = w;
    }
  });
}

// key[i] = cell of particle i (positions wrapped), order[i] = i: sort_by_key then groups the
// particles of each cell together, in the same order on both backends.
void assign_cells(Index n, CellGrid g, Vec3Ptr r, int* key, int* order) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    key[i] = md::cell_index(md::cell_coordinate(r.x[i], g, 0), md::cell_coordinate(r.y[i], g, 1),
                            md::cell_coordinate(r.z[i], g, 2), g);
    order[i] = int(i);
  });
}

// dst[k] = src[order[k]]: particle data into cell order, so that the particles of a cell are
// contiguous in memory for the list build and neighbors sit close together for the forces.
void gather(Index n, const int* order, Vec3Ptr src, Vec3Ptr dst) {
  for_each_index(n, [=] TWINSIM_HD(Index k) {
    const int i = order[k];
    dst.x[k] = src.x[i];
    dst.y[k] = src.y[i];
    dst.z[k] = src.z[i];
  });
}

void gather(Index n, const int* order, const int* src, int* dst) {
  for_each_index(n, [=] TWINSIM_HD(Index k) { dst[k] = src[order[k]]; });
}

void gather(Index n, const int* order, Int3Ptr src, Int3Ptr dst) {
  for_each_index(n, [=] TWINSIM_HD(Index k) {
    const int i = order[k];
    dst.x[k] = src.x[i];
    dst.y[k] = src.y[i];
    dst.z[k] = src.z[i];
  });
}

// start[c] = first sorted slot of cell c (c in [0, cells]; start[cells] = n): a binary search
// per cell in the sorted keys, so no atomics and the same result on both backends.
void find_cell_starts(Index cells, Index n, const int* sorted_key, int* start) {
  for_each_index(cells + 1, [=] TWINSIM_HD(Index c) {
    Index lo = 0, hi = n;
    while (lo < hi) {
      const Index mid = (lo + hi) / 2;
      if (sorted_key[mid] < c)
        lo = mid + 1;
      else
        hi = mid;
    }
    start[c] = int(lo);
  });
}

// Which Verlet lists this backend builds. CPU: half lists, each pair once (j > i in storage
// order), forces by Newton's third law: half the pair evaluations and list entries of full
// lists; the forces on the j side go to per-thread arrays (no races, summed in thread order,
// so deterministic for a given thread count). GPU: full lists, each pair twice, so that each
// thread writes only its own particle's force (no atomics, deterministic at any launch size).
inline constexpr bool k_half_lists = k_backend == core::Backend::Cpu;

// Slot k of particle i's Verlet list. CPU: rows, [N][capacity] (each thread walks its own row
// in cache order). GPU: columns, [capacity][N], so that the threads of a warp, reading entry k of
// neighbouring particles, read neighbouring words (one row per atom makes each warp-wide load
// touch 32 sectors).
TWINSIM_HD inline Index list_slot(Index i, int k, Index n, int capacity) {
  return k_half_lists ? i * capacity + k : Index(k) * n + i;
}

// The nearest image of a separation along axis a: with branches on the CPU (predicted well),
// without on the GPU (md::minimum_image_rint).
TWINSIM_HD inline double nearest(double d, const BoxParams& b, int a) {
  return k_half_lists ? md::minimum_image(d, b, a) : md::minimum_image_rint(d, b, a);
}

// Verlet lists: slot list_slot(i, k) for k < count[i] holds the j != i within `radius` of i
// (with k_half only those with j > i among the owned ones), found in the 5^3 cells around i's
// cell (fewer on grids under 5 cells wide), for the n owned particles i. Particles are in cell
// order: cell c holds owned particles start[c] .. start[c + 1] - 1, so a half list skips the
// cells below i's own and the particles up to i in it. Across MPI ranks the ghosts (copies of
// other ranks' atoms, stored after the owned ones) are in cell order too, cell c at
// start[cells + c] .. start[cells + c + 1] - 1, and every ghost neighbour is listed (a full
// list for the pairs across a slab face: each rank computes its own side, no force goes back);
// k_ghosts false (one rank, none) leaves out their loop. Neighbors beyond `capacity` are
// counted, not stored; the caller grows the list and builds again.
template <bool k_half, bool k_ghosts>
void build_verlet_lists(Index n, BoxParams b, CellGrid g, double radius2, const double* x_,
                        const double* y_, const double* z_, const int* start_, int capacity,
                        int* count, int* list_) {
  const int cells = g.cells[0] * g.cells[1] * g.cells[2];
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const double* __restrict__ x = x_;
    const double* __restrict__ y = y_;
    const double* __restrict__ z = z_;
    const int* __restrict__ start = start_;
    int* __restrict__ list = list_;
    const double xi = x[i], yi = y[i], zi = z[i];
    const int c[3] = {md::cell_coordinate(xi, g, 0), md::cell_coordinate(yi, g, 1),
                      md::cell_coordinate(zi, g, 2)};
    const int own = md::cell_index(c[0], c[1], c[2], g);
    // The stencil's cell coordinates along each axis, periodic, wrapped once here rather than
    // per cell (integer division is slow); offsets -reach.. visit each distinct cell once also
    // where an axis has fewer cells than the stencil's 2 reach + 1.
    constexpr int reach = md::k_cell_reach;
    constexpr int width = 2 * reach + 1;
    int around[3][width];
    int span[3];
    for (int a = 0; a < 3; ++a) {
      span[a] = g.cells[a] < width ? g.cells[a] : width;
      for (int d = 0; d < span[a]; ++d)
        around[a][d] = (c[a] + d - reach + reach * g.cells[a]) % g.cells[a];
    }
    int found = 0;
    // Lists j when it is within the radius.
    const auto consider = [&](int j) {
      const double rx = nearest(x[j] - xi, b, 0);
      const double ry = nearest(y[j] - yi, b, 1);
      const double rz = nearest(z[j] - zi, b, 2);
      const bool inside = rx * rx + ry * ry + rz * rz < radius2;
      if (k_half) {
        // CPU, branch-free append: write j to the next free slot whether or not it is a
        // neighbor, advance only if it is (a random 1-in-6 test defeats branch prediction).
        if (found < capacity) list[list_slot(i, found, n, capacity)] = j;
        found += inside ? 1 : 0;
      } else if (inside) {
        // GPU: only neighbors are stored (each store is a transaction of its own).
        if (found < capacity) list[list_slot(i, found, n, capacity)] = j;
        ++found;
      }
    };
    for (int dz = 0; dz < span[2]; ++dz)
      for (int dy = 0; dy < span[1]; ++dy)
        for (int dx = 0; dx < span[0]; ++dx) {
          const int cell = md::cell_index(around[0][dx], around[1][dy], around[2][dz], g);
          if (!k_half || cell >= own) {
            const int first = k_half && cell == own ? int(i) + 1 : start[cell];
            const int last = start[cell + 1];
            for (int j = first; j < last; ++j)
              if (k_half || j != i) consider(j);
          }
          if (k_ghosts)
            for (int j = start[cells + cell]; j < start[cells + cell + 1]; ++j) consider(j);
        }
    count[i] = found;
  });
}

// Sums over the Verlet list of owned particle i (of n): the force on i, and with k_tally its
// shares of the pair energies and virials r.f: all of a pair listed once (a half list between
// owned particles), half of a pair listed twice (full lists, and a pair with a ghost, which the
// ghost's own rank lists too). With k_newton (half lists) each pair's force is also subtracted
// from j's entry of fj (the calling thread's own array; a ghost's entry is never read). The pair physics is the Evaluator's
// (pair_kernel.hpp); with one type the coefficients are read once and the type array is not
// touched.
struct PairSums {
  double fx, fy, fz, energy, virial;
};

template <class Evaluator, bool k_single_type, bool k_newton, bool k_tally>
TWINSIM_HD PairSums sum_pairs(Index i, Index n, BoxParams b, const md::PairCoeff* table,
                              int types, const int* type, Vec3Ptr r, const int* count,
                              const int* list_, int capacity, Vec3Ptr fj) {
  const double* __restrict__ x = r.x;
  const double* __restrict__ y = r.y;
  const double* __restrict__ z = r.z;
  const int* __restrict__ list = list_;
  const double xi = x[i], yi = y[i], zi = z[i];
  PairSums s{0, 0, 0, 0, 0};
  const md::PairCoeff* row = k_single_type ? table : table + type[i] * types;
  const md::PairCoeff single = table[0];
  const int neighbors = count[i];
  for (int k = 0; k < neighbors; ++k) {
    const int j = list[list_slot(i, k, n, capacity)];
    const double dx = nearest(xi - x[j], b, 0);
    const double dy = nearest(yi - y[j], b, 1);
    const double dz = nearest(zi - z[j], b, 2);
    const double r2 = dx * dx + dy * dy + dz * dz;
    const md::LjPair pair = Evaluator::eval(r2, k_single_type ? single : row[type[j]]);
    const double gx = pair.force_over_r * dx, gy = pair.force_over_r * dy,
                 gz = pair.force_over_r * dz;
    s.fx += gx;
    s.fy += gy;
    s.fz += gz;
    if (k_newton) {
      fj.x[j] -= gx;
      fj.y[j] -= gy;
      fj.z[j] -= gz;
    }
    if (k_tally) {
      const double share = k_half_lists && j < n ? 1.0 : 0.5;
      s.energy += share * pair.energy;
      s.virial += share * pair.force_over_r * r2;
    }
  }
  return s;
}

// Forces from full lists: each i sums over its own neighbors and writes only its own force
// (no atomics). The closing half kick of velocity Verlet, v += h f, is fused in (h = 0 for
// none): one pass over the particles fewer per step.
template <class Evaluator, bool k_single_type>
void full_list_forces_and_kick(Index n, BoxParams b, const md::PairCoeff* table, int types,
                               const int* type, Vec3Ptr r, const int* count, const int* list,
                               int capacity, Vec3Ptr f, double h, Vec3Ptr v) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const PairSums s = sum_pairs<Evaluator, k_single_type, false, false>(
        i, n, b, table, types, type, r, count, list, capacity, f);
    f.x[i] = s.fx;
    f.y[i] = s.fy;
    f.z[i] = s.fz;
    v.x[i] += h * s.fx;
    v.y[i] += h * s.fy;
    v.z[i] += h * s.fz;
  });
}

// Forces from half lists by Newton's third law, on `parts` threads: part p takes the owned
// particles [p n / parts, (p + 1) n / parts) and accumulates into its own array, part 0 into f
// itself, part p > 0 into partial + 3 local (p - 1) ([3][local] each, local = owned + ghosts,
// Space memory). Race-free whatever the neighbors, and each force is summed in a fixed order.
// Then reduce_and_kick() adds the parts.
template <class Evaluator, bool k_single_type>
void half_list_forces(Index n, Index local, Index parts, BoxParams b, const md::PairCoeff* table,
                      int types, const int* type, Vec3Ptr r, const int* count, const int* list,
                      int capacity, Vec3Ptr f, double* partial) {
  for_each_index(parts, [=] TWINSIM_HD(Index p) {
    double* part = p == 0 ? nullptr : partial + 3 * local * (p - 1);
    const Vec3Ptr mine = p == 0 ? f : Vec3Ptr{part, part + local, part + 2 * local};
    for (Index i = 0; i < local; ++i) mine.x[i] = mine.y[i] = mine.z[i] = 0.0;
    for (Index i = n * p / parts; i < n * (p + 1) / parts; ++i) {
      const PairSums s = sum_pairs<Evaluator, k_single_type, true, false>(
          i, n, b, table, types, type, r, count, list, capacity, mine);
      mine.x[i] += s.fx;
      mine.y[i] += s.fy;
      mine.z[i] += s.fz;
    }
  });
}

// f += the parts' arrays (in part order) for the n owned particles, then v += h f.
void reduce_and_kick(Index n, Index local, Index parts, const double* partial, Vec3Ptr f,
                     double h, Vec3Ptr v) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    for (Index p = 1; p < parts; ++p) {
      const double* part = partial + 3 * local * (p - 1);
      f.x[i] += part[i];
      f.y[i] += part[local + i];
      f.z[i] += part[2 * local + i];
    }
    v.x[i] += h * f.x[i];
    v.y[i] += h * f.y[i];
    v.z[i] += h * f.z[i];
  });
}

// Per-atom pair energy and virial r.f (forces untouched), so that the trajectory does not
// depend on how often thermo is sampled; each i takes its shares (sum_pairs), so the sums are
// the same whichever lists were built.
template <class Evaluator, bool k_single_type>
void tally_pairs(Index n, BoxParams b, const md::PairCoeff* table, int types, const int* type,
                 Vec3Ptr r, const int* count, const int* list, int capacity, double* energy,
                 double* virial) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const PairSums s = sum_pairs<Evaluator, k_single_type, false, true>(
        i, n, b, table, types, type, r, count, list, capacity, Vec3Ptr{});
    energy[i] = s.energy;
    virial[i] = s.virial;
  });
}

// v += h f: the closing half kick as a pass of its own, where several computes add up the forces.
void kick(Index n, double h, Vec3Ptr f, Vec3Ptr v) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    v.x[i] += h * f.x[i];
    v.y[i] += h * f.y[i];
    v.z[i] += h * f.z[i];
  });
}

// send[3k + a] = r_a[index[k]]: the positions the halo messages of a step carry ([k][3]), in
// message order.
void pack_positions(Index m, const int* index, Vec3Ptr r, double* send) {
  for_each_index(m, [=] TWINSIM_HD(Index k) {
    const int i = index[k];
    send[3 * k] = r.x[i];
    send[3 * k + 1] = r.y[i];
    send[3 * k + 2] = r.z[i];
  });
}

// r_a[n + g] = recv[3 source[g] + a]: the received positions into the ghosts' slots after the
// n owned particles (the ghosts are stored in cell order, the messages in their senders' order).
void unpack_positions(Index ghosts, Index n, const int* source, const double* recv, Vec3Ptr r) {
  for_each_index(ghosts, [=] TWINSIM_HD(Index g) {
    const int k = source[g];
    r.x[n + g] = recv[3 * k];
    r.y[n + g] = recv[3 * k + 1];
    r.z[n + g] = recv[3 * k + 2];
  });
}

void fill(Index n, double value, double* a) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { a[i] = value; });
}

// f_axis += the periodic field's force on each particle (field_kernel.hpp).
void add_field_forces(Index n, md::FieldParams p, const double* x, double* f) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { f[i] += md::periodic_field(x[i], p).force; });
}

// energy += the field's energy of each particle (no virial: see md::PeriodicField).
void tally_field(Index n, md::FieldParams p, const double* x, double* energy) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { energy[i] += md::periodic_field(x[i], p).energy; });
}

// A velocity scaling, a half kick then a drift (unit masses): v = scale v + kick f,
// r += drift v. Velocity Verlet opens its step with (1, dt/2, dt), BAOAB with (1, dt/2, dt/2),
// the Nose-Hoover chain with (its half-step factor, dt/2, dt).
void kick_drift(Index n, double scale, double kick, double drift, Vec3Ptr r, Vec3Ptr v, Vec3Ptr f) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    v.x[i] = scale * v.x[i] + kick * f.x[i];
    v.y[i] = scale * v.y[i] + kick * f.y[i];
    v.z[i] = scale * v.z[i] + kick * f.z[i];
    r.x[i] += drift * v.x[i];
    r.y[i] += drift * v.y[i];
    r.z[i] += drift * v.z[i];
  });
}

// BAOAB's O and second A: the exact Ornstein-Uhlenbeck update v = c1 v + c2 xi (xi standard
// normal from rng, counters 2 tag and 2 tag + 1 of the particle's global id, so both backends,
// any storage order and any rank count draw the same noise for it), then r += drift v.
void thermalize_drift(Index n, double c1, double c2, core::Philox rng, double drift,
                      const int* tag, Vec3Ptr r, Vec3Ptr v) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    double xi[4];
    const std::uint64_t id = std::uint64_t(tag[i]);
    rng.normal2(2 * id, xi[0], xi[1]);
    rng.normal2(2 * id + 1, xi[2], xi[3]);
    v.x[i] = c1 * v.x[i] + c2 * xi[0];
    v.y[i] = c1 * v.y[i] + c2 * xi[1];
    v.z[i] = c1 * v.z[i] + c2 * xi[2];
    r.x[i] += drift * v.x[i];
    r.y[i] += drift * v.y[i];
    r.z[i] += drift * v.z[i];
  });
}

// Largest squared displacement since the last build; positions are wrapped only at builds, so
// the plain difference is the displacement. A non-finite position counts as an infinite
// displacement (a max reduction would drop NaN), so blown-up dynamics are caught here.
double max_displacement2(Index n, Vec3Ptr r, Vec3Ptr r0) {
  return transform_reduce(
      n, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double dx = r.x[i] - r0.x[i], dy = r.y[i] - r0.y[i], dz = r.z[i] - r0.z[i];
        const double d2 = dx * dx + dy * dy + dz * dz;
        return d2 <= 1e300 ? d2 : 1e308;
      },
      core::Max{});
}

// One step's displacement check, kept on the device (reduce_into, no wait): the largest
// squared displacement since the last build (non-finite: 1e308) and the largest predicted
// `ahead` (tau) later at the present velocities, (|r - r0| + ahead |v|)^2.
struct Moved {
  double now, ahead;
};
struct MaxMoved {
  TWINSIM_HD Moved operator()(const Moved& a, const Moved& b) const {
    return {a.now < b.now ? b.now : a.now, a.ahead < b.ahead ? b.ahead : a.ahead};
  }
};

void check_displacements(Index n, Vec3Ptr r, Vec3Ptr r0, Vec3Ptr v, double ahead, Moved* d_slot) {
  reduce_into(
      n, Moved{0.0, 0.0},
      [=] TWINSIM_HD(Index i) {
        const double dx = r.x[i] - r0.x[i], dy = r.y[i] - r0.y[i], dz = r.z[i] - r0.z[i];
        const double d2 = dx * dx + dy * dy + dz * dz;
        const double v2 = v.x[i] * v.x[i] + v.y[i] * v.y[i] + v.z[i] * v.z[i];
        const double far = sqrt(d2) + ahead * sqrt(v2);
        return d2 <= 1e300 ? Moved{d2, far * far} : Moved{1e308, 1e308};
      },
      MaxMoved{}, d_slot);
}

double sum(Index n, const double* a) {
  return transform_reduce(
      n, 0.0, [=] TWINSIM_HD(Index i) { return a[i]; }, core::Plus{});
}

// sum of v^2 into *d_sum (Space memory), no wait.
void sum_squares_into(Index n, Vec3Ptr v, double* d_sum) {
  reduce_into(
      n, 0.0,
      [=] TWINSIM_HD(Index i) { return v.x[i] * v.x[i] + v.y[i] * v.y[i] + v.z[i] * v.z[i]; },
      core::Plus{}, d_sum);
}

double sum_squares(Index n, Vec3Ptr v) {
  return transform_reduce(
      n, 0.0,
      [=] TWINSIM_HD(Index i) { return v.x[i] * v.x[i] + v.y[i] * v.y[i] + v.z[i] * v.z[i]; },
      core::Plus{});
}

// Largest squared force (non-finite counts as 1e308).
double max_force2(Index n, Vec3Ptr f) {
  return transform_reduce(
      n, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double f2 = f.x[i] * f.x[i] + f.y[i] * f.y[i] + f.z[i] * f.z[i];
        return f2 <= 1e300 ? f2 : 1e308;
      },
      core::Max{});
}

// 0 when every position, velocity and force component is finite, else NaN: x - x is 0 for a
// finite x and NaN for NaN and +-infinity, and a NaN survives the sum (no overflow of large
// finite values either).
double non_finite_marker(Index n, Vec3Ptr r, Vec3Ptr v, Vec3Ptr f) {
  return transform_reduce(
      n, 0.0,
      [=] TWINSIM_HD(Index i) {
        const double a[] = {r.x[i], r.y[i], r.z[i], v.x[i], v.y[i], v.z[i], f.x[i], f.y[i],
                            f.z[i]};
        double marker = 0.0;
        for (double x : a) marker += x - x;
        return marker;
      },
      core::Plus{});
}

int max_count(Index n, const int* count) {
  return transform_reduce(
      n, 0, [=] TWINSIM_HD(Index i) { return count[i]; }, core::Max{});
}

// Threads a for_each_index runs on: OpenMP's team size on the CPU (1 on the GPU, which has no
// per-thread arrays).
inline Index thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Three Space arrays of n doubles in one allocation.
class Vec3Buffer {
 public:
  explicit Vec3Buffer(std::size_t n) : m_n(n), m_data(3 * n) {}
  Vec3Ptr ptr() { return {m_data.data(), m_data.data() + m_n, m_data.data() + 2 * m_n}; }
  // [N][3] host values in, and out.
  void assign(const std::vector<double>& h_interleaved) {
    std::vector<double> soa(3 * m_n);
    for (std::size_t i = 0; i < m_n; ++i)
      for (int a = 0; a < 3; ++a) soa[a * m_n + i] = h_interleaved[3 * i + a];
    m_data = Buffer<double, Space>::from_host(soa);
  }
  std::vector<double> interleaved() const {
    const std::vector<double> soa = core::to_host(m_data);
    std::vector<double> out(3 * m_n);
    for (std::size_t i = 0; i < m_n; ++i)
      for (int a = 0; a < 3; ++a) out[3 * i + a] = soa[a * m_n + i];
    return out;
  }
  Buffer<double, Space>& buffer() { return m_data; }
  // [3][n] host values in (n may differ from before: the particles a rank holds change).
  void assign_soa(const std::vector<double>& soa) {
    m_n = soa.size() / 3;
    m_data = Buffer<double, Space>::from_host(soa);
  }

 private:
  std::size_t m_n;
  Buffer<double, Space> m_data;  // [3][N]: x, y, z
};

// Three Space arrays of n ints (periodic image counts), zero at the start.
class Int3Buffer {
 public:
  explicit Int3Buffer(std::size_t n)
      : m_n(n), m_data(Buffer<int, Space>::from_host(std::vector<int>(3 * n, 0))) {}
  Int3Ptr ptr() { return {m_data.data(), m_data.data() + m_n, m_data.data() + 2 * m_n}; }
  std::vector<int> interleaved() const {
    const std::vector<int> soa = core::to_host(m_data);
    std::vector<int> out(3 * m_n);
    for (std::size_t i = 0; i < m_n; ++i)
      for (int a = 0; a < 3; ++a) out[3 * i + a] = soa[a * m_n + i];
    return out;
  }
  Buffer<int, Space>& buffer() { return m_data; }
  void assign_soa(const std::vector<int>& soa) {
    m_n = soa.size() / 3;
    m_data = Buffer<int, Space>::from_host(soa);
  }

 private:
  std::size_t m_n;
  Buffer<int, Space> m_data;  // [3][N]
};

// What a force compute reads and writes at one evaluation (Space memory). The pointers change at
// each list build (the particles are reordered into scratch arrays), so the engine makes a fresh
// one for each evaluation.
struct ForceArgs {
  Index n;      // owned particles: forces on these
  Index local;  // owned + ghosts (other ranks' atoms near the slab faces): array lengths
  BoxParams box;
  Vec3Ptr r;  // positions, wrapped at list builds only
  Vec3Ptr f;
  Vec3Ptr v;
  const int* type;
  const int* count;  // Verlet lists (see build_verlet_lists)
  const int* list;
  int capacity;
};

// One contribution to the forces (HOOMD-blue's ForceCompute): the engine holds a list of them.
// The first sets the forces and may fuse the closing half kick into its pass (the fast case, a
// pass over the particles fewer per step, when it is the only compute); each later one adds its
// forces. The pair force is always the first.
class ForceCompute {
 public:
  virtual ~ForceCompute() = default;
  // As the list's first: f = its forces, then v += kick f (kick 0: none).
  virtual void set_forces_and_kick(const ForceArgs& a, double kick) = 0;
  // As a later one: f += its forces.
  virtual void add_forces(const ForceArgs& a) = 0;
  // Per-atom energy and virial share r.f: set by the first (`first`), added by the others.
  virtual void tally(const ForceArgs& a, double* energy, double* virial, bool first) = 0;
};

// The pair potential over the Verlet lists: half lists and per-thread arrays on the CPU, full
// lists with the kick fused in on the GPU (k_half_lists).
class PairForce final : public ForceCompute {
 public:
  PairForce(const md::MdSettings& s, const md::PairTable& table)
      : m_morse(s.potential == md::Potential::morse), m_types(table.types) {
    std::vector<md::PairCoeff> coeff;
    for (std::size_t k = 0; k < table.a.size(); ++k)
      coeff.push_back({table.a[k], table.b[k], table.c[k], table.cutoff2[k], table.shift[k]});
    m_coeff = Buffer<md::PairCoeff, Space>::from_host(coeff);
  }

  void set_forces_and_kick(const ForceArgs& a, double kick) override {
    if (m_morse)
      forces<md::MorseEvaluator>(a, kick);
    else
      forces<md::LjEvaluator>(a, kick);
  }

  // Never called: the half-list kernel writes f outright (its part 0 is f itself).
  void add_forces(const ForceArgs&) override {
    throw core::Error("MD engine: the pair force must be the first force compute");
  }

  void tally(const ForceArgs& a, double* energy, double* virial, bool first) override {
    if (!first) throw core::Error("MD engine: the pair force must be the first force compute");
    const bool single = m_types == 1;
    const auto kernel =
        m_morse
            ? (single ? &tally_pairs<md::MorseEvaluator, true>
                      : &tally_pairs<md::MorseEvaluator, false>)
            : (single ? &tally_pairs<md::LjEvaluator, true> : &tally_pairs<md::LjEvaluator, false>);
    kernel(a.n, a.box, m_coeff.data(), m_types, a.type, a.r, a.count, a.list, a.capacity, energy,
           virial);
  }

 private:
  template <class Evaluator>
  void forces(const ForceArgs& a, double kick) {
    const bool single = m_types == 1;
    if constexpr (k_half_lists) {
      const Index parts = thread_count();
      if (m_partial.size() != std::size_t(3 * a.local * (parts - 1)))
        m_partial = Buffer<double, Space>(std::size_t(3 * a.local * (parts - 1)));
      const auto kernel =
          single ? &half_list_forces<Evaluator, true> : &half_list_forces<Evaluator, false>;
      kernel(a.n, a.local, parts, a.box, m_coeff.data(), m_types, a.type, a.r, a.count, a.list,
             a.capacity, a.f, m_partial.data());
      reduce_and_kick(a.n, a.local, parts, m_partial.data(), a.f, kick, a.v);
    } else {
      const auto kernel = single ? &full_list_forces_and_kick<Evaluator, true>
                                 : &full_list_forces_and_kick<Evaluator, false>;
      kernel(a.n, a.box, m_coeff.data(), m_types, a.type, a.r, a.count, a.list, a.capacity, a.f,
             kick, a.v);
    }
  }

  bool m_morse;
  int m_types;
  Buffer<md::PairCoeff, Space> m_coeff;  // [types][types]
  Buffer<double, Space> m_partial;  // half lists: threads 1.. force arrays, [threads - 1][3][local]
};

// md::PeriodicField, an external force on each particle alone.
class PeriodicFieldForce final : public ForceCompute {
 public:
  PeriodicFieldForce(const md::PeriodicField& field, const md::Box& box)
      : m_params{field.axis, field.amplitude,
                 2.0 * M_PI * double(field.waves) / box.edge[std::size_t(field.axis)]} {}

  void set_forces_and_kick(const ForceArgs& a, double kick) override {
    fill(3 * a.local, 0.0, a.f.x);  // [3][local] in one allocation
    add_forces(a);
    if (kick != 0.0) md_detail::kick(a.n, kick, a.f, a.v);
  }

  void add_forces(const ForceArgs& a) override {
    add_field_forces(a.n, m_params, axis(a.r), axis(a.f));
  }

  void tally(const ForceArgs& a, double* energy, double* virial, bool first) override {
    if (first) {
      fill(a.n, 0.0, energy);
      fill(a.n, 0.0, virial);
    }
    tally_field(a.n, m_params, axis(a.r), energy);
  }

 private:
  double* axis(Vec3Ptr p) const {
    return m_params.axis == 0 ? p.x : m_params.axis == 1 ? p.y : p.z;
  }

  md::FieldParams m_params;
};

// What an integration method updates in one step (Space memory, unit masses). Made afresh for
// each call: a list build between the halves of a step swaps the arrays.
struct StepArgs {
  Index n;  // owned particles
  double dt;
  std::int64_t step;  // the step being taken, from step to step + 1
  const int* tag;     // global id of each particle
  Vec3Ptr r;
  Vec3Ptr v;
  Vec3Ptr f;
};

// How a step moves the particles (HOOMD-blue's integration method): an opening half before the
// forces at the new positions, a closing half after them. The closing half kick v += dt/2 f is
// the same for all three methods and is fused into the force pass, so close() does only what
// follows it.
class IntegrationMethod {
 public:
  virtual ~IntegrationMethod() = default;
  // Velocities and positions from t to t + dt, forces still those at t.
  virtual void open(const StepArgs& a) = 0;
  // After the forces at t + dt and the closing half kick.
  virtual void close(const StepArgs&) {}
  // The conserved quantity from the total energy (Thermo::conserved), added in the method's
  // own order so that it is reproduced bit for bit.
  virtual double conserved(double total) const { return total; }
};

// Velocity Verlet (NVE): half kick and drift, forces, half kick.
class VelocityVerlet final : public IntegrationMethod {
 public:
  void open(const StepArgs& a) override { kick_drift(a.n, 1.0, 0.5 * a.dt, a.dt, a.r, a.v, a.f); }
};

// Langevin BAOAB (md::Langevin): B A, then the exact O, then A; the closing B is the kick.
class LangevinBaoab final : public IntegrationMethod {
 public:
  explicit LangevinBaoab(const md::Langevin& l) : m_langevin(l) {}

  void open(const StepArgs& a) override {
    const md::Langevin& l = m_langevin;
    const double c1 = std::exp(-l.friction * a.dt);
    kick_drift(a.n, 1.0, 0.5 * a.dt, 0.5 * a.dt, a.r, a.v, a.f);
    thermalize_drift(a.n, c1, std::sqrt((1.0 - c1 * c1) * l.temperature),
                     core::Philox(l.seed, std::uint64_t(a.step)), 0.5 * a.dt, a.tag, a.r, a.v);
  }

 private:
  md::Langevin m_langevin;
};

// The Nose-Hoover chain's numbers (Space memory, so that its half steps run on the device with
// no wait): masses Q_k (epsilon tau^2), positions eta_k, velocities v_k (1/tau), k < m; the
// kinetic energy sum v^2 / 2 it carries between steps, the last sum of v^2, and the velocity
// scale of its last half step.
struct ChainPtr {
  const double* q;
  double* eta;
  double* v;
  double* kinetic;
  double* sum_v2;
  double* scale;
  int m;
  double kt;  // target temperature
  double nf;  // degrees of freedom, 3 N - 3
};

// The force on chain variable k, from twice the kinetic energy of the particles.
TWINSIM_HD inline double chain_force(const ChainPtr& c, int k, double twice_ke) {
  return k == 0 ? (twice_ke - c.nf * c.kt) / c.q[0]
                : (c.q[k - 1] * c.v[k - 1] * c.v[k - 1] - c.kt) / c.q[k];
}

// One chain half step (dt / 2) from the kinetic energy *kinetic (one Trotter cycle, no
// Suzuki-Yoshida): updates the chain, writes the factor the particle velocities are to be scaled
// by to *scale, and scales *kinetic with them.
TWINSIM_HD inline void chain_half_step(const ChainPtr& c, double dt) {
  const double h = 0.5 * dt;
  const int m = c.m;
  double* v = c.v;
  double twice_ke = 2.0 * *c.kinetic;
  // Chain velocities from the top down, each damped by the one above it.
  v[m - 1] += 0.5 * h * chain_force(c, m - 1, twice_ke);
  for (int k = m - 2; k >= 0; --k) {
    const double damp = exp(-0.25 * h * v[k + 1]);
    v[k] = (v[k] * damp + 0.5 * h * chain_force(c, k, twice_ke)) * damp;
  }
  const double scale = exp(-h * v[0]);
  twice_ke *= scale * scale;
  for (int k = 0; k < m; ++k) c.eta[k] += h * v[k];
  // And back up with the scaled kinetic energy.
  for (int k = 0; k + 1 < m; ++k) {
    const double damp = exp(-0.25 * h * v[k + 1]);
    v[k] = (v[k] * damp + 0.5 * h * chain_force(c, k, twice_ke)) * damp;
  }
  v[m - 1] += 0.5 * h * chain_force(c, m - 1, twice_ke);
  *c.kinetic = 0.5 * twice_ke;
  *c.scale = scale;
}

// The chain's half step as a one-thread kernel; with `measured`, from the kinetic energy of
// the last sum of v^2 (the closing half), else from the one the chain carries.
void chain_step(ChainPtr c, double dt, bool measured) {
  for_each_index(1, [=] TWINSIM_HD(Index) {
    if (measured) *c.kinetic = 0.5 * *c.sum_v2;
    chain_half_step(c, dt);
  });
}

// v = *scale v + kick f, r += drift v: kick_drift with the scale in Space memory.
void scaled_kick_drift(Index n, const double* scale, double kick, double drift, Vec3Ptr r,
                       Vec3Ptr v, Vec3Ptr f) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const double s = *scale;
    v.x[i] = s * v.x[i] + kick * f.x[i];
    v.y[i] = s * v.y[i] + kick * f.y[i];
    v.z[i] = s * v.z[i] + kick * f.z[i];
    r.x[i] += drift * v.x[i];
    r.y[i] += drift * v.y[i];
    r.z[i] += drift * v.z[i];
  });
}

void scale_velocities(Index n, const double* scale, Vec3Ptr v) {
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const double s = *scale;
    v.x[i] *= s;
    v.y[i] *= s;
    v.z[i] *= s;
  });
}

// Nose-Hoover chain (md::NoseHooverChain): a chain half step, velocity Verlet, a chain half step
// (Martyna, Tuckerman, Tobias & Klein 1996). The chain lives in Space memory (3 M + 3 numbers)
// and its half steps are one-thread kernels, so a step waits for nothing: the kinetic energy is
// reduced on the device (reduce_into) and the velocity scaling read there. The kinetic energy it
// carries between steps is checkpointed with the engine. Across MPI ranks every rank steps its
// own copy of the chain from the global kinetic energy (one all-reduce, a wait, per step), so the
// copies stay equal.
class NoseHooverMethod final : public IntegrationMethod {
 public:
  // n: the atoms of the whole system; comm: null on one rank.
  NoseHooverMethod(const md::NoseHooverChain& c, Index n, core::Comm* comm)
      : m_chain(c), m_n(n), m_comm(comm) {
    // Masses of the chain (Martyna et al. 1992): Q_1 = N_f T tdamp^2, Q_k = T tdamp^2.
    const std::size_t m = std::size_t(c.chain);
    std::vector<double> values(3 * m + 3, 0.0);
    for (std::size_t k = 0; k < m; ++k) values[k] = c.temperature * c.tdamp * c.tdamp;
    values[0] *= double(3 * m_n - 3);
    m_numbers = Buffer<double, Space>::from_host(values);
  }

  void open(const StepArgs& a) override {
    chain_step(ptr(), a.dt, false);
    scaled_kick_drift(a.n, ptr().scale, 0.5 * a.dt, a.dt, a.r, a.v, a.f);
  }

  void close(const StepArgs& a) override {
    const ChainPtr c = ptr();
    sum_squares_into(a.n, a.v, c.sum_v2);
    if (m_comm) {
      std::vector<double> h = core::to_host(m_numbers);
      double& sum_v2 = h[3 * std::size_t(m_chain.chain) + 1];
      sum_v2 = m_comm->sum(sum_v2);
      core::copy(m_numbers, h);
    }
    chain_step(c, a.dt, true);
    scale_velocities(a.n, c.scale, a.v);
  }

  // Extended energy: sum Q_k v_k^2 / 2 + N_f T eta_1 + T sum_{k>1} eta_k (reads the chain: a wait,
  // at thermo rows only).
  double conserved(double total) const override {
    const std::vector<double> h = core::to_host(m_numbers);
    const std::size_t m = std::size_t(m_chain.chain);
    const double nf = double(3 * m_n - 3);
    for (std::size_t k = 0; k < m; ++k)
      total += 0.5 * h[k] * h[2 * m + k] * h[2 * m + k] +
               (k == 0 ? nf : 1.0) * m_chain.temperature * h[m + k];
    return total;
  }

  // The chain's positions eta_k, velocities v_k and carried kinetic energy, to and from the host.
  struct HostState {
    std::vector<double> position, velocity;
    double kinetic;
  };
  HostState host_state() const {
    const std::vector<double> h = core::to_host(m_numbers);
    const std::size_t m = std::size_t(m_chain.chain);
    return {{h.begin() + m, h.begin() + 2 * m}, {h.begin() + 2 * m, h.begin() + 3 * m}, h[3 * m]};
  }
  void set_host_state(const std::vector<double>& position, const std::vector<double>& velocity,
                      double kinetic) {
    std::vector<double> h = core::to_host(m_numbers);
    const std::size_t m = std::size_t(m_chain.chain);
    std::copy(position.begin(), position.end(), h.begin() + m);
    std::copy(velocity.begin(), velocity.end(), h.begin() + 2 * m);
    h[3 * m] = kinetic;
    core::copy(m_numbers, h);
  }
  std::size_t length() const { return std::size_t(m_chain.chain); }

 private:
  ChainPtr ptr() const {
    const int m = m_chain.chain;
    double* p = const_cast<double*>(m_numbers.data());
    return {p,         p + m,         p + 2 * m, p + 3 * m, p + 3 * m + 1, p + 3 * m + 2, m,
            m_chain.temperature, double(3 * m_n - 3)};
  }

  md::NoseHooverChain m_chain;
  Index m_n;
  core::Comm* m_comm;
  Buffer<double, Space> m_numbers;  // [Q_k][eta_k][v_k] (k < M), kinetic, sum v^2, scale
};

class SimulationImpl final : public md::Simulation {
 public:
  // comm: the ranks the box is split across (null or one rank: the whole box here).
  SimulationImpl(const md::MdSettings& s, const md::HostParticles& initial, core::Comm* comm)
      : m_settings(s),
        m_domain(domain_of(s, comm)),
        m_mine(owned_at_start(initial, s.box, m_domain)),
        m_total(Index(initial.size())),
        m_n(Index(m_mine.size())),
        m_local(m_n),
        m_r(m_n),
        m_v(m_n),
        m_f(m_n),
        m_r0(m_n),
        m_energy(m_n),
        m_virial(m_n),
        m_cell_key(m_n),
        m_cell_order(m_n),
        m_tag(m_n),
        m_tag_scratch(m_n),
        m_scratch(m_n),
        m_image(m_n),
        m_image_scratch(m_n),
        m_count(m_n),
        m_moved(std::size_t(s.check_every)) {
    const md::PairTable table = md::pair_table(s);
    m_types = table.types;
    m_radius = table.max_cutoff + s.skin;
    for (int a = 0; a < 3; ++a) {
      m_box.edge[a] = s.box.edge[a];
      m_box.half[a] = 0.5 * s.box.edge[a];
      m_box.inv[a] = 1.0 / s.box.edge[a];
      m_grid.cells[a] = std::max(1, int(s.box.edge[a] * md::k_cell_reach / m_radius));
      m_grid.inv_width[a] = m_grid.cells[a] / s.box.edge[a];
    }
    // Owned cells, then the ghosts' cells (none on one rank).
    const Index cells = Index(m_grid.cells[0]) * m_grid.cells[1] * m_grid.cells[2];
    m_cell_start = Buffer<int, Space>(2 * std::size_t(cells) + 1);
    m_forces.push_back(std::make_unique<PairForce>(s, table));
    if (s.field) m_forces.push_back(std::make_unique<PeriodicFieldForce>(*s.field, s.box));
    const std::vector<int> types =
        initial.type.empty() ? std::vector<int>(std::size_t(m_total), 0) : initial.type;
    m_type = Buffer<int, Space>::from_host(mine(types, 1));
    const double density = double(m_total) / s.box.volume();
    if (s.lj.tail) {
      std::vector<double> counts(std::size_t(m_types), 0.0);
      for (int t : types) counts[std::size_t(t)] += 1.0;
      const md::detail::TailTotals tail =
          md::detail::lj_tail_totals(table, counts, s.box.volume(), s.lj.cutoff);
      m_tail_energy = tail.energy;
      m_tail_pressure = tail.pressure;
    }
    // Room for the neighbors expected in a sphere of cutoff + skin, plus headroom for
    const double radius = m_radius;
    // fluctuations (half of it in half lists); build_lists() grows it when a particle has more.
    const double sphere = 4.0 / 3.0 * M_PI * radius * radius * radius * density;
    m_capacity = int(1.5 * (k_half_lists ? 0.5 : 1.0) * sphere) + 16;
    m_r.assign(mine(initial.position, 3));
    m_v.assign(mine(initial.velocity, 3));
    m_tag = Buffer<int, Space>::from_host(m_mine);
    if (m_domain && k_backend == core::Backend::Gpu)
      m_staging = std::make_unique<core::DeviceStaging>(m_domain->comm());
    if (s.langevin) {
      m_method = std::make_unique<LangevinBaoab>(*s.langevin);
    } else if (s.nose_hoover) {
      auto chain = std::make_unique<NoseHooverMethod>(*s.nose_hoover, m_total,
                                                      m_domain ? &m_domain->comm() : nullptr);
      m_chain = chain.get();
      m_method = std::move(chain);
    } else {
      m_method = std::make_unique<VelocityVerlet>();
    }
    build_lists();
    compute_forces(0.0);
    tally();
    m_kinetic = global_sum(0.5 * sum_squares(m_n, m_v.ptr()));
    if (m_chain) m_chain->set_host_state(std::vector<double>(m_chain->length(), 0.0),
                                         std::vector<double>(m_chain->length(), 0.0), m_kinetic);
    // Overlapping particles push each other apart with forces that no time step integrates.
    double f2 = max_force2(m_n, m_f.ptr());
    if (m_domain) f2 = m_domain->comm().max(f2);
    if (!(f2 <= s.overlap_force * s.overlap_force)) {
      throw md::detail::overlap_fault(particles(), s.overlap_force);
    }
  }

  void run(std::int64_t steps) override {
    const double dt = m_settings.dt;
    const double half_skin = 0.5 * m_settings.skin;
    // With a check every step a particle has moved at most skin / 2 plus one step's drift
    // since the last build; one step's drift beyond 1 sigma means the dynamics blew up.
    const double blow_up = half_skin + 1.0;
    const int every = m_settings.rebuild_every;
    const std::int64_t window = m_settings.check_every;
    for (std::int64_t s = 0; s < steps; ++s) {
      m_method->open(step_args());
      if (every == 0) {
        // This step's check into its slot of the window; the window's last step reads them all.
        const std::int64_t slot = m_step % window;
        check_displacements(m_n, m_r.ptr(), m_r0.ptr(), m_v.ptr(), double(window - 1) * dt,
                            m_moved.data() + slot);
        if (slot == window - 1) read_displacement_checks(half_skin, blow_up);
      } else if ((m_step + 1) % every == 0) {
        const double moved2 = global_max(max_displacement2(m_n, m_r.ptr(), m_r0.ptr()));
        if (!(moved2 <= 1e300)) throw displacement_fault(m_step + 1);
        if (moved2 > half_skin * half_skin) ++m_dangerous;
        build_lists();
      }
      exchange_ghost_positions();
      compute_forces(0.5 * dt);
      m_tally_stale = true;
      m_method->close(step_args());
      ++m_step;
    }
    synchronize();
  }

  md::Thermo thermo() override {
    md::Thermo t;
    t.step = m_step;
    t.time = double(m_step) * m_settings.dt;
    t.atoms = m_total;
    if (m_tally_stale) tally();
    // This rank's sums, then (across ranks) the whole system's in one all-reduce.
    const Vec3Ptr v = m_v.ptr();
    double sums[] = {0.5 * sum_squares(m_n, m_v.ptr()), sum(m_n, m_energy.data()),
                     sum(m_n, m_virial.data()), sum(m_n, v.x), sum(m_n, v.y), sum(m_n, v.z)};
    if (m_domain) m_domain->comm().allreduce(sums, 6, core::Reduce::sum);
    t.kinetic = sums[0];
    t.potential = sums[1] + m_tail_energy;
    t.total = t.kinetic + t.potential;
    t.conserved = m_method->conserved(t.total);
    t.temperature = 2.0 * t.kinetic / double(3 * m_total - 3);
    t.pressure = (2.0 * t.kinetic + sums[2]) / (3.0 * m_settings.box.volume()) + m_tail_pressure;
    t.momentum = {sums[3], sums[4], sums[5]};
    return t;
  }

  md::HostParticles particles() override {
    if (m_domain) return particles_across_ranks();
    const std::vector<int> tag = core::to_host(m_tag);
    const std::vector<int> image = m_image.interleaved();
    std::vector<int> image_by_tag(image.size());
    for (std::size_t i = 0; i < tag.size(); ++i)
      for (int c = 0; c < 3; ++c) image_by_tag[3 * std::size_t(tag[i]) + c] = image[3 * i + c];
    const std::vector<int> type = core::to_host(m_type);
    std::vector<int> type_by_tag(type.size());
    for (std::size_t i = 0; i < tag.size(); ++i) type_by_tag[std::size_t(tag[i])] = type[i];
    return {by_tag(tag, m_r.interleaved()), by_tag(tag, m_v.interleaved()),
            by_tag(tag, m_f.interleaved()), std::move(image_by_tag), std::move(type_by_tag)};
  }

  md::NeighborSnapshot neighbors() override {
    if (m_domain) throw core::Error("MD neighbors(): a check of one rank's whole list only");
    md::NeighborSnapshot s;
    s.radius = m_radius;
    const std::vector<int> tag = core::to_host(m_tag);
    s.build_position = by_tag(tag, m_r0.interleaved());
    const std::vector<int> count = core::to_host(m_count);
    const std::vector<int> list = core::to_host(m_list);
    s.neighbors.resize(std::size_t(m_n));
    for (Index i = 0; i < m_n; ++i)
      for (int k = 0; k < count[i]; ++k) {
        const int j = list[list_slot(i, k, m_n, m_capacity)];
        s.neighbors[tag[i]].push_back(tag[j]);
        if (k_half_lists) s.neighbors[tag[j]].push_back(tag[i]);
      }
    return s;
  }

  std::int64_t step() const override { return m_step; }
  std::int64_t neighbor_builds() const override { return m_builds; }
  std::int64_t dangerous_builds() const override { return m_dangerous; }
  const md::MdSettings& settings() const override { return m_settings; }
  std::int64_t ghost_atoms() override {
    std::int64_t ghosts = m_local - m_n;
    if (m_domain) m_domain->comm().allreduce(&ghosts, 1, core::Reduce::sum);
    return ghosts;
  }

  bool non_finite() override {
    return !(non_finite_marker(m_n, m_r.ptr(), m_v.ptr(), m_f.ptr()) == 0.0);
  }

  md::SimulationState state() override {
    md::SimulationState s;
    s.step = m_step;
    s.builds = m_builds;
    s.dangerous_builds = m_dangerous;
    s.list_capacity = m_capacity;
    s.kinetic = m_chain ? m_chain->host_state().kinetic : m_kinetic;
    s.unread_displacement2 = unread_displacement2();
    s.position = owned(core::to_host(m_r.buffer()), 3);
    s.velocity = owned(core::to_host(m_v.buffer()), 3);
    s.force = owned(core::to_host(m_f.buffer()), 3);
    s.build_position = owned(core::to_host(m_r0.buffer()), 3);
    s.image = owned(core::to_host(m_image.buffer()), 3);
    s.tag = owned(core::to_host(m_tag), 1);
    s.type = owned(core::to_host(m_type), 1);
    if (m_chain) {
      NoseHooverMethod::HostState chain = m_chain->host_state();
      s.chain_position = std::move(chain.position);
      s.chain_velocity = std::move(chain.velocity);
    }
    return s;
  }

  void restore(const md::SimulationState& s) override {
    // Across ranks each rank restores the atoms it owned (any count); on one rank, all.
    const std::size_t n = m_domain ? s.tag.size() : std::size_t(m_n);
    const std::size_t n3 = 3 * n;
    const std::size_t chain = m_chain ? m_chain->length() : 0;
    if (s.position.size() != n3 || s.velocity.size() != n3 || s.force.size() != n3 ||
        s.build_position.size() != n3 || s.image.size() != n3 || s.tag.size() != n ||
        s.type.size() != n || s.chain_position.size() != chain ||
        s.chain_velocity.size() != chain || s.list_capacity < 1)
      throw core::Error(
          "MD restore: the saved state does not fit this simulation (another particle count "
          "or thermostat)");
    if (m_domain) {
      restore_across_ranks(s);
    } else {
      m_r.buffer() = Buffer<double, Space>::from_host(s.position);
      m_v.buffer() = Buffer<double, Space>::from_host(s.velocity);
      m_f.buffer() = Buffer<double, Space>::from_host(s.force);
      m_r0.buffer() = Buffer<double, Space>::from_host(s.build_position);
      m_image.buffer() = Buffer<int, Space>::from_host(s.image);
      m_tag = Buffer<int, Space>::from_host(s.tag);
      m_type = Buffer<int, Space>::from_host(s.type);
    }
    if (m_chain) m_chain->set_host_state(s.chain_position, s.chain_velocity, s.kinetic);
    m_step = s.step;
    m_builds = s.builds;
    m_dangerous = s.dangerous_builds;
    m_capacity = int(s.list_capacity);
    m_kinetic = s.kinetic;
    m_unread = s.unread_displacement2;
    // The window's slots before the checkpoint are in m_unread; their own are zero.
    m_moved = Buffer<Moved, Space>::from_host(std::vector<Moved>(m_moved.size(), Moved{0, 0}));
    m_tally_stale = true;
    if (m_domain) {
      build_verlet_lists_at_build_positions();
      exchange_ghost_positions();
      return;
    }
    // The particles are in the cell order of the last build: their keys come out sorted.
    assign_cells(m_n, m_grid, m_r0.ptr(), m_cell_key.data(), m_cell_order.data());
    build_verlet_lists_at_build_positions();
  }

  void restore_redistributed(const md::SimulationState& all) override {
    const std::size_t total = all.tag.size();
    if (all.build_position.size() != 3 * total)
      throw core::Error("MD restore: the saved atoms' arrays differ in length");
    // This rank's atoms (by their wrapped build position, as a list build deals them out), in
    // cell order of that position.
    std::vector<std::size_t> keep;
    std::vector<int> key;
    for (std::size_t i = 0; i < total; ++i) {
      const double r0[3] = {all.build_position[i], all.build_position[total + i],
                            all.build_position[2 * total + i]};
      if (m_domain && !m_domain->owns(r0)) continue;
      keep.push_back(i);
      key.push_back(cell_of(r0));
    }
    std::vector<std::size_t> order(keep.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
    md::SimulationState s = all;
    const std::size_t n = keep.size();
    const auto rows = [&](const auto& from, auto& to) {
      to.assign(3 * n, {});
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t a = 0; a < 3; ++a) to[a * n + k] = from[a * total + keep[order[k]]];
    };
    rows(all.position, s.position);
    rows(all.velocity, s.velocity);
    rows(all.force, s.force);
    rows(all.build_position, s.build_position);
    rows(all.image, s.image);
    for (std::size_t k = 0; k < n; ++k) {
      s.tag[k] = all.tag[keep[order[k]]];
      s.type[k] = all.type[keep[order[k]]];
    }
    s.tag.resize(n);
    s.type.resize(n);
    restore(s);
  }

 private:
  // [N][3] values in storage order -> [N][3] in the caller's particle order.
  static std::vector<double> by_tag(const std::vector<int>& tag, const std::vector<double>& a) {
    std::vector<double> out(a.size());
    for (std::size_t i = 0; i < tag.size(); ++i)
      for (int c = 0; c < 3; ++c) out[3 * std::size_t(tag[i]) + c] = a[3 * i + c];
    return out;
  }

  // --- Across MPI ranks (m_domain): the box cut into bricks, LAMMPS' ghost atoms (Domain.hpp).

  static std::optional<md::detail::Domain> domain_of(const md::MdSettings& s, core::Comm* comm) {
    if (!comm || comm->size() == 1) return std::nullopt;
    return md::detail::Domain(*comm, s.box, md::pair_table(s).max_cutoff + s.skin, s.processors);
  }

  // The global ids of the atoms whose wrapped position lies in this rank's brick (all on one).
  static std::vector<int> owned_at_start(const md::HostParticles& p, const md::Box& box,
                                         const std::optional<md::detail::Domain>& domain) {
    const BoxParams b{{box.edge[0], box.edge[1], box.edge[2]}, {}, {}};
    std::vector<int> ids;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double r[3] = {md::wrap(p.position[3 * i], b, 0), md::wrap(p.position[3 * i + 1], b, 1),
                           md::wrap(p.position[3 * i + 2], b, 2)};
      if (!domain || domain->owns(r)) ids.push_back(int(i));
    }
    return ids;
  }

  // The rows [k][width] of the atoms this rank owns at the start, in m_mine's order.
  template <class T>
  std::vector<T> mine(const std::vector<T>& all, std::size_t width) const {
    std::vector<T> out;
    out.reserve(m_mine.size() * width);
    for (int i : m_mine)
      for (std::size_t c = 0; c < width; ++c) out.push_back(all[std::size_t(i) * width + c]);
    return out;
  }

  // The owned part, [width][n], of a host copy of a [width][local] array.
  template <class T>
  std::vector<T> owned(const std::vector<T>& all, std::size_t width) const {
    if (m_local == m_n) return all;
    std::vector<T> out;
    for (std::size_t c = 0; c < width; ++c)
      out.insert(out.end(), all.begin() + c * m_local, all.begin() + c * m_local + m_n);
    return out;
  }

  double global_sum(double v) { return m_domain ? m_domain->comm().sum(v) : v; }
  double global_max(double v) { return m_domain ? m_domain->comm().max(v) : v; }

  // The ghosts' positions now, from their owners: pack, one message per neighbour and
  // direction, unpack (a wait: the messages are host calls). Nothing on one rank.
  void exchange_ghost_positions() {
    if (!m_domain) return;
    pack_positions(Index(m_send_index.size()), m_send_index.data(), m_r.ptr(), m_send.data());
    if constexpr (k_backend == core::Backend::Gpu) synchronize();
    for (const md::detail::HaloExchange& e : m_exchanges) {
      const double* out = m_send.data() + 3 * e.send_at;
      double* in = m_recv.data() + 3 * e.recv_at;
      const std::size_t out_bytes = 3 * e.count * sizeof(double);
      const std::size_t in_bytes = 3 * e.received * sizeof(double);
      if constexpr (k_backend == core::Backend::Gpu)
        m_staging->exchange(out, out_bytes, e.to, in, in_bytes, e.from);
      else
        m_domain->comm().exchange(out, out_bytes, e.to, in, in_bytes, e.from);
    }
    unpack_positions(m_local - m_n, m_n, m_ghost_source.data(), m_recv.data(), m_r.ptr());
  }

  // The owned atoms as host records (positions as they are now).
  std::vector<md::detail::Atom> owned_atoms() {
    const std::vector<double> r = owned(core::to_host(m_r.buffer()), 3);
    const std::vector<double> v = owned(core::to_host(m_v.buffer()), 3);
    const std::vector<int> image = owned(core::to_host(m_image.buffer()), 3);
    const std::vector<int> tag = owned(core::to_host(m_tag), 1);
    const std::vector<int> type = owned(core::to_host(m_type), 1);
    const std::size_t n = tag.size();
    std::vector<md::detail::Atom> atoms(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t a = 0; a < 3; ++a) {
        atoms[i].r[a] = r[a * n + i];
        atoms[i].v[a] = v[a * n + i];
        atoms[i].image[a] = image[a * n + i];
      }
      atoms[i].tag = tag[i];
      atoms[i].type = type[i];
    }
    return atoms;
  }

  int cell_of(const double* wrapped) const {
    return md::cell_index(md::cell_coordinate(wrapped[0], m_grid, 0),
                          md::cell_coordinate(wrapped[1], m_grid, 1),
                          md::cell_coordinate(wrapped[2], m_grid, 2), m_grid);
  }

  // A list build across ranks (positions just wrapped): the atoms that left the slab go to
  // their new owners, the owned atoms are sorted into cell order, the ghosts arrive, and the
  // Verlet lists are built. Host work, once per build; the steps between use the device only
  // (and the halo messages).
  void build_lists_across_ranks() {
    std::vector<md::detail::Atom> atoms = m_domain->migrate(owned_atoms());
    std::vector<int> key(atoms.size());
    for (std::size_t i = 0; i < atoms.size(); ++i) key[i] = cell_of(atoms[i].r);
    std::vector<std::size_t> order(atoms.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
    std::vector<md::detail::Atom> sorted(atoms.size());
    for (std::size_t k = 0; k < order.size(); ++k) sorted[k] = atoms[order[k]];
    std::vector<double> r0(3 * sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i)
      for (int a = 0; a < 3; ++a) r0[3 * i + a] = sorted[i].r[a];
    place(sorted, r0, {});
    build_verlet_lists_at_build_positions();
    ++m_builds;
  }

  // A checkpoint's owned atoms back, with the ghosts of the build they were taken after.
  void restore_across_ranks(const md::SimulationState& s) {
    const std::size_t n = s.tag.size();
    std::vector<md::detail::Atom> atoms(n);
    std::vector<double> r0(3 * n), force(3 * n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t a = 0; a < 3; ++a) {
        atoms[i].r[a] = s.position[a * n + i];
        atoms[i].v[a] = s.velocity[a * n + i];
        atoms[i].image[a] = s.image[a * n + i];
        r0[3 * i + a] = s.build_position[a * n + i];
        force[3 * i + a] = s.force[a * n + i];
      }
      atoms[i].tag = s.tag[i];
      atoms[i].type = s.type[i];
    }
    place(atoms, r0, force);
  }

  // Makes the engine's arrays hold `atoms` (owned, in cell order of their build positions r0,
  // [n][3]; forces [n][3] or empty: zero), then the ghosts their build positions call for,
  // in cell order after them (cell keys offset by the cell count). Ghost positions are those
  // of the build until exchange_ghost_positions(); their velocities are never used.
  void place(const std::vector<md::detail::Atom>& atoms, const std::vector<double>& r0,
             const std::vector<double>& force) {
    const std::size_t n = atoms.size();
    std::vector<md::detail::Atom> at_build = atoms;
    for (std::size_t i = 0; i < n; ++i)
      for (int a = 0; a < 3; ++a) at_build[i].r[a] = r0[3 * i + a];
    md::detail::GhostPlan plan = m_domain->plan_ghosts(at_build);
    const std::size_t g = plan.ghosts.size(), local = n + g;
    const int cells = m_grid.cells[0] * m_grid.cells[1] * m_grid.cells[2];
    std::vector<int> ghost_key(g);
    for (std::size_t k = 0; k < g; ++k) ghost_key[k] = cells + cell_of(plan.ghosts[k].r);
    std::vector<int> source(g);
    for (std::size_t k = 0; k < g; ++k) source[k] = int(k);
    std::stable_sort(source.begin(), source.end(),
                     [&](int a, int b) { return ghost_key[std::size_t(a)] < ghost_key[std::size_t(b)]; });
    std::vector<double> r(3 * local), rb(3 * local), v(3 * local, 0.0), f(3 * local, 0.0);
    std::vector<int> image(3 * local, 0), tag(local), type(local), key(local);
    for (std::size_t i = 0; i < local; ++i) {
      const md::detail::Atom& atom =
          i < n ? atoms[i] : plan.ghosts[std::size_t(source[i - n])];
      for (std::size_t a = 0; a < 3; ++a) {
        r[a * local + i] = atom.r[a];
        rb[a * local + i] = i < n ? r0[3 * i + a] : atom.r[a];
        if (i < n) {
          v[a * local + i] = atom.v[a];
          image[a * local + i] = atom.image[a];
          if (!force.empty()) f[a * local + i] = force[3 * i + a];
        }
      }
      tag[i] = atom.tag;
      type[i] = atom.type;
      key[i] = i < n ? cell_of(&r0[3 * i]) : ghost_key[std::size_t(source[i - n])];
    }
    m_n = Index(n);
    m_local = Index(local);
    m_r.assign_soa(r);
    m_r0.assign_soa(rb);
    m_v.assign_soa(v);
    m_f.assign_soa(f);
    m_scratch = Vec3Buffer(local);
    m_image.assign_soa(image);
    m_image_scratch = Int3Buffer(local);
    m_tag = Buffer<int, Space>::from_host(tag);
    m_tag_scratch = Buffer<int, Space>(local);
    m_type = Buffer<int, Space>::from_host(type);
    m_cell_key = Buffer<int, Space>::from_host(key);
    m_cell_order = Buffer<int, Space>(local);
    m_energy = Buffer<double, Space>(n);
    m_virial = Buffer<double, Space>(n);
    m_count = Buffer<int, Space>(n);
    m_exchanges = plan.exchanges;
    m_send_index = Buffer<int, Space>::from_host(plan.send);
    m_ghost_source = Buffer<int, Space>::from_host(source);
    m_send = Buffer<double, Space>(3 * plan.send.size());
    m_recv = Buffer<double, Space>(3 * g);
    m_tally_stale = true;
  }

  // Every rank's owned atoms in global id order, on every rank (gathered to rank 0, which
  // writes the outputs, and passed on: the RDF, MSD and fault reports run on every rank alike).
  md::HostParticles particles_across_ranks() {
    struct Row {
      double r[3], v[3], f[3];
      int image[3], tag, type;
    };
    const std::vector<md::detail::Atom> atoms = owned_atoms();
    const std::vector<double> f = owned(core::to_host(m_f.buffer()), 3);
    std::vector<Row> rows(atoms.size());
    for (std::size_t i = 0; i < atoms.size(); ++i) {
      for (std::size_t a = 0; a < 3; ++a) {
        rows[i].r[a] = atoms[i].r[a];
        rows[i].v[a] = atoms[i].v[a];
        rows[i].f[a] = f[a * atoms.size() + i];
        rows[i].image[a] = atoms[i].image[a];
      }
      rows[i].tag = atoms[i].tag;
      rows[i].type = atoms[i].type;
    }
    core::Comm& comm = m_domain->comm();
    std::vector<Row> all;
    for (const std::vector<Row>& part : comm.gather(rows, 0))
      all.insert(all.end(), part.begin(), part.end());
    comm.broadcast(all, 0);
    md::HostParticles p;
    const std::size_t total = std::size_t(m_total);
    p.position.resize(3 * total);
    p.velocity.resize(3 * total);
    p.force.resize(3 * total);
    p.image.resize(3 * total);
    p.type.resize(total);
    for (const Row& row : all) {
      const std::size_t t = std::size_t(row.tag);
      for (std::size_t a = 0; a < 3; ++a) {
        p.position[3 * t + a] = row.r[a];
        p.velocity[3 * t + a] = row.v[a];
        p.force[3 * t + a] = row.f[a];
        p.image[3 * t + a] = row.image[a];
      }
      p.type[t] = row.type;
    }
    return p;
  }

  // The window's displacement checks (one wait): a fault at the first step beyond `blow_up`;
  // a rebuild when a particle is beyond skin / 2 now or would be before the next read, counted
  // as dangerous when one was beyond it at an earlier step of the window. m_unread (from a
  // checkpoint taken inside the window) stands for the window's steps before the restart.
  void read_displacement_checks(double half_skin, double blow_up) {
    std::vector<Moved> moved = core::to_host(m_moved);
    if (m_domain) {  // every rank decides on the whole system's largest: one all-reduce
      std::vector<double> most(2 * moved.size() + 1);
      for (std::size_t k = 0; k < moved.size(); ++k)
        most[2 * k] = moved[k].now, most[2 * k + 1] = moved[k].ahead;
      most.back() = m_unread;
      m_domain->comm().allreduce(most.data(), most.size(), core::Reduce::max);
      for (std::size_t k = 0; k < moved.size(); ++k) moved[k] = {most[2 * k], most[2 * k + 1]};
      m_unread = most.back();
    }
    const std::int64_t first = m_step + 2 - std::int64_t(moved.size());  // step after slot 0
    double earlier = m_unread;
    m_unread = 0;
    for (std::size_t k = 0; k < moved.size(); ++k) {
      if (!(moved[k].now <= blow_up * blow_up)) throw displacement_fault(first + std::int64_t(k));
      if (k + 1 < moved.size()) earlier = std::max(earlier, moved[k].now);
    }
    const double h2 = half_skin * half_skin;
    if (earlier > h2) ++m_dangerous;
    if (earlier > h2 || moved.back().now > h2 || moved.back().ahead > h2) build_lists();
  }

  // The largest displacement the checks of the present window found so far (a checkpoint
  // inside a window keeps it for the read at the window's end).
  double unread_displacement2() {
    const std::int64_t taken = m_step % std::int64_t(m_moved.size());
    if (m_settings.rebuild_every != 0 || taken == 0) return 0.0;
    const std::vector<Moved> moved = core::to_host(m_moved);
    double most = m_unread;
    for (std::int64_t k = 0; k < taken; ++k) most = std::max(most, moved[std::size_t(k)].now);
    return most;
  }

  // The particle that moved farthest since the last build (or first non-finite one), for a
  // fault at `step`.
  md::Fault displacement_fault(std::int64_t step) {
    const std::vector<int> tag = core::to_host(m_tag);
    const std::vector<double> r = m_r.interleaved(), r0 = m_r0.interleaved();
    std::size_t worst = 0;
    double most = -1;
    for (std::size_t i = 0; i < std::size_t(m_n); ++i) {
      double d2 = 0;
      for (int a = 0; a < 3; ++a)
        d2 += (r[3 * i + a] - r0[3 * i + a]) * (r[3 * i + a] - r0[3 * i + a]);
      if (!std::isfinite(d2)) d2 = HUGE_VAL;
      if (d2 > most) most = d2, worst = i;
      if (std::isinf(d2)) break;
    }
    return md::detail::blow_up_fault(step, tag[worst], most, m_settings.dt);
  }

  // Wraps positions, sorts the particles into cell order (positions, velocities, image counts
  // and tags; forces are recomputed after every build) and builds the Verlet lists.
  void build_lists() {
    wrap_positions(m_n, m_box, m_r.ptr(), m_image.ptr());
    if (m_domain) return build_lists_across_ranks();
    assign_cells(m_n, m_grid, m_r.ptr(), m_cell_key.data(), m_cell_order.data());
    sort_by_key(m_cell_key.data(), m_cell_order.data(), m_n);
    gather(m_n, m_cell_order.data(), m_r.ptr(), m_scratch.ptr());
    std::swap(m_r, m_scratch);
    gather(m_n, m_cell_order.data(), m_v.ptr(), m_scratch.ptr());
    std::swap(m_v, m_scratch);
    gather(m_n, m_cell_order.data(), m_tag.data(), m_tag_scratch.data());
    std::swap(m_tag, m_tag_scratch);
    if (m_types > 1) {
      gather(m_n, m_cell_order.data(), m_type.data(), m_tag_scratch.data());
      std::swap(m_type, m_tag_scratch);
    }
    gather(m_n, m_cell_order.data(), m_image.ptr(), m_image_scratch.ptr());
    std::swap(m_image, m_image_scratch);
    core::copy(m_r0.buffer(), m_r.buffer());
    build_verlet_lists_at_build_positions();
    ++m_builds;
  }

  // Cell starts from the sorted cell keys, then the Verlet lists at the build positions m_r0,
  // growing the lists until every particle's neighbors fit.
  void build_verlet_lists_at_build_positions() {
    const Index cells = Index(m_cell_start.size()) - 1;
    find_cell_starts(cells, m_local, m_cell_key.data(), m_cell_start.data());
    const double radius = m_radius;
    const Vec3Ptr r = m_r0.ptr();
    for (;;) {
      if (m_list.size() != std::size_t(m_n) * m_capacity)
        m_list = Buffer<int, Space>(std::size_t(m_n) * m_capacity);
      const auto build = m_local > m_n ? &build_verlet_lists<k_half_lists, true>
                                       : &build_verlet_lists<k_half_lists, false>;
      build(m_n, m_box, m_grid, radius * radius, r.x, r.y, r.z, m_cell_start.data(), m_capacity,
            m_count.data(), m_list.data());
      const int most = max_count(m_n, m_count.data());
      if (most <= m_capacity) break;
      m_capacity = most + most / 4;
    }
  }

  // The force computes' views of the engine's arrays as they are now.
  ForceArgs force_args() {
    return {m_n,         m_local,       m_box,          m_r.ptr(),     m_f.ptr(),
            m_v.ptr(),   m_type.data(), m_count.data(), m_list.data(), m_capacity};
  }

  StepArgs step_args() {
    return {m_n, m_settings.dt, m_step, m_tag.data(), m_r.ptr(), m_v.ptr(), m_f.ptr()};
  }

  // Forces at the current positions, then v += kick f. The pair force alone (the usual case)
  // fuses the kick into its pass; with more computes the pair forces are set, the others add
  // theirs, and the kick is a pass of its own.
  void compute_forces(double kick) {
    const ForceArgs a = force_args();
    if (m_forces.size() == 1) {
      m_forces[0]->set_forces_and_kick(a, kick);
      return;
    }
    m_forces[0]->set_forces_and_kick(a, 0.0);
    for (std::size_t k = 1; k < m_forces.size(); ++k) m_forces[k]->add_forces(a);
    if (kick != 0.0) md_detail::kick(m_n, kick, a.f, a.v);
  }

  // Per-atom energies and virials at the current positions (forces untouched).
  void tally() {
    const ForceArgs a = force_args();
    for (std::size_t k = 0; k < m_forces.size(); ++k)
      m_forces[k]->tally(a, m_energy.data(), m_virial.data(), k == 0);
    m_tally_stale = false;
  }

  md::MdSettings m_settings;
  std::optional<md::detail::Domain> m_domain;  // this rank's slab; none on one rank
  std::vector<int> m_mine;  // at the start: the global ids of the atoms this rank owns
  Index m_total;            // atoms of the whole system
  Index m_n;                // atoms this rank owns (stored first)
  Index m_local;            // owned + ghosts (stored after them); m_n on one rank
  BoxParams m_box{};
  CellGrid m_grid{};
  int m_types = 1;
  double m_radius = 0;         // Verlet list radius: largest pair cutoff + skin
  Buffer<int, Space> m_type;   // type of each stored particle
  double m_tail_energy = 0;    // N U_tail/N, epsilon
  double m_tail_pressure = 0;  // epsilon / sigma^3
  Vec3Buffer m_r;              // positions, wrapped at each list build [3][local]
  Vec3Buffer m_v;
  Vec3Buffer m_f;
  Vec3Buffer m_r0;                  // positions at the last list build
  Buffer<double, Space> m_energy;   // per-atom potential energy
  Buffer<double, Space> m_virial;   // per-atom half of sum r.f over its pairs
  Buffer<int, Space> m_cell_key;    // cell of each sorted slot
  Buffer<int, Space> m_cell_order;  // particle (storage index before the sort) of each slot
  Buffer<int, Space> m_tag;         // caller's index of each stored particle
  Buffer<int, Space> m_tag_scratch;
  Vec3Buffer m_scratch;  // target of the reordering gathers
  Int3Buffer m_image;    // periodic images crossed by each stored particle
  Int3Buffer m_image_scratch;
  Buffer<int, Space> m_cell_start;  // [cells + 1]
  Buffer<int, Space> m_count;       // neighbors of each particle
  Buffer<int, Space> m_list;        // CPU [N][capacity], GPU [capacity][N] (list_slot)
  Buffer<Moved, Space> m_moved;     // displacement checks of the window's steps [check_every]
  double m_unread = 0;              // restored: the window's largest before the checkpoint
  int m_capacity = 0;
  std::int64_t m_step = 0;
  std::int64_t m_builds = 0;
  std::int64_t m_dangerous = 0;
  bool m_tally_stale = true;  // m_energy / m_virial are from an earlier step
  double m_kinetic = 0;       // sum v^2 / 2 at the start (the Nose-Hoover chain keeps its own)
  std::vector<std::unique_ptr<ForceCompute>> m_forces;  // the pair force first
  std::unique_ptr<IntegrationMethod> m_method;
  NoseHooverMethod* m_chain = nullptr;  // m_method where it is the Nose-Hoover chain
  // Across ranks: each step's halo messages (Domain.hpp), the owned atoms they carry (in
  // message order), each ghost's place in the received messages, the message buffers (Space
  // memory, [atoms][3]) and, on the GPU, the staging of device buffers through MPI.
  std::vector<md::detail::HaloExchange> m_exchanges;
  Buffer<int, Space> m_send_index;
  Buffer<int, Space> m_ghost_source;
  Buffer<double, Space> m_send;
  Buffer<double, Space> m_recv;
  std::unique_ptr<core::DeviceStaging> m_staging;
};

}  // namespace md_detail

std::unique_ptr<md::Simulation> make_simulation(const md::MdSettings& s,
                                                const md::HostParticles& initial,
                                                core::Comm* comm) {
  return std::make_unique<md_detail::SimulationImpl>(s, initial, comm);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
