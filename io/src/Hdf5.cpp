#include "twinsim/io/Hdf5.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/versions.hpp"

namespace twinsim::io {
namespace detail {
namespace {

static_assert(std::is_same_v<hid_t, std::int64_t>, "Hdf5.hpp passes hid_t as std::int64_t");

// The description of the failure from HDF5's error stack: the API call's.
std::string hdf5_error_text() {
  std::vector<std::string> descriptions;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(error->desc);
        return 0;
      },
      &descriptions);
  H5Eclear2(H5E_DEFAULT);
  if (descriptions.empty()) return "";
  // The library's inner frames (its own flags and internals) go to the debug log (-v).
  for (std::size_t i = 1; i < descriptions.size(); ++i)
    spdlog::debug("HDF5: {}", descriptions[i]);
  return ": " + descriptions.front();
}

// HDF5 returns a negative id or status on failure; object names the file or object involved.
template <class R>
R check(R result, const char* call, int line, const std::string& object) {
  if (result < 0) core::throw_call_error(call, __FILE__, line, object + hdf5_error_text());
  return result;
}
#define TWINSIM_H5(fn, object, ...) \
  ::twinsim::io::detail::check(fn(__VA_ARGS__), #fn, __LINE__, object)

// HDF5 closes what is still open when the program exits (H5_term_library, registered with
// atexit when the library starts). A file whose close failed (a full disk) stays in its tables
// half torn down, and that cleanup then crashes the exit (SIGSEGV in H5F__close_cb). Every
// file here is closed by its H5File (and a second stop signal leaves by _exit), so the exit
// cleanup is not wanted: turned off before the library starts (static initialisation).
const bool g_no_exit_cleanup = [] { return H5dont_atexit() >= 0; }();

// Our messages replace HDF5's printed error stack; done once, before the first HDF5 call.
void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// Owns one HDF5 id and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : m_id(id), m_close(close) {}
  Handle(Handle&& o) noexcept : m_id(std::exchange(o.m_id, -1)), m_close(o.m_close) {}
  Handle& operator=(Handle&& o) noexcept {
    std::swap(m_id, o.m_id);
    std::swap(m_close, o.m_close);
    return *this;
  }
  ~Handle() {
    if (m_id >= 0) m_close(m_id);
  }
  hid_t get() const { return m_id; }

 private:
  hid_t m_id = -1;
  Closer m_close = nullptr;
};

hid_t memory_type(DType type) {
  switch (type) {
    case DType::f32: return H5T_NATIVE_FLOAT;
    case DType::f64: return H5T_NATIVE_DOUBLE;
    case DType::i32: return H5T_NATIVE_INT32;
    case DType::i64: return H5T_NATIVE_INT64;
  }
  return -1;
}

// Little-endian IEEE / two's complement on disk whatever the writing machine.
hid_t file_type(DType type) {
  switch (type) {
    case DType::f32: return H5T_IEEE_F32LE;
    case DType::f64: return H5T_IEEE_F64LE;
    case DType::i32: return H5T_STD_I32LE;
    case DType::i64: return H5T_STD_I64LE;
  }
  return -1;
}

Handle simple_space(const Shape& dims, const Shape& max_dims = {}) {
  const std::vector<hsize_t> d(dims.begin(), dims.end());
  const std::vector<hsize_t> m(max_dims.begin(), max_dims.end());
  return {TWINSIM_H5(H5Screate_simple, "dataspace", int(d.size()), d.data(),
                     m.empty() ? nullptr : m.data()),
          H5Sclose};
}

Handle property_list(hid_t cls) { return {TWINSIM_H5(H5Pcreate, "property list", cls), H5Pclose}; }

// Link creation that makes missing parent groups.
Handle make_parents() {
  Handle lcpl = property_list(H5P_LINK_CREATE);
  TWINSIM_H5(H5Pset_create_intermediate_group, "property list", lcpl.get(), 1);
  return lcpl;
}

Handle open_dataset(hid_t file, const std::string& path) {
  return {TWINSIM_H5(H5Dopen2, path, file, path.c_str(), H5P_DEFAULT), H5Dclose};
}

Shape dataset_shape(hid_t dataset, const std::string& path) {
  Handle space{TWINSIM_H5(H5Dget_space, path, dataset), H5Sclose};
  const int rank = TWINSIM_H5(H5Sget_simple_extent_ndims, path, space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  TWINSIM_H5(H5Sget_simple_extent_dims, path, space.get(), dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

// Selects the block start + [0, count) of a dataspace.
void select_block(hid_t space, const Shape& start, const Shape& count, const std::string& path) {
  const std::vector<hsize_t> s(start.begin(), start.end()), c(count.begin(), count.end());
  TWINSIM_H5(H5Sselect_hyperslab, path, space, H5S_SELECT_SET, s.data(), nullptr, c.data(),
             nullptr);
}

// The block [t][0..count) of a dataset whose leading axis is time.
struct Block {
  Shape start, count;
};
Block frame_block(std::uint64_t t, const Shape& count) {
  Block b{Shape(count.size() + 1, 0), Shape{1}};
  b.start[0] = t;
  b.count.insert(b.count.end(), count.begin(), count.end());
  return b;
}

void select_frame(hid_t space, std::uint64_t t, const Shape& count, const std::string& path) {
  const Block b = frame_block(t, count);
  select_block(space, b.start, b.count, path);
}

// Chunks of at most about 1 MiB (large frames are split along their slowest axes) and at
// most 64 KiB of small frames (step, time): every flush rewrites the last chunk whole.
constexpr std::uint64_t k_max_chunk_bytes = 1u << 20, k_max_batch_bytes = 64u << 10;

Shape chunk_shape(const Shape& frame, DType type) {
  const std::uint64_t bytes = (type == DType::f32 || type == DType::i32) ? 4 : 8;
  Shape chunk{1};
  for (std::uint64_t d : frame) chunk.push_back(std::max<std::uint64_t>(d, 1));
  for (std::size_t i = 1; i < chunk.size(); ++i)
    while (element_count(chunk) * bytes > k_max_chunk_bytes && chunk[i] > 1)
      chunk[i] = (chunk[i] + 1) / 2;
  chunk[0] = std::max<std::uint64_t>(1, k_max_batch_bytes / (element_count(chunk) * bytes));
  return chunk;
}

// Appendable dataset with rank 1 + frame.size(), empty along t.
Handle create_series_dataset(hid_t file, const std::string& path, const Shape& frame,
                             DType type, bool variable_rows) {
  Shape dims{0}, max_dims{H5S_UNLIMITED};
  for (std::size_t i = 0; i < frame.size(); ++i) {
    dims.push_back(variable_rows && i == 0 ? 0 : frame[i]);
    max_dims.push_back(variable_rows && i == 0 ? H5S_UNLIMITED : frame[i]);
  }
  Handle dcpl = property_list(H5P_DATASET_CREATE);
  const Shape chunk = chunk_shape(frame, type);
  const std::vector<hsize_t> c(chunk.begin(), chunk.end());
  TWINSIM_H5(H5Pset_chunk, path, dcpl.get(), int(c.size()), c.data());
  // A Fletcher-32 checksum per chunk, which HDF5 checks at every read (ours, h5py's,
  // ParaView's): a file damaged after it was written fails to read instead of giving garbage.
  TWINSIM_H5(H5Pset_fletcher32, path, dcpl.get());
  // Rows a frame did not have read as NaN (floats) or -1 (integers), never as plausible data.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t absent = -1;
  const bool real = type == DType::f32 || type == DType::f64;
  TWINSIM_H5(H5Pset_fill_value, path, dcpl.get(), real ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64,
             real ? static_cast<const void*>(&nan) : static_cast<const void*>(&absent));
  Handle space = simple_space(dims, max_dims);
  return {TWINSIM_H5(H5Dcreate2, path, file, path.c_str(), file_type(type), space.get(),
                     make_parents().get(), dcpl.get(), H5P_DEFAULT),
          H5Dclose};
}

// Grows the leading axis to t + 1 (and the rows axis to at least rows) and writes frame t.
void write_frame(hid_t dataset, const std::string& path, std::uint64_t t, const Shape& count,
                 DType memory, const void* h_values) {
  Shape dims = dataset_shape(dataset, path);
  dims[0] = t + 1;
  for (std::size_t i = 0; i < count.size(); ++i) dims[i + 1] = std::max(dims[i + 1], count[i]);
  const std::vector<hsize_t> d(dims.begin(), dims.end());
  TWINSIM_H5(H5Dset_extent, path, dataset, d.data());
  Handle file_space{TWINSIM_H5(H5Dget_space, path, dataset), H5Sclose};
  select_frame(file_space.get(), t, count, path);
  Handle memory_space = simple_space(count.empty() ? Shape{1} : count);
  TWINSIM_H5(H5Dwrite, path, dataset, memory_type(memory), memory_space.get(), file_space.get(),
             H5P_DEFAULT, h_values);
}

// A virtual dataset at view_path, shaped view_shape, mapping onto the block start + [0, count)
// of source: no data is copied.
void create_view(hid_t file, hid_t source, const std::string& source_path,
                 const std::string& view_path, const Shape& start, const Shape& count,
                 const Shape& view_shape, DType type) {
  Handle view_space = simple_space(view_shape);
  Handle source_space{TWINSIM_H5(H5Dget_space, source_path, source), H5Sclose};
  select_block(source_space.get(), start, count, source_path);
  Handle dcpl = property_list(H5P_DATASET_CREATE);
  // "." = this file: the view survives renaming or moving the file.
  TWINSIM_H5(H5Pset_virtual, view_path, dcpl.get(), view_space.get(), ".", source_path.c_str(),
             source_space.get());
  Handle view{TWINSIM_H5(H5Dcreate2, view_path, file, view_path.c_str(), file_type(type),
                         view_space.get(), make_parents().get(), dcpl.get(), H5P_DEFAULT),
              H5Dclose};
}

Handle open_object(hid_t file, const std::string& path) {
  return {TWINSIM_H5(H5Oopen, path, file, path.c_str(), H5P_DEFAULT), H5Oclose};
}

Handle string_type(const std::string& where) {
  Handle type{TWINSIM_H5(H5Tcopy, where, H5T_C_S1), H5Tclose};
  TWINSIM_H5(H5Tset_size, where, type.get(), H5T_VARIABLE);
  TWINSIM_H5(H5Tset_cset, where, type.get(), H5T_CSET_UTF8);
  return type;
}

// Variable-length strings, whatever the length: no 64 KiB attribute limit for the case text.
void write_strings(hid_t object, const std::string& name, const std::vector<std::string>& values,
                   bool scalar, const std::string& where) {
  Handle type = string_type(where);
  Handle space = scalar ? Handle{TWINSIM_H5(H5Screate, where, H5S_SCALAR), H5Sclose}
                        : simple_space({values.size()});
  std::vector<const char*> pointers;
  for (const std::string& v : values) pointers.push_back(v.c_str());
  Handle attribute{TWINSIM_H5(H5Acreate2, where, object, name.c_str(), type.get(), space.get(),
                              H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose};
  // An empty list is an attribute of extent 0: HDF5 refuses to write from a null buffer.
  if (!values.empty())
    TWINSIM_H5(H5Awrite, where, attribute.get(), type.get(), pointers.data());
}

template <class T>
void write_numbers(hid_t object, const std::string& name, const std::vector<T>& values,
                   bool scalar, const std::string& where) {
  const DType type = dtype_of<T>();
  Handle space = scalar ? Handle{TWINSIM_H5(H5Screate, where, H5S_SCALAR), H5Sclose}
                        : simple_space({values.size()});
  Handle attribute{TWINSIM_H5(H5Acreate2, where, object, name.c_str(), file_type(type),
                              space.get(), H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose};
  if (!values.empty())
    TWINSIM_H5(H5Awrite, where, attribute.get(), memory_type(type), values.data());
}

// Strings as written by us (variable length) or by other tools (fixed length).
std::vector<std::string> read_strings(hid_t attribute, hid_t stored_type, std::size_t count,
                                      const std::string& where) {
  std::vector<std::string> out;
  if (count == 0) return out;  // nothing to read, and no buffer to read it into
  if (H5Tis_variable_str(stored_type) > 0) {
    Handle type = string_type(where);
    std::vector<char*> pointers(count, nullptr);
    TWINSIM_H5(H5Aread, where, attribute, type.get(), pointers.data());
    for (char* p : pointers) out.emplace_back(p ? p : "");
    Handle space{TWINSIM_H5(H5Aget_space, where, attribute), H5Sclose};
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
    return out;
  }
  const std::size_t size = H5Tget_size(stored_type);
  std::vector<char> buffer(size * count);
  TWINSIM_H5(H5Aread, where, attribute, stored_type, buffer.data());
  for (std::size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    out.emplace_back(begin, std::find(begin, begin + size, '\0'));
  }
  return out;
}

template <class T>
Array<T> read_selection(hid_t dataset, hid_t file_space, Shape shape, const std::string& path) {
  Array<T> out{std::move(shape), {}};
  out.values.resize(element_count(out.shape));
  Handle memory_space = simple_space(out.shape.empty() ? Shape{1} : out.shape);
  if (!out.values.empty())
    TWINSIM_H5(H5Dread, path, dataset, memory_type(dtype_of<T>()), memory_space.get(),
               file_space, H5P_DEFAULT, out.values.data());
  return out;
}

}  // namespace
}  // namespace detail

using detail::Handle;

std::uint64_t element_count(const Shape& shape) {
  std::uint64_t n = 1;
  for (std::uint64_t d : shape) n *= d;
  return n;
}

std::string frame_view_path(const std::string& series_path, std::uint64_t t) {
  return fmt::format("/xdmf{}/{}", series_path, t);
}

// ---------------------------------------------------------------------------------------------
// H5File

namespace {
// Our writers take no file lock, so ParaView or h5py can open a file while the run appends to
// it; frames are complete on disk at every flush. Readers do the same so they can follow.
Handle file_access(const std::string& where) {
  Handle fapl = detail::property_list(H5P_FILE_ACCESS);
  TWINSIM_H5(H5Pset_file_locking, where, fapl.get(), 0, 1);
  // 1.8 object headers at least: attributes larger than 64 KiB live in dense storage.
  TWINSIM_H5(H5Pset_libver_bounds, where, fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  return fapl;
}
}  // namespace

H5File::H5File(std::filesystem::path path, std::int64_t id) : m_path(std::move(path)), m_id(id) {}

H5File H5File::create(const std::filesystem::path& path) {
  detail::silence_hdf5_errors();
  const std::string name = path.string();
  Handle fapl = file_access(name);
  return {path, TWINSIM_H5(H5Fcreate, name, name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT,
                           fapl.get())};
}

H5File H5File::open(const std::filesystem::path& path, Mode mode) {
  detail::silence_hdf5_errors();
  const std::string name = path.string();
  // The common mistakes in words of their own, without HDF5's internals.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw core::Error(fmt::format("no file '{}'", name));
  if (H5Fis_hdf5(name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw core::Error(fmt::format("'{}' is not an HDF5 file (or is damaged)", name));
  }
  Handle fapl = file_access(name);
  const unsigned flags = mode == Mode::read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  return {path, TWINSIM_H5(H5Fopen, name, name.c_str(), flags, fapl.get())};
}

H5File::H5File(H5File&& other) noexcept
    : m_path(std::move(other.m_path)), m_id(std::exchange(other.m_id, -1)) {}

H5File& H5File::operator=(H5File&& other) noexcept {
  std::swap(m_path, other.m_path);
  std::swap(m_id, other.m_id);
  return *this;
}

H5File::~H5File() {
  if (m_id >= 0) H5Fclose(m_id);
}

bool H5File::has_attribute(const std::string& object_path, const std::string& name) const {
  return TWINSIM_H5(H5Aexists_by_name, object_path, m_id, object_path.c_str(), name.c_str(),
                    H5P_DEFAULT) > 0;
}

void H5File::flush() { TWINSIM_H5(H5Fflush, m_path.string(), m_id, H5F_SCOPE_LOCAL); }

bool H5File::exists(const std::string& object_path) const {
  // Walk the path: H5Lexists fails, rather than answering no, when a parent is missing.
  std::size_t end = 0;
  while (end != std::string::npos) {
    end = object_path.find('/', end + 1);
    const std::string prefix = object_path.substr(0, end);
    if (prefix == "/" || prefix.empty()) continue;
    if (TWINSIM_H5(H5Lexists, prefix, m_id, prefix.c_str(), H5P_DEFAULT) == 0) return false;
  }
  return true;
}

void H5File::create_group(const std::string& group_path) {
  if (exists(group_path)) return;
  Handle group{TWINSIM_H5(H5Gcreate2, group_path, m_id, group_path.c_str(),
                          detail::make_parents().get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose};
}

void H5File::set_attribute(const std::string& object_path, const std::string& name,
                           const AttributeValue& value) {
  const std::string where = object_path + " attribute " + name;
  Handle object = detail::open_object(m_id, object_path);
  if (TWINSIM_H5(H5Aexists, where, object.get(), name.c_str()) > 0)
    TWINSIM_H5(H5Adelete, where, object.get(), name.c_str());
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>)
          detail::write_strings(object.get(), name, {v}, true, where);
        else if constexpr (std::is_same_v<V, std::vector<std::string>>)
          detail::write_strings(object.get(), name, v, false, where);
        else if constexpr (std::is_arithmetic_v<V>)
          detail::write_numbers(object.get(), name, std::vector<V>{v}, true, where);
        else
          detail::write_numbers(object.get(), name, v, false, where);
      },
      value);
}

AttributeValue H5File::attribute(const std::string& object_path, const std::string& name) const {
  const std::string where = object_path + " attribute " + name;
  Handle object = detail::open_object(m_id, object_path);
  Handle attribute{TWINSIM_H5(H5Aopen, where, object.get(), name.c_str(), H5P_DEFAULT), H5Aclose};
  Handle type{TWINSIM_H5(H5Aget_type, where, attribute.get()), H5Tclose};
  Handle space{TWINSIM_H5(H5Aget_space, where, attribute.get()), H5Sclose};
  const bool scalar = H5Sget_simple_extent_type(space.get()) == H5S_SCALAR;
  const auto count =
      static_cast<std::size_t>(TWINSIM_H5(H5Sget_simple_extent_npoints, where, space.get()));
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      std::vector<std::string> s = detail::read_strings(attribute.get(), type.get(), count, where);
      if (scalar) return s.front();
      return s;
    }
    case H5T_FLOAT: {
      std::vector<double> v(count);
      if (count > 0) TWINSIM_H5(H5Aread, where, attribute.get(), H5T_NATIVE_DOUBLE, v.data());
      if (scalar) return v.front();
      return v;
    }
    case H5T_INTEGER: {
      std::vector<std::int64_t> v(count);
      if (count > 0) TWINSIM_H5(H5Aread, where, attribute.get(), H5T_NATIVE_INT64, v.data());
      if (scalar) return v.front();
      return v;
    }
    default: throw core::Error(fmt::format("{}: unsupported attribute type", where));
  }
}

template <class T>
void H5File::write(const std::string& dataset_path, const T* h_values, const Shape& shape,
                   DType type) {
  Handle space = detail::simple_space(shape);
  Handle dataset{TWINSIM_H5(H5Dcreate2, dataset_path, m_id, dataset_path.c_str(),
                            detail::file_type(type), space.get(), detail::make_parents().get(),
                            H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose};
  TWINSIM_H5(H5Dwrite, dataset_path, dataset.get(), detail::memory_type(dtype_of<T>()), H5S_ALL,
             H5S_ALL, H5P_DEFAULT, h_values);
}

template <class T>
Array<T> H5File::read(const std::string& dataset_path) const {
  Handle dataset = detail::open_dataset(m_id, dataset_path);
  return detail::read_selection<T>(dataset.get(), H5S_ALL,
                                   detail::dataset_shape(dataset.get(), dataset_path),
                                   dataset_path);
}

template <class T>
Array<T> H5File::read_frame(const std::string& dataset_path, std::uint64_t t) const {
  Handle dataset = detail::open_dataset(m_id, dataset_path);
  const Shape shape = detail::dataset_shape(dataset.get(), dataset_path);
  if (shape.empty() || t >= shape[0])
    throw core::Error(fmt::format("{}: frame {} of {} requested", dataset_path, t,
                                  shape.empty() ? 0 : shape[0]));
  const Shape frame(shape.begin() + 1, shape.end());
  Handle space{TWINSIM_H5(H5Dget_space, dataset_path, dataset.get()), H5Sclose};
  detail::select_frame(space.get(), t, frame, dataset_path);
  return detail::read_selection<T>(dataset.get(), space.get(), frame, dataset_path);
}

Shape H5File::shape(const std::string& dataset_path) const {
  return detail::dataset_shape(detail::open_dataset(m_id, dataset_path).get(), dataset_path);
}

#define TWINSIM_INSTANTIATE(T)                                                                 \
  template void H5File::write<T>(const std::string&, const T*, const Shape&, DType);          \
  template Array<T> H5File::read<T>(const std::string&) const;                                 \
  template Array<T> H5File::read_frame<T>(const std::string&, std::uint64_t) const;            \
  template FrameView TimeSeries::append<T>(const T*, std::int64_t, double);                    \
  template FrameView TimeSeries::append<T>(const T*, std::uint64_t, std::int64_t, double);

void write_provenance(H5File& file, const Provenance& provenance) {
  file.set_attribute("/", "twinsim_version", core::version());
  file.set_attribute("/", "case", provenance.case_text);
  file.set_attribute("/", "backend", provenance.backend);
  file.set_attribute("/", "units", provenance.units);
}

// ---------------------------------------------------------------------------------------------
// TimeSeries

struct TimeSeries::Impl {
  hid_t file;
  std::string path;
  Spec spec;
  Handle value, step, time;
  Handle complete_frames;  // attribute of the series group, written after each frame's flush
  std::uint64_t frames = 0;
};

TimeSeries::TimeSeries(H5File& file, std::string path, Spec spec)
    : m_impl(std::make_unique<Impl>()) {
  if (spec.frame_shape.empty())
    throw core::Error(fmt::format("{}: a time series needs frames of rank >= 1", path));
  if (!spec.view_shape.empty() &&
      (spec.variable_rows || element_count(spec.view_shape) != element_count(spec.frame_shape)))
    throw core::Error(fmt::format("{}: frame views must hold one whole, fixed-size frame", path));
  Impl& s = *m_impl;
  s.file = file.id();
  s.path = std::move(path);
  s.spec = std::move(spec);
  const std::string value = s.path + "/value";
  if (file.exists(s.path)) {  // a restarted run appends to the series it wrote
    s.value = detail::open_dataset(s.file, value);
    s.step = detail::open_dataset(s.file, s.path + "/step");
    s.time = detail::open_dataset(s.file, s.path + "/time");
    s.frames = std::uint64_t(file.attribute_as<std::int64_t>(s.path, "complete_frames"));
    Handle group = detail::open_object(s.file, s.path);
    s.complete_frames = {TWINSIM_H5(H5Aopen, s.path + " attribute complete_frames", group.get(),
                                    "complete_frames", H5P_DEFAULT),
                         H5Aclose};
    return;
  }
  s.value = detail::create_series_dataset(s.file, value, s.spec.frame_shape, s.spec.type,
                                          s.spec.variable_rows);
  s.step = detail::create_series_dataset(s.file, s.path + "/step", {}, DType::i64, false);
  s.time = detail::create_series_dataset(s.file, s.path + "/time", {}, DType::f64, false);
  if (!s.spec.units.empty()) file.set_attribute(value, s.spec.units_key, s.spec.units);
  if (!s.spec.time_units.empty())
    file.set_attribute(s.path + "/time", s.spec.units_key, s.spec.time_units);
  file.set_attribute(s.path, "complete_frames", std::int64_t{0});
  Handle group = detail::open_object(s.file, s.path);
  s.complete_frames = {TWINSIM_H5(H5Aopen, s.path + " attribute complete_frames", group.get(),
                                  "complete_frames", H5P_DEFAULT),
                       H5Aclose};
  file.flush();
}

TimeSeries::TimeSeries(TimeSeries&&) noexcept = default;
TimeSeries& TimeSeries::operator=(TimeSeries&&) noexcept = default;
TimeSeries::~TimeSeries() = default;

std::uint64_t TimeSeries::frames() const { return m_impl->frames; }
const std::string& TimeSeries::path() const { return m_impl->path; }

template <class T>
FrameView TimeSeries::append(const T* h_values, std::int64_t step, double time) {
  if (m_impl->spec.variable_rows)
    throw core::Error(fmt::format("{}: rows change between frames; pass the row count",
                                  m_impl->path));
  return append(h_values, m_impl->spec.frame_shape[0], step, time);
}

template <class T>
FrameView TimeSeries::append(const T* h_values, std::uint64_t rows, std::int64_t step,
                             double time) {
  Impl& s = *m_impl;
  if (!s.spec.variable_rows && rows != s.spec.frame_shape[0])
    throw core::Error(fmt::format("{}: frames have {} rows, got {}", s.path,
                                  s.spec.frame_shape[0], rows));
  Shape count = s.spec.frame_shape;
  count[0] = rows;
  const std::string value = s.path + "/value";
  detail::write_frame(s.value.get(), value, s.frames, count, dtype_of<T>(), h_values);
  detail::write_frame(s.step.get(), s.path + "/step", s.frames, {}, DType::i64, &step);
  detail::write_frame(s.time.get(), s.path + "/time", s.frames, {}, DType::f64, &time);
  FrameView view{frame_view_path(s.path, s.frames),
                 s.spec.view_shape.empty() ? count : s.spec.view_shape, s.spec.type};
  if (s.spec.frame_views) {
    const detail::Block block = detail::frame_block(s.frames, count);
    detail::create_view(s.file, s.value.get(), value, view.path, block.start, block.count,
                        view.shape, s.spec.type);
  } else {
    view.path.clear();
  }
  // The frame is on disk before append returns: a run killed later keeps it. HDF5 may evict
  // metadata (a grown extent) before the flush, so a killed run's datasets can hold a partial
  // last frame; complete_frames, raised only after the flush, says which frames are whole.
  TWINSIM_H5(H5Fflush, s.path, s.file, H5F_SCOPE_LOCAL);
  ++s.frames;
  const std::int64_t complete = std::int64_t(s.frames);
  TWINSIM_H5(H5Awrite, s.path + " attribute complete_frames", s.complete_frames.get(),
             H5T_NATIVE_INT64, &complete);
  TWINSIM_H5(H5Fflush, s.path, s.file, H5F_SCOPE_LOCAL);
  return view;
}

std::uint64_t series_bytes(std::uint64_t frames, std::uint64_t frame_bytes) {
  const auto round_up = [](std::uint64_t x, std::uint64_t m) { return (x + m - 1) / m * m; };
  frames = std::max<std::uint64_t>(frames, 1);
  const std::uint64_t per_chunk = std::max<std::uint64_t>(
      1, detail::k_max_batch_bytes / std::max<std::uint64_t>(frame_bytes, 1));
  const std::uint64_t steps_per_chunk = detail::k_max_batch_bytes / 8;
  // Each frame's view (a virtual dataset's header, ~1 KiB) and the group's own headers.
  constexpr std::uint64_t k_view_bytes = 1024, k_group_bytes = 4096;
  const double bytes = double(round_up(frames, per_chunk)) * double(frame_bytes) +
                      2.0 * double(round_up(frames, steps_per_chunk)) * 8 +
                      double(frames) * k_view_bytes + k_group_bytes;
  return bytes < 0x1p56 ? std::uint64_t(bytes) : std::uint64_t(1) << 56;
}

std::uint64_t checksum_of(const void* bytes, std::size_t size, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (std::size_t i = 0; i < size; ++i) seed = (seed ^ p[i]) * 1099511628211ull;
  return seed;
}

std::uint64_t dataset_checksum(const H5File& file, const std::string& dataset_path) {
  Handle dataset = detail::open_dataset(file.id(), dataset_path);
  Handle stored{TWINSIM_H5(H5Dget_type, dataset_path, dataset.get()), H5Tclose};
  Handle native{TWINSIM_H5(H5Tget_native_type, dataset_path, stored.get(), H5T_DIR_ASCEND),
                H5Tclose};
  const std::size_t size = H5Tget_size(native.get());
  const std::uint64_t count = element_count(detail::dataset_shape(dataset.get(), dataset_path));
  std::vector<unsigned char> bytes(count * size);
  if (count > 0)
    TWINSIM_H5(H5Dread, dataset_path, dataset.get(), native.get(), H5S_ALL, H5S_ALL,
               H5P_DEFAULT, bytes.data());
  return checksum_of(bytes.data(), bytes.size());
}

bool has_checksums(const H5File& file, const std::string& dataset_path) {
  const auto fletcher32 = [&](hid_t dataset, const std::string& path) {
    Handle dcpl{TWINSIM_H5(H5Dget_create_plist, path, dataset), H5Pclose};
    return H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_FLETCHER32, nullptr, nullptr, nullptr, 0,
                                nullptr, nullptr) >= 0;
  };
  H5Eclear2(H5E_DEFAULT);  // H5Pget_filter_by_id2 leaves an error when the filter is absent
  Handle dataset = detail::open_dataset(file.id(), dataset_path);
  Handle dcpl{TWINSIM_H5(H5Dget_create_plist, dataset_path, dataset.get()), H5Pclose};
  bool checked = true;
  if (H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) {  // twinsim gather's joined datasets
    std::size_t count = 0;
    TWINSIM_H5(H5Pget_virtual_count, dataset_path, dcpl.get(), &count);
    for (std::size_t i = 0; i < count && checked; ++i) {
      std::string file_name(1024, '\0'), source(1024, '\0');
      H5Pget_virtual_filename(dcpl.get(), i, file_name.data(), file_name.size());
      H5Pget_virtual_dsetname(dcpl.get(), i, source.data(), source.size());
      source.resize(source.find('\0'));
      checked = file_name.c_str() == std::string(".") && file.exists(source) &&
                fletcher32(detail::open_dataset(file.id(), source).get(), source);
    }
    if (count == 0) checked = false;
  } else {
    checked = fletcher32(dataset.get(), dataset_path);
  }
  H5Eclear2(H5E_DEFAULT);
  return checked;
}

std::map<std::string, std::uint64_t> series_frames(const H5File& file) {
  std::map<std::string, std::uint64_t> frames;
  const auto visit = [](hid_t object, const char* name, const H5O_info_t* info,
                        void* data) -> herr_t {
    if (info->type != H5O_TYPE_GROUP ||
        H5Aexists_by_name(object, name, "complete_frames", H5P_DEFAULT) <= 0)
      return 0;
    // Visited names are relative to the root: the series "/a/b" comes as "a/b" (root as ".").
    std::int64_t n = 0;
    const Handle group{H5Oopen(object, name, H5P_DEFAULT), H5Oclose};
    const Handle attribute{H5Aopen(group.get(), "complete_frames", H5P_DEFAULT), H5Aclose};
    if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &n) < 0) return -1;
    (*static_cast<std::map<std::string, std::uint64_t>*>(data))[std::string("/") + name] =
        std::uint64_t(n);
    return 0;
  };
  TWINSIM_H5(H5Ovisit2, file.path().string(), file.id(), H5_INDEX_NAME, H5_ITER_INC, visit,
             &frames, H5O_INFO_BASIC);
  return frames;
}

