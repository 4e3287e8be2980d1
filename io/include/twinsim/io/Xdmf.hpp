#pragma once
// XDMF 2 sidecars that open an HDF5 file in ParaView (XDMFReader, Xdmf3ReaderS, Xdmf3ReaderT):
// a temporal collection with one grid per output step, each pointing at per-frame datasets
// (FrameView), never at hyperslabs, which the Xdmf3 readers reject.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "twinsim/io/Hdf5.hpp"

namespace twinsim::io {

enum class Center { node, cell };

// A scalar (one value per node or cell) or a vector (a trailing axis of 3).
struct XdmfAttribute {
  std::string name;
  FrameView data;
  Center center = Center::node;
};

// A uniform grid, all triples z y x: point counts, the first point's position and the point
// spacing, in length units. Node data has a value per point: 2D node fields go on {1, ny, nx}
// points. Cell data has one value fewer per axis, and VTK's Xdmf2 reader reads it only where
// every axis has 2 or more points: 2D cell fields (ny x nx) go on {2, ny + 1, nx + 1} points.
struct CoRectMesh {
  std::array<std::uint64_t, 3> points;
  std::array<double, 3> origin;
  std::array<double, 3> spacing;
};

// Particles as Polyvertex cells, one per particle: positions [N][3] and the indices 0..N-1
// (ParticleSeries::connectivity) that the Xdmf3 readers need to make any cell.
struct PointSet {
  FrameView connectivity;
  FrameView positions;
};

// The sidecar of one HDF5 file, rewritten (temporary file + rename) after every step so a
// reader never sees half of it.
class XdmfWriter {
 public:
  // h5_path must lie in the directory of xmf_path: the sidecar names it by file name only, so
  // the pair can be moved or copied together.
  XdmfWriter(std::filesystem::path xmf_path, const std::filesystem::path& h5_path);
  // A restarted run's sidecar: the first keep_steps steps of the existing xmf_path are kept
  // and later ones dropped (they were written after the checkpoint). Throws core::Error when
  // the file holds fewer.
  XdmfWriter(std::filesystem::path xmf_path, const std::filesystem::path& h5_path,
             std::size_t keep_steps);
  // A run's sidecar: a fresh one, or when the run is restarted the existing one with its first
  // `frames` steps (the frames its series kept at the checkpoint).
  static XdmfWriter for_run(std::filesystem::path xmf_path, const std::filesystem::path& h5_path,
                            bool restarted, std::size_t frames);

  void add_step(double time, const CoRectMesh& mesh, const std::vector<XdmfAttribute>& attributes);
  void add_step(double time, const PointSet& particles,
                const std::vector<XdmfAttribute>& attributes);

  std::size_t steps() const { return m_grids.size(); }
  // The whole document as written.
  std::string xml() const;

 private:
  void add_grid(double time, const std::string& topology_and_geometry,
                const std::vector<XdmfAttribute>& attributes, std::uint64_t nodes,
                std::uint64_t cells);
  std::string data_item(const FrameView& view) const;
  void save() const;  // xml() to the sidecar, through a temporary file and a rename

  std::filesystem::path m_xmf_path;
  std::string m_h5_name;
  std::vector<std::string> m_grids;  // one <Grid> per step
};

}  // namespace twinsim::io
