#pragma once
// HDF5 output: files, attributes, appendable time series and the reader the tests and the
// surrogates use. hdf5.h stays out of this header: HDF5 ids travel as std::int64_t (hid_t).
// Every failing HDF5 call throws core::Error naming the call, the file and the object.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace twinsim::io {

// Element types on disk. Memory and file types may differ: HDF5 converts (double -> f32).
enum class DType { f32, f64, i32, i64 };

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::f32; }
template <>
constexpr DType dtype_of<double>() { return DType::f64; }
template <>
constexpr DType dtype_of<std::int32_t>() { return DType::i32; }
template <>
constexpr DType dtype_of<std::int64_t>() { return DType::i64; }

// Extents of a dataset, slowest-varying axis first (C order).
using Shape = std::vector<std::uint64_t>;
std::uint64_t element_count(const Shape& shape);

using AttributeValue = std::variant<std::string, double, std::int64_t, std::vector<double>,
                                    std::vector<std::int64_t>, std::vector<std::string>>;

// Values read from a dataset, host memory, C order.
template <class T>
struct Array {
  Shape shape;
  std::vector<T> values;
};

// One frame of a TimeSeries as a dataset of its own: an HDF5 virtual dataset that maps onto the
// frame's slice of the series (no copy). XDMF readers point at it, since the Xdmf3 readers
// cannot read hyperslabs of the appendable dataset.
struct FrameView {
  std::string path;
  Shape shape;
  DType type;
};

// Path of frame t's view of the series at series_path ("/xdmf<series_path>/<t>").
std::string frame_view_path(const std::string& series_path, std::uint64_t t);

// An open HDF5 file (RAII). Objects are named by absolute paths ("/particles/all/box").
class H5File {
 public:
  enum class Mode { read_only, read_write };
  // Creates path, replacing any file there.
  static H5File create(const std::filesystem::path& path);
  static H5File open(const std::filesystem::path& path, Mode mode = Mode::read_only);

  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File();

  const std::filesystem::path& path() const { return m_path; }
  // The hid_t, for code that calls HDF5 directly.
  std::int64_t id() const { return m_id; }
  // Writes everything to the operating system: a killed process leaves what was flushed.
  void flush();

  bool exists(const std::string& object_path) const;
  // Creates the group and any missing parents; an existing group is left as it is.
  void create_group(const std::string& group_path);

  // Sets (or replaces) an attribute of the group or dataset at object_path ("/" = root).
  void set_attribute(const std::string& object_path, const std::string& name,
                     const AttributeValue& value);
  AttributeValue attribute(const std::string& object_path, const std::string& name) const;
  bool has_attribute(const std::string& object_path, const std::string& name) const;
  template <class T>
  T attribute_as(const std::string& object_path, const std::string& name) const {
    return std::get<T>(attribute(object_path, name));
  }

  // A contiguous, fixed-size dataset of host values (box edges, tables); parents are created.
  template <class T>
  void write(const std::string& dataset_path, const T* h_values, const Shape& shape,
             DType type = dtype_of<T>());
  template <class T>
  Array<T> read(const std::string& dataset_path) const;
  // Index t of the leading (time) axis.
  template <class T>
  Array<T> read_frame(const std::string& dataset_path, std::uint64_t t) const;
  Shape shape(const std::string& dataset_path) const;

 private:
  H5File(std::filesystem::path path, std::int64_t id);
  std::filesystem::path m_path;
  std::int64_t m_id = -1;
};

// What every Twinsim file carries on its root: the case as run (overrides applied), the
// backend that ran it, the unit system, and (added by write_provenance) the Twinsim version.
struct Provenance {
  std::string case_text;
  std::string backend;
  std::string units;
};
void write_provenance(H5File& file, const Provenance& provenance);

// An appendable series laid out as an H5MD time-dependent element: group <path> with
// `value` [t][frame...] (chunked, unlimited along t), `step` [t] int64 and `time` [t] float64.
// Each append writes one frame from host memory, adds its FrameView and flushes the file.
// A series whose group already exists (a restarted run's file) is opened, not created, and
// appends after its `complete_frames` (see rewind_series).
class TimeSeries {
 public:
  struct Spec {
    Shape frame_shape;         // rank >= 1; with variable_rows, [0] is the expected row count
    DType type = DType::f64;   // on disk
    // Of value and of time, e.g. "nm", "nm ps-1", "ps"; "" writes no attribute, which H5MD
    // reads as dimensionless or reduced units (MDAnalysis rejects unit names it cannot parse).
    std::string units;
    std::string time_units;
    std::string units_key = "units";  // H5MD names it "unit"
    bool variable_rows = false;       // particle counts that change between frames
    // Extents of the frame views if not frame_shape, same element count: 2D fields are viewed
    // as {1, ny, nx}, the 3D form VTK's Xdmf2 reader needs on a one-point-thick grid.
    Shape view_shape = {};
    // A view per frame for the XDMF sidecar; off for tables no reader of the .xmf needs (a
    // run's scalar history), whose rows would otherwise each cost a virtual dataset.
    bool frame_views = true;

