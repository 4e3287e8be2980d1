#pragma once
// The slab-decomposed 3D real FFT (SlabFft.hpp) for backend translation units: written once
// over exec.hpp, compiled into the OpenMP and the CUDA backend of the library that includes it.
// The transposes are plain index maps (one output value per index: no atomics, deterministic);
// the vendor transforms are core's RealFft (2D, the local planes) and ComplexFft (1D, along z).
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Fft.hpp"
#include "twinsim/core/SlabFft.hpp"
#include "twinsim/core/exec.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

// The transposes' two buffers (Space memory), which the transforms of one solver can share:
// they use them one at a time, within a call. Grown to the largest transform's need.
template <class Real>
struct SlabScratch {
  core::Buffer<core::Complex<Real>, Space> send, recv;
  void reserve(std::size_t values) {
    if (send.size() >= values) return;
    send = core::Buffer<core::Complex<Real>, Space>(values);
    recv = core::Buffer<core::Complex<Real>, Space>(values);
  }
};

namespace slab_fft_detail {

using core::Complex;
using core::SlabLayout;

// The all-to-all's blocks are [P][F][zl][yl][x/2+1]: block r holds, for every field f and each
// of the sender's planes zl, the receiver's rows yl. Two index maps onto that order:
//   from_planes: block index -> [F][zl][y][x/2+1] (the 2D transforms' layout on the sender,
//                 y = r rows + yl), a plane rank's point of view;
//   from_columns: [F][yl][x/2+1][z] (the spectral layout) -> block index (z = r planes + zl), a
//                 row rank's point of view.
struct SlabMaps {
  std::int64_t fields, planes, rows, ny, nz, nkx;

  TWINSIM_HD std::int64_t from_planes(std::int64_t i) const {
    const std::int64_t kx = i % nkx;
    std::int64_t t = i / nkx;
    const std::int64_t yl = t % rows;
    t /= rows;
    const std::int64_t zl = t % planes;
    t /= planes;
    const std::int64_t f = t % fields, r = t / fields;
    return ((f * planes + zl) * ny + r * rows + yl) * nkx + kx;
  }
  TWINSIM_HD std::int64_t from_columns(std::int64_t o) const {
    const std::int64_t z = o % nz;
    std::int64_t t = o / nz;
    const std::int64_t kx = t % nkx;
    t /= nkx;
    const std::int64_t yl = t % rows, f = t / rows;
    const std::int64_t r = z / planes, zl = z % planes;
    return (((r * fields + f) * planes + zl) * rows + yl) * nkx + kx;
  }
};

// One rank: the 3D transform itself.
template <class Real>
class WholeGridFft final : public core::SlabFft<Real> {
 public:
  WholeGridFft(const SlabLayout& layout, int batch)
      : m_layout(layout),
        m_batch(batch),
        m_fft(core::make_real_fft<Real>(k_backend, {layout.nz, layout.ny, layout.nx}, batch)) {}
  void forward(const Real* in, Complex<Real>* out) override { m_fft->forward(in, out); }
  void inverse(Complex<Real>* in, Real* out) override { m_fft->inverse(in, out); }
  const SlabLayout& layout() const override { return m_layout; }
  int batch() const override { return m_batch; }

 private:
  SlabLayout m_layout;
  int m_batch;
  std::unique_ptr<core::RealFft<Real>> m_fft;
};

// P > 1 ranks: 2D planes, all-to-all, 1D columns.
template <class Real>
class DistributedFft final : public core::SlabFft<Real> {
 public:
  DistributedFft(core::Comm& comm, const SlabLayout& layout, int batch,
                 std::shared_ptr<SlabScratch<Real>> scratch)
      : m_comm(comm),
        m_layout(layout),
        m_batch(batch),
        m_maps{batch, layout.planes, layout.rows, layout.ny, layout.nz, layout.nkx()},
        m_values(std::int64_t(batch) * layout.modes()),
        m_scratch(scratch ? std::move(scratch) : std::make_shared<SlabScratch<Real>>()),
        m_planes(core::make_real_fft<Real>(k_backend, {layout.ny, layout.nx},
                                           batch * layout.planes)),
        m_columns(core::make_complex_fft<Real>(k_backend, {layout.nz},
                                               batch * layout.rows * layout.nkx())) {
    m_scratch->reserve(std::size_t(m_values));
    if constexpr (k_backend == core::Backend::Gpu) m_staging.emplace(comm);
  }