void rewind_series(H5File& file, const std::string& series_path, std::uint64_t frames) {
  const std::uint64_t complete =
      std::uint64_t(file.attribute_as<std::int64_t>(series_path, "complete_frames"));
  if (frames > complete)
    throw core::Error(fmt::format("{}: {} frames asked for, only {} were written", series_path,
                                  frames, complete));
  for (const char* name : {"/value", "/step", "/time"}) {
    const std::string path = series_path + name;
    Handle dataset = detail::open_dataset(file.id(), path);
    const Shape shape = detail::dataset_shape(dataset.get(), path);
    std::vector<hsize_t> extent(shape.begin(), shape.end());
    extent[0] = frames;
    TWINSIM_H5(H5Dset_extent, path, dataset.get(), extent.data());
  }
  for (std::uint64_t t = frames;; ++t) {
    const std::string view = frame_view_path(series_path, t);
    if (!file.exists(view)) break;
    TWINSIM_H5(H5Ldelete, view, file.id(), view.c_str(), H5P_DEFAULT);
  }
  file.set_attribute(series_path, "complete_frames", std::int64_t(frames));
  file.flush();
}

TWINSIM_INSTANTIATE(float)
TWINSIM_INSTANTIATE(double)
TWINSIM_INSTANTIATE(std::int32_t)
TWINSIM_INSTANTIATE(std::int64_t)
#undef TWINSIM_INSTANTIATE