    // Such a table (an H5MD observable, a run's history): samples of frame_shape, no views.
    static Spec table(Shape frame_shape, std::string units, std::string time_units,
                      std::string units_key = "units") {
      Spec s{std::move(frame_shape), DType::f64, std::move(units), std::move(time_units),
             std::move(units_key)};
      s.frame_views = false;
      return s;
    }
  };
  TimeSeries(H5File& file, std::string path, Spec spec);
  TimeSeries(TimeSeries&&) noexcept;
  TimeSeries& operator=(TimeSeries&&) noexcept;
  ~TimeSeries();

  // h_values: one frame, frame_shape values in C order, host memory.
  template <class T>
  FrameView append(const T* h_values, std::int64_t step, double time);
  // Variable rows: rows x frame_shape[1..] values. Rows past `rows` in earlier or later frames
  // of `value` hold the fill value (NaN, or -1 for integers); the frame's view has exactly rows.
  template <class T>
  FrameView append(const T* h_values, std::uint64_t rows, std::int64_t step, double time);

  std::uint64_t frames() const;
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Bytes on disk of a TimeSeries of `frames` frames of `frame_bytes` each, as its chunks lay it
// out (values in chunks of whole frames batched up to 64 KiB, step and time in chunks of 8192
// entries, a view per frame): the solvers' output plans for the preflight disk check. Saturates
// at 2^56 (64 PiB; plans add a few dozen): a case with absurd frame counts or sizes is refused,
// never wrapped to a small number.
std::uint64_t series_bytes(std::uint64_t frames, std::uint64_t frame_bytes);

// A 64-bit FNV-1a checksum of bytes (seed: the checksum so far, to chain several pieces).
std::uint64_t checksum_of(const void* bytes, std::size_t size,
                          std::uint64_t seed = 14695981039346656037ull);
// The checksum of a dataset's values as read in the machine's native form of their type:
// equal to checksum_of(values written) for the values the dataset was written from.
std::uint64_t dataset_checksum(const H5File& file, const std::string& dataset_path);
// Whether HDF5 checks the dataset's values against stored checksums at every read (a Fletcher-32
// filter on its chunks, as every TimeSeries here has; a virtual dataset: on every source in the
// same file), so a read of values damaged after writing fails instead of returning them.
bool has_checksums(const H5File& file, const std::string& dataset_path);

// Frame count (`complete_frames`) of every time series in the file, by group path.
std::map<std::string, std::uint64_t> series_frames(const H5File& file);
// Cuts the series at series_path back to its first `frames` frames (a restart drops what was
// written after its checkpoint): extents, frame views and complete_frames.
void rewind_series(H5File& file, const std::string& series_path, std::uint64_t frames);

// A grid field at /fields/<name>: value [t][z][y][x] (2D: [t][y][x]), a trailing axis of 3 for
// vectors. grid: {nz, ny, nx} or {ny, nx} values per axis (nodes or cells, as sampled). Frame
// views of 2D fields are [1][y][x], matching XDMF's one-point-thick 3D mesh.
class FieldSeries : public TimeSeries {
 public:
  FieldSeries(H5File& file, const std::string& name, const Shape& grid, unsigned components,
              DType type, std::string units, std::string time_units);
};

// An H5MD particle group /particles/<group> (https://www.nongnu.org/h5md/h5md.html): its box
// and time-dependent elements (position, velocity, force, species, ...) that a solver appends
// each output step. Writes the /h5md header (version 1.1, creator Twinsim, author) if absent.
// The file must outlive the series.
class ParticleSeries {
 public:
  // periodic: x y z; lengths of positions and box edges are in length_units.
  ParticleSeries(H5File& file, std::string group, const std::array<bool, 3>& periodic,
                 std::string length_units, std::string time_units, const std::string& author);

  // Box edges x y z of one frame, appended with every frame: the box is time-dependent in
  // H5MD terms (NPT boxes change). Stored as the 3x3 matrix of edge vectors (diagonal for
  // this orthorhombic box), [t][3][3]: valid H5MD, and the only form MDAnalysis 2.4 reads.
  void append_edges(const std::array<double, 3>& edges, std::int64_t step, double time);

  // Adds element /particles/<group>/<name> with [t][N][components] values (components 1
  // gives [t][N]). expected_count sizes the chunks; the count may change between frames.
  TimeSeries& add(const std::string& name, unsigned components, DType type, std::string units,
                  std::uint64_t expected_count);
  TimeSeries& operator[](const std::string& name);

  // Particle indices 0..n-1 as a dataset of their own (a view of a shared index table): the
  // explicit connectivity a Polyvertex topology needs in the Xdmf3 readers.
  FrameView connectivity(std::uint64_t n);

 private:
  H5File* m_file;
  std::string m_group;
  std::string m_time_units;
  TimeSeries m_edges;
  std::vector<std::pair<std::string, std::unique_ptr<TimeSeries>>> m_elements;
  std::uint64_t m_index_rows = 0;  // rows of the shared index table written so far
};

}  // namespace twinsim::io