  void forward(const Real* in, Complex<Real>* out) override {
    m_planes->forward(in, m_scratch->recv.data());
    const SlabMaps maps = m_maps;
    const Complex<Real>* d_planes = m_scratch->recv.data();
    Complex<Real>* d_send = m_scratch->send.data();
    for_each_index(m_values, [=] TWINSIM_HD(Index i) { d_send[i] = d_planes[maps.from_planes(i)]; });
    alltoall();
    const Complex<Real>* d_recv = m_scratch->recv.data();
    for_each_index(m_values, [=] TWINSIM_HD(Index o) { out[o] = d_recv[maps.from_columns(o)]; });
    m_columns->forward(out, out);
  }

  void inverse(Complex<Real>* in, Real* out) override {
    m_columns->inverse(in, in);
    const SlabMaps maps = m_maps;
    Complex<Real>* d_send = m_scratch->send.data();
    for_each_index(m_values, [=] TWINSIM_HD(Index o) { d_send[maps.from_columns(o)] = in[o]; });
    alltoall();
    const Complex<Real>* d_recv = m_scratch->recv.data();
    Complex<Real>* d_planes = d_send;  // free again once the all-to-all has read it
    for_each_index(m_values, [=] TWINSIM_HD(Index i) { d_planes[maps.from_planes(i)] = d_recv[i]; });
    m_planes->inverse(d_planes, out);
  }

  const SlabLayout& layout() const override { return m_layout; }
  int batch() const override { return m_batch; }

 private:
  // send -> recv, one block per rank.
  void alltoall() {
    const std::size_t block =
        std::size_t(m_values / m_layout.ranks) * sizeof(Complex<Real>);
    if constexpr (k_backend == core::Backend::Gpu) {
      synchronize();  // the packing kernel has written m_send (a CUDA-aware MPI reads it at once)
      m_staging->alltoall(m_scratch->send.data(), m_scratch->recv.data(), block);
    } else {
      m_comm.alltoall(m_scratch->send.data(), m_scratch->recv.data(), block);
    }
  }

  core::Comm& m_comm;
  SlabLayout m_layout;
  int m_batch;
  SlabMaps m_maps;
  Index m_values;  // complex values of the whole batch on this rank, in either layout
  // The all-to-all's blocks and, between the steps, the 2D transforms' planes.
  std::shared_ptr<SlabScratch<Real>> m_scratch;
  std::unique_ptr<core::RealFft<Real>> m_planes;      // {ny, nx}, batch * planes
  std::unique_ptr<core::ComplexFft<Real>> m_columns;  // {nz}, batch * rows * (nx/2+1), in place
  std::optional<core::DeviceStaging> m_staging;       // the CUDA backend's all-to-all
};

}  // namespace slab_fft_detail

// The transform of `batch` fields of the nz x ny x nx grid ({nz, ny, nx}) split over comm's
// ranks (slab_layout: throws core::Error when nz or ny is not divisible by the rank count).
// Transforms given the same scratch share their transpose buffers (null: their own); one rank
// needs none.
template <class Real>
std::unique_ptr<core::SlabFft<Real>> make_slab_fft(
    core::Comm& comm, int nz, int ny, int nx, int batch,
    std::shared_ptr<SlabScratch<Real>> scratch = nullptr) {
  const core::SlabLayout layout = core::slab_layout(nz, ny, nx, comm.rank(), comm.size());
  if (layout.ranks == 1)
    return std::make_unique<slab_fft_detail::WholeGridFft<Real>>(layout, batch);
  return std::make_unique<slab_fft_detail::DistributedFft<Real>>(comm, layout, batch,
                                                                 std::move(scratch));
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
