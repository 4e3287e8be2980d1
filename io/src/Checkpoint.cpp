#include "twinsim/io/Checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::io {

namespace fs = std::filesystem;

namespace {

// What an array of T is stored as: a type HDF5 keeps bit for bit, and how many of them.
template <class T>
struct Stored {
  using type = T;
  static constexpr std::size_t per_value = 1;
};
template <>
struct Stored<std::uint32_t> {
  using type = std::int32_t;
  static constexpr std::size_t per_value = 1;
};
template <>
struct Stored<std::uint64_t> {
  using type = std::int64_t;
  static constexpr std::size_t per_value = 1;
};
template <class R>
struct Stored<std::complex<R>> {
  using type = R;
  static constexpr std::size_t per_value = 2;
};

std::string state_path(const std::string& name) { return "/state/" + name; }

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The step in a checkpoint file name step_<step>.h5, or -1 for any other name.
std::int64_t step_of(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.size() < 9 || name.rfind("step_", 0) != 0 || file.extension() != ".h5") return -1;
  const std::string digits = name.substr(5, name.size() - 8);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

// The whole-file checksum kept beside a checkpoint: "<FNV-1a 64 in hex> <bytes>\n" in
// step_<step>.h5.sum. Checked before HDF5 opens the file: Debian's HDF5 1.10.8 crashes or hangs
// on some damaged files (tests/fuzz/library_findings), so a damaged checkpoint must not reach it.
fs::path checksum_file_of(const fs::path& checkpoint) { return checkpoint.string() + ".sum"; }

std::string file_checksum_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw core::Error(fmt::format("cannot read {}", file.string()));
  std::uint64_t sum = checksum_of(nullptr, 0), bytes = 0;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), std::streamsize(block.size()));
    const std::size_t got = std::size_t(in.gcount());
    sum = checksum_of(block.data(), got, sum);
    bytes += got;
  }
  return fmt::format("{:016x} {}\n", sum, bytes);
}

// Checkpoints written before the whole-file checksum existed have no .sum: they go to HDF5
// unchecked, as before.
void require_file_checksum(const fs::path& checkpoint) {
  const fs::path sum_file = checksum_file_of(checkpoint);
  std::error_code ec;
  if (!fs::exists(sum_file, ec)) return;
  std::ifstream in(sum_file);
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() != file_checksum_text(checkpoint))
    throw core::Error(fmt::format("the file does not match its checksum in {} (a damaged or "
                                  "truncated file; not opened)",
                                  sum_file.filename().string()));
}

// The first line where a and b differ, for messages.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = bool(std::getline(sa, la)), more_b = bool(std::getline(sb, lb));
    if (!more_a && !more_b) return "";
    if (!more_a || !more_b || la != lb)
      return fmt::format("line {}: checkpoint has '{}', this case has '{}'", line,
                         more_a ? la : "", more_b ? lb : "");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// State arrays

template <class T>
void StateWriter::put(const std::string& unprefixed, const T* h_values, std::size_t count) {
  const std::string name = m_prefix + unprefixed;
  using S = typename Stored<T>::type;
  const std::uint64_t n = count * Stored<T>::per_value;
  if (!m_file) {  // the divergence check
    if constexpr (std::is_floating_point_v<S>) {
      const S* values = reinterpret_cast<const S*>(h_values);
      if (!m_non_finite && count > 1)
        for (std::uint64_t i = 0; i < n; ++i)
          if (!std::isfinite(values[i])) {
            m_non_finite = NonFinite{name, std::size_t(i / Stored<T>::per_value),
                                     double(values[i])};
            break;
          }
    }
    return;
  }
  if constexpr (std::is_same_v<S, T>) {
    m_file->write(state_path(name), h_values, {n});
  } else {
    std::vector<S> bits(n);
    if (n > 0) std::memcpy(bits.data(), h_values, n * sizeof(S));
    m_file->write(state_path(name), bits.data(), {n});
  }
  m_arrays.push_back(name);
  m_checksums.push_back(std::int64_t(checksum_of(h_values, n * sizeof(S))));
}