// ---------------------------------------------------------------------------------------------
// FieldSeries

namespace {
TimeSeries::Spec field_spec(const Shape& grid, unsigned components, DType type,
                            std::string units, std::string time_units) {
  if (grid.size() != 2 && grid.size() != 3)
    throw core::Error(fmt::format("a grid field is 2D or 3D, got {} axes", grid.size()));
  if (components != 1 && components != 3)
    throw core::Error(fmt::format("a grid field is scalar or a 3-vector, got {} components",
                                  components));
  Shape frame = grid;
  if (components == 3) frame.push_back(3);
  Shape view;
  if (grid.size() == 2) {
    view = frame;
    view.insert(view.begin(), 1);
  }
  return {frame, type, std::move(units), std::move(time_units), "units", false, view};
}
}  // namespace

FieldSeries::FieldSeries(H5File& file, const std::string& name, const Shape& grid,
                         unsigned components, DType type, std::string units,
                         std::string time_units)
    : TimeSeries(file, "/fields/" + name,
                 field_spec(grid, components, type, std::move(units), std::move(time_units))) {}

// ---------------------------------------------------------------------------------------------
// ParticleSeries (H5MD 1.1)

namespace {
// Writes the /h5md header if absent and the box group's attributes; returns the group path.
std::string h5md_particle_group(H5File& file, const std::string& group,
                                const std::array<bool, 3>& periodic, const std::string& author) {
  if (!file.exists("/h5md")) {
    file.create_group("/h5md/creator");
    file.create_group("/h5md/author");
    file.set_attribute("/h5md", "version", std::vector<std::int64_t>{1, 1});
    file.set_attribute("/h5md/creator", "name", "Twinsim");
    file.set_attribute("/h5md/creator", "version", core::version());
    file.set_attribute("/h5md/author", "name", author);
  }
  const std::string path = "/particles/" + group;
  file.create_group(path + "/box");
  file.set_attribute(path + "/box", "dimension", std::int64_t{3});
  std::vector<std::string> boundary;
  for (bool p : periodic) boundary.emplace_back(p ? "periodic" : "none");
  file.set_attribute(path + "/box", "boundary", boundary);
  return path;
}
}  // namespace

