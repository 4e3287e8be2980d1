#pragma once
// A 3D real-to-complex FFT whose grid is split across the ranks of a core::Comm in slabs: each
// rank holds nz / P planes of z in physical space and ny / P rows of y in spectral space. The
// same transform as RealFft (unnormalised, Hermitian half along x) for a batch of fields.
//
//   physical, every rank count   [batch][z0 .. z0 + planes)[y][x]
//   spectral, one rank           [batch][z][y][x/2+1]               (RealFft's own layout)
//   spectral, P > 1 ranks        [batch][y0 .. y0 + rows)[x/2+1][z] (transposed: the z axis is
//                                 whole and contiguous, so its 1D transforms are one batch)
//
// P > 1: forward = 2D r2c on the local (y, x) planes, one all-to-all (each rank sends every
// other rank the y rows it will own), 1D c2c along z; inverse the reverse. One rank: the 3D
// RealFft itself, so one-rank results are those of RealFft bit for bit. The implementation is
// written once for both backends (slab_fft_exec.hpp, included by backend translation units);
// device buffers travel through core::DeviceStaging.
#include <cstdint>

#include "twinsim/core/Complex.hpp"

namespace twinsim::core {

// Who holds what of an nz x ny x nx grid (nz and ny divisible by the rank count).
struct SlabLayout {
  int nz = 0, ny = 0, nx = 0;  // the whole grid
  int ranks = 1, rank = 0;
  int z0 = 0, planes = 0;  // physical: planes [z0, z0 + planes)
  int y0 = 0, rows = 0;    // spectral: rows [y0, y0 + rows) (one rank: all of them)
  bool transposed = false;  // spectral layout [y][x/2+1][z] (true exactly when ranks > 1)

  int nkx() const { return nx / 2 + 1; }
  // Values of one field held by this rank: real grid points, and complex modes.
  std::int64_t points() const { return std::int64_t(planes) * ny * nx; }
  std::int64_t modes() const { return std::int64_t(rows) * nkx() * nz; }
};

// Throws core::Error naming the sizes when nz or ny is not divisible by ranks.
SlabLayout slab_layout(int nz, int ny, int nx, int rank, int ranks);

// Pointers are in the backend's memory. Collective: every rank calls each transform with the
// same batch. inverse() overwrites its input, as RealFft's does.
template <class Real>
class SlabFft {
 public:
  virtual ~SlabFft() = default;
  virtual void forward(const Real* in, Complex<Real>* out) = 0;
  virtual void inverse(Complex<Real>* in, Real* out) = 0;
  virtual const SlabLayout& layout() const = 0;
  virtual int batch() const = 0;
};

}  // namespace twinsim::core