void StateWriter::seal() {
  if (!m_file || m_arrays.empty()) return;  // HDF5 has no empty attribute arrays
  m_file->set_attribute("/state", "arrays", m_arrays);
  m_file->set_attribute("/state", "checksums", m_checksums);
}

void StateWriter::put(const std::string& unprefixed, const std::string& value) {
  if (!m_file) return;
  const std::string name = m_prefix + unprefixed;
  m_file->create_group(state_path(name));
  m_file->set_attribute(state_path(name), "text", value);
}

bool StateReader::has(const std::string& name) const {
  return m_file->exists(state_path(m_prefix + name));
}

StateReader StateReader::under(const std::string& prefix) const {
  StateReader r(*m_file);
  r.m_prefix = m_prefix + prefix;
  return r;
}

template <class T>
void StateReader::get(const std::string& unprefixed, T* h_values, std::size_t count) const {
  using S = typename Stored<T>::type;
  const std::string name = m_prefix + unprefixed;
  if (!has(unprefixed))
    throw core::Error(fmt::format("checkpoint {} has no {}", m_file->path().string(), name));
  const Array<S> a = m_file->read<S>(state_path(name));
  if (a.values.size() != count * Stored<T>::per_value)
    throw core::Error(fmt::format("checkpoint {}: {} holds {} values, this run needs {}",
                                  m_file->path().string(), name,
                                  a.values.size() / Stored<T>::per_value, count));
  if (count > 0) std::memcpy(static_cast<void*>(h_values), a.values.data(), count * sizeof(T));
}

template <class T>
std::vector<T> StateReader::get(const std::string& unprefixed) const {
  const std::string name = m_prefix + unprefixed;
  if (!has(unprefixed))
    throw core::Error(fmt::format("checkpoint {} has no {}", m_file->path().string(), name));
  std::vector<T> values(element_count(m_file->shape(state_path(name))) /
                        Stored<T>::per_value);
  get(unprefixed, values.data(), values.size());
  return values;
}

double StateReader::get_double(const std::string& name) const {
  double v = 0;
  get(name, &v, 1);
  return v;
}

std::int64_t StateReader::get_int(const std::string& name) const {
  std::int64_t v = 0;
  get(name, &v, 1);
  return v;
}

std::string StateReader::get_string(const std::string& unprefixed) const {
  const std::string name = m_prefix + unprefixed;
  if (!has(unprefixed))
    throw core::Error(fmt::format("checkpoint {} has no {}", m_file->path().string(), name));
  return m_file->attribute_as<std::string>(state_path(name), "text");
}

template <class T>
void split_again(const std::vector<const StateReader*>& parts, const std::string& name,
                 int fields, const std::function<Block3(int rank)>& written, const Block3& mine,
                 T* h_dst) {
  // The offset of cell `at` (global) in a stored block, and the stride of each global axis.
  const auto strides = [](const Block3& b) {
    std::array<std::size_t, 3> s{};
    std::size_t n = 1;
    for (int k = 0; k < 3; ++k) {
      s[b.order[k]] = n;
      n *= std::size_t(b.stored[b.order[k]]);
    }
    return s;
  };
  const std::array<std::size_t, 3> to_stride = strides(mine);
  std::vector<T> saved;
  for (int r = 0; r < int(parts.size()); ++r) {
    const Block3 b = written(r);
    std::array<int, 3> lo{}, hi{};
    bool meets = true;
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::max(b.begin[a], mine.begin[a]);
      hi[a] = std::min(b.end[a], mine.end[a]);
      meets = meets && lo[a] < hi[a];
    }
    if (!meets) continue;
    saved.resize(std::size_t(fields) * b.cells());
    parts[r]->get(name, saved.data(), saved.size());
    const std::array<std::size_t, 3> from_stride = strides(b);
    std::array<int, 3> at{};
    for (at[2] = lo[2]; at[2] < hi[2]; ++at[2])
      for (at[1] = lo[1]; at[1] < hi[1]; ++at[1])
        for (at[0] = lo[0]; at[0] < hi[0]; ++at[0]) {
          std::size_t from = 0, to = 0;
          for (int a = 0; a < 3; ++a) {
            from += std::size_t(at[a] - b.begin[a] + b.offset[a]) * from_stride[a];
            to += std::size_t(at[a] - mine.begin[a] + mine.offset[a]) * to_stride[a];
          }
          for (int k = 0; k < fields; ++k)
            h_dst[std::size_t(k) * mine.cells() + to] = saved[std::size_t(k) * b.cells() + from];
        }
  }
}