ParticleSeries::ParticleSeries(H5File& file, std::string group,
                               const std::array<bool, 3>& periodic, std::string length_units,
                               std::string time_units, const std::string& author)
    : m_file(&file),
      m_group(h5md_particle_group(file, group, periodic, author)),
      m_time_units(std::move(time_units)),
      m_edges(file, m_group + "/box/edges",
              {{3, 3}, DType::f64, std::move(length_units), m_time_units, "unit", false, {}}) {}

void ParticleSeries::append_edges(const std::array<double, 3>& edges, std::int64_t step,
                                  double time) {
  const double matrix[9] = {edges[0], 0, 0, 0, edges[1], 0, 0, 0, edges[2]};
  m_edges.append(matrix, step, time);
}

TimeSeries& ParticleSeries::add(const std::string& name, unsigned components, DType type,
                                std::string units, std::uint64_t expected_count) {
  Shape frame{std::max<std::uint64_t>(expected_count, 1)};
  if (components > 1) frame.push_back(components);
  m_elements.emplace_back(
      name, std::make_unique<TimeSeries>(
                *m_file, m_group + "/" + name,
                TimeSeries::Spec{frame, type, std::move(units), m_time_units, "unit", true}));
  return *m_elements.back().second;
}

TimeSeries& ParticleSeries::operator[](const std::string& name) {
  for (auto& [n, series] : m_elements)
    if (n == name) return *series;
  throw core::Error(fmt::format("{} has no element {}", m_group, name));
}