#define TWINSIM_INSTANTIATE(T)                                                               \
  template void StateWriter::put<T>(const std::string&, const T*, std::size_t);            \
  template void StateReader::get<T>(const std::string&, T*, std::size_t) const;             \
  template std::vector<T> StateReader::get<T>(const std::string&) const;                  \
  template void split_again<T>(const std::vector<const StateReader*>&, const std::string&,  \
                               int, const std::function<Block3(int)>&, const Block3&, T*);
TWINSIM_INSTANTIATE(float)
TWINSIM_INSTANTIATE(double)
TWINSIM_INSTANTIATE(std::int32_t)
TWINSIM_INSTANTIATE(std::int64_t)
TWINSIM_INSTANTIATE(std::uint32_t)
TWINSIM_INSTANTIATE(std::uint64_t)
TWINSIM_INSTANTIATE(std::complex<float>)
TWINSIM_INSTANTIATE(std::complex<double>)
#undef TWINSIM_INSTANTIATE

// ---------------------------------------------------------------------------------------------
// Policy

CheckpointPolicy CheckpointPolicy::from_case(const Case& c) {
  return {c.get_int("checkpoint.every_steps"), c.get_float("checkpoint.every_minutes"),
          c.get_int("checkpoint.keep")};
}

void add_checkpoint_schema(Schema& schema) {
  schema.section("checkpoint", "Checkpoints for --restart (checkpoints/step_<step>.h5 in the run "
                               "folder); a stop signal (SIGTERM, SIGINT, SIGUSR1) always writes one")
      .key_int("every_steps", "Steps between checkpoints; 0: not by steps")
      .default_value(0).at_least(0)
      .key_float("every_minutes", "Wall-clock minutes between checkpoints; 0: not by time")
      .default_value(0.0).at_least(0).unit("min")
      .key_int("keep", "Newest checkpoints kept; older ones are deleted")
      .default_value(2).at_least(1);
}

// ---------------------------------------------------------------------------------------------
// Writing

Checkpoints::Checkpoints(fs::path folder, CheckpointPolicy policy, CheckpointInfo info)
    : m_folder(std::move(folder)),
      m_policy(policy),
      m_info(std::move(info)),
      m_last_time_s(seconds_now()) {}

std::int64_t Checkpoints::next_step(std::int64_t step) const {
  if (m_policy.every_steps <= 0) return std::numeric_limits<std::int64_t>::max();
  return (step / m_policy.every_steps + 1) * m_policy.every_steps;
}

bool Checkpoints::due(std::int64_t step) const {
  const bool by_steps = m_policy.every_steps > 0 && step % m_policy.every_steps == 0;
  const bool by_clock = m_policy.every_minutes > 0 &&
                        seconds_now() - m_last_time_s >= 60.0 * m_policy.every_minutes;
  return (core::stop_requested() || by_steps || by_clock) && step != m_last_step;
}

bool Checkpoints::at_boundary(std::int64_t step, double time, const Save& save,
                              const H5File* output) {
  if (due(step)) write(step, time, save, output);
  return core::stop_requested();
}

fs::path Checkpoints::write(std::int64_t step, double time, const Save& save,
                            const H5File* output) {
  std::error_code ec;
  fs::create_directories(m_folder, ec);
  const fs::path target = m_folder / fmt::format("step_{:010d}.h5", step);
  write_through_temporary(target, [&](const fs::path& temporary) {
    H5File file = H5File::create(temporary);
    file.set_attribute("/", "kind", m_info.kind);
    file.set_attribute("/", "step", step);
    file.set_attribute("/", "time", time);
    file.set_attribute("/", "backend", m_info.backend);
    file.set_attribute("/", "case", m_info.case_text);
    file.set_attribute("/", "twinsim_version", core::version());
    file.set_attribute("/", "ranks", std::int64_t(m_info.ranks));
    file.create_group("/state");
    StateWriter writer(file);
    save(writer);
    writer.seal();
    std::vector<std::string> series;
    std::vector<std::int64_t> frames;
    if (output)
      for (const auto& [path, count] : series_frames(*output)) {
        series.push_back(path);
        frames.push_back(std::int64_t(count));
      }
    file.create_group("/output");
    file.set_attribute("/output", "count", std::int64_t(series.size()));
    if (!series.empty()) {  // HDF5 has no empty attribute arrays
      file.set_attribute("/output", "series", series);
      file.set_attribute("/output", "frames", frames);
    }
    file.flush();
  });
  // Written after the checkpoint's rename: a kill in between leaves a whole checkpoint without
  // a .sum (opened unchecked), never a .sum that a whole checkpoint fails.
  write_text_file(checksum_file_of(target), file_checksum_text(target));
  std::vector<fs::path> all = list_checkpoints(m_folder);
  for (std::size_t i = 0; i + std::size_t(m_policy.keep) < all.size(); ++i) {
    fs::remove(all[i], ec);
    fs::remove(checksum_file_of(all[i]), ec);
  }
  m_last = target;
  m_last_step = step;
  m_last_time_s = seconds_now();
  ++m_written;
  return target;
}

std::vector<fs::path> list_checkpoints(const fs::path& folder) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (step_of(it->path()) >= 0) found.push_back(it->path());
  std::sort(found.begin(), found.end(),
            [](const fs::path& a, const fs::path& b) { return step_of(a) < step_of(b); });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Restarting

namespace {

// Opens a checkpoint and checks that it is whole: the file matches its whole-file checksum
// before HDF5 sees it, its attributes read and every state array matches its checksum
// (checkpoints written before checksums existed have none to match).
H5File open_verified(const fs::path& path) {
  require_file_checksum(path);
  H5File file = H5File::open(path);
  for (const char* name : {"kind", "backend", "case"}) file.attribute_as<std::string>("/", name);
  file.attribute_as<std::int64_t>("/", "step");
  file.attribute_as<double>("/", "time");
  file.attribute_as<std::int64_t>("/output", "count");
  if (!file.exists("/state")) throw core::Error("no /state group");
  if (file.has_attribute("/state", "arrays")) {
    const auto arrays = file.attribute_as<std::vector<std::string>>("/state", "arrays");
    const auto sums = file.attribute_as<std::vector<std::int64_t>>("/state", "checksums");
    if (arrays.size() != sums.size()) throw core::Error("state checksums do not match arrays");
    for (std::size_t i = 0; i < arrays.size(); ++i)
      if (std::int64_t(dataset_checksum(file, state_path(arrays[i]))) != sums[i])
        throw core::Error(fmt::format("state array '{}' does not match its checksum (a damaged "
                                      "file)", arrays[i]));
  }
  return file;
}

H5File open_checkpoint(const fs::path& folder, const std::string& which,
                       std::vector<std::string>& skipped) {
  if (which != "latest") {
    if (!fs::exists(which)) throw core::Error(fmt::format("no checkpoint file {}", which));
    try {
      return open_verified(which);
    } catch (const core::Error& e) {
      throw core::Error(fmt::format("checkpoint {} is not usable: {}", which, e.what()));
    }
  }
  const std::vector<fs::path> all = list_checkpoints(folder);
  if (all.empty())
    throw core::Error(fmt::format("--restart latest: no checkpoint in {} (step_<step>.h5)",
                                  folder.string()));
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      return open_verified(*it);
    } catch (const core::Error& e) {
      skipped.push_back(fmt::format("{}: {}", it->string(), e.what()));
    }
  }
  std::string why;
  for (const std::string& s : skipped) why += "\n  " + s;
  throw core::Error(fmt::format("--restart latest: no usable checkpoint in {}:{}",
                                folder.string(), why));
}

}  // namespace