FrameView ParticleSeries::connectivity(std::uint64_t n) {
  const std::string table = "/xdmf" + m_group + "/index";
  const std::string view = fmt::format("/xdmf{}/connectivity/{}", m_group, n);
  if (!m_file->exists(table))
    detail::create_series_dataset(m_file->id(), table, {}, DType::i64, false);
  Handle dataset = detail::open_dataset(m_file->id(), table);
  if (n > m_index_rows) {
    // One table 0, 1, 2, ... grown to the largest count, viewed once per particle count.
    const hsize_t rows = n;
    TWINSIM_H5(H5Dset_extent, table, dataset.get(), &rows);
    Handle file_space{TWINSIM_H5(H5Dget_space, table, dataset.get()), H5Sclose};
    detail::select_block(file_space.get(), {m_index_rows}, {n - m_index_rows}, table);
    std::vector<std::int64_t> index(n - m_index_rows);
    for (std::size_t i = 0; i < index.size(); ++i)
      index[i] = static_cast<std::int64_t>(m_index_rows + i);
    Handle memory_space = detail::simple_space({index.size()});
    TWINSIM_H5(H5Dwrite, table, dataset.get(), H5T_NATIVE_INT64, memory_space.get(),
               file_space.get(), H5P_DEFAULT, index.data());
    m_index_rows = n;
  }
  if (!m_file->exists(view)) {
    detail::create_view(m_file->id(), dataset.get(), table, view, {0}, {n}, {n}, DType::i64);
    m_file->flush();
  }
  return {view, {n}, DType::i64};
}

}  // namespace twinsim::io