Restart::Restart(const fs::path& folder, const std::string& which)
    : m_file(open_checkpoint(folder, which, m_skipped)), m_state(m_file) {
  m_info.kind = m_file.attribute_as<std::string>("/", "kind");
  m_info.step = m_file.attribute_as<std::int64_t>("/", "step");
  m_info.time = m_file.attribute_as<double>("/", "time");
  m_info.backend = m_file.attribute_as<std::string>("/", "backend");
  m_info.case_text = m_file.attribute_as<std::string>("/", "case");
  m_info.ranks = m_file.has_attribute("/", "ranks")
                     ? int(m_file.attribute_as<std::int64_t>("/", "ranks"))
                     : 0;  // written before the rank count was recorded
}

void Restart::open_parts(const std::vector<fs::path>& rank_folders) {
  m_others.clear();
  m_state.m_parts = {&m_state};
  for (const fs::path& folder : rank_folders) {
    m_others.push_back(
        std::make_unique<Restart>(folder, (folder / path().filename()).string()));
    if (m_others.back()->step() != step())
      throw core::Error(fmt::format("{} is of step {}, {} of step {}",
                                    m_others.back()->path().string(), m_others.back()->step(),
                                    path().string(), step()));
    m_state.m_parts.push_back(&m_others.back()->state());
  }
}

void Restart::require(const std::string& kind, const Case& c) const {
  if (m_info.kind != kind)
    throw core::Error(fmt::format("checkpoint {} is of a {} run, not {}", path().string(),
                                  m_info.kind, kind));
  std::string theirs = m_info.case_text, ours = c.resolved_text();
  if (theirs == ours) return;
  try {  // the same case but for how it is split across ranks?
    theirs = Case::from_string(theirs, path().string(), c.schema())
                 .resolved_text(Case::Keys::physics);
    ours = c.resolved_text(Case::Keys::physics);
  } catch (const core::Error&) {  // not a case of this schema: the texts as they are
  }
  if (theirs != ours)
    throw core::Error(fmt::format("checkpoint {} was written for another case ({}); a restart "
                                  "continues the same case (only layout keys, such as "
                                  "lbm.processors, may change)",
                                  path().string(), first_difference(theirs, ours)));
}

H5File Restart::reopen_output(const fs::path& h5_path) const {
  const bool any = m_file.attribute_as<std::int64_t>("/output", "count") > 0;
  const auto series =
      any ? m_file.attribute_as<std::vector<std::string>>("/output", "series")
          : std::vector<std::string>{};
  const auto frames =
      any ? m_file.attribute_as<std::vector<std::int64_t>>("/output", "frames")
          : std::vector<std::int64_t>{};
  H5File output = H5File::open(h5_path, H5File::Mode::read_write);
  for (const auto& [path, count] : series_frames(output)) {
    // A series begun after the checkpoint keeps none of its frames.
    const auto at = std::find(series.begin(), series.end(), path);
    rewind_series(output, path, at == series.end() ? 0 : std::uint64_t(frames[at - series.begin()]));
  }
  return output;
}

}  // namespace twinsim::io
