// twinsim gather's work: the run folders of a job array copied into one HDF5 file.
#include "twinsim/io/Gather.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/RunDirectory.hpp"

namespace twinsim::io {

namespace {

namespace fs = std::filesystem;

hid_t h5(hid_t result, const std::string& what) {
  if (result < 0) throw core::Error("HDF5: " + what + " failed");
  return result;
}

// Closes an HDF5 id with its H5?close on scope exit.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() { close(id); }
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string toml_text(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& n) { out << n; });
  return out.str();
}

// A case value as an attribute: an integer, a float, a string, or else its TOML text.
AttributeValue attribute_value(const toml::node& node) {
  if (auto v = node.value_exact<std::int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;
  if (auto v = node.value_exact<std::string>()) return *v;
  return toml_text(node);
}

void flatten(const toml::table& table, const std::string& prefix, GatherRun& m) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (const toml::table* t = node.as_table()) {
      flatten(*t, name + ".", m);
    } else {
      m.keys[name] = toml_text(node);
      m.values[name] = attribute_value(node);
    }
  }
}

std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  h5(H5Aiterate2(
         object, H5_INDEX_NAME, H5_ITER_INC, nullptr,
         [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
           static_cast<std::vector<std::string>*>(data)->emplace_back(name);
           return 0;
         },
         &names),
     "listing attributes");
  return names;
}

std::vector<std::string> link_names(hid_t group) {
  H5G_info_t info;
  h5(H5Gget_info(group, &info), "H5Gget_info");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        h5(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT),
           "H5Lget_name_by_idx");
    std::string name(std::size_t(size) + 1, '\0');
    h5(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                          H5P_DEFAULT),
       "H5Lget_name_by_idx");
    name.resize(std::size_t(size));
    names.push_back(name);
  }
  return names;
}

// Every attribute of src onto dst, in its own type (H5Ocopy of attributes in dense storage with
// variable-length strings crashes HDF5 1.10.8, so objects are copied without them).
void copy_attributes(hid_t src, hid_t dst) {
  for (const std::string& name : attribute_names(src)) {
    const Id a{h5(H5Aopen(src, name.c_str(), H5P_DEFAULT), "H5Aopen " + name), H5Aclose};
    const Id type{h5(H5Aget_type(a.id), "H5Aget_type"), H5Tclose};
    const Id memory{h5(H5Tget_native_type(type.id, H5T_DIR_DEFAULT), "native type"), H5Tclose};
    const Id space{h5(H5Aget_space(a.id), "H5Aget_space"), H5Sclose};
    const hssize_t n = H5Sget_simple_extent_npoints(space.id);
    std::vector<char> buffer(std::size_t(n) * H5Tget_size(memory.id));
    const Id b{h5(H5Acreate2(dst, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT),
                  "H5Acreate2 " + name),
               H5Aclose};
    if (n == 0) continue;  // an empty list: created, nothing to read or write (null buffer)
    h5(H5Aread(a.id, memory.id, buffer.data()), "H5Aread " + name);
    h5(H5Awrite(b.id, memory.id, buffer.data()), "H5Awrite " + name);
    if (H5Tdetect_class(memory.id, H5T_VLEN) > 0 || H5Tis_variable_str(memory.id) > 0)
      H5Dvlen_reclaim(memory.id, space.id, H5P_DEFAULT, buffer.data());
  }
}

// The attributes of src_path and of everything below it onto the same objects under dst_path.
void copy_attribute_tree(hid_t in, const std::string& src_path, hid_t out,
                         const std::string& dst_path) {
  const Id src{h5(H5Oopen(in, src_path.c_str(), H5P_DEFAULT), "H5Oopen " + src_path), H5Oclose};
  const Id dst{h5(H5Oopen(out, dst_path.c_str(), H5P_DEFAULT), "H5Oopen " + dst_path), H5Oclose};
  copy_attributes(src.id, dst.id);
  if (H5Iget_type(src.id) != H5I_GROUP) return;
  const std::string sep = src_path == "/" ? "" : "/";
  for (const std::string& link : link_names(src.id))
    if (!(src_path == "/" && link == "xdmf"))
      copy_attribute_tree(in, src_path + sep + link, out, dst_path + "/" + link);
}

// The run's file under /members/<name>: every root object but the frame views (/xdmf), with
// their attributes and the root's, each series cut to its whole frames.
void copy_member(H5File& out, const GatherRun& m) {
  const std::string group = "/members/" + m.name;
  const H5File in = H5File::open(m.dir / (m.name + ".h5"));
  out.create_group(group);
  const Id ocpypl{h5(H5Pcreate(H5P_OBJECT_COPY), "H5Pcreate"), H5Pclose};
  h5(H5Pset_copy_object(ocpypl.id, H5O_COPY_WITHOUT_ATTR_FLAG), "H5Pset_copy_object");
  for (const std::string& link : link_names(in.id())) {
    if (link == "xdmf") continue;  // virtual datasets of the frames, for .xmf sidecars only
    h5(H5Ocopy(in.id(), link.c_str(), out.id(), (group + "/" + link).c_str(), ocpypl.id,
               H5P_DEFAULT),
       fmt::format("copying {} of {}", link, in.path().string()));
  }
  copy_attribute_tree(in.id(), "/", out.id(), group);
  for (const auto& [series, frames] : series_frames(in))
    if (in.shape(series + "/value").at(0) != frames) rewind_series(out, group + series, frames);
  out.set_attribute(group, "run_dir", m.dir.string());
  out.set_attribute(group, "status", m.status);
  out.set_attribute(group, "case", m.case_text);
  if (!m.summary.empty()) out.set_attribute(group, "summary", m.summary);
}

void write_table(H5File& out, const std::vector<GatherRun>& members,
                 const std::vector<std::string>& swept) {
  std::vector<std::string> names, dirs, statuses;
  for (const GatherRun& m : members) {
    names.push_back(m.name);
    dirs.push_back(m.dir.string());
    statuses.push_back(m.status);
  }
  out.set_attribute("/members", "names", names);
  out.set_attribute("/members", "run_dirs", dirs);
  out.set_attribute("/members", "statuses", statuses);
  out.set_attribute("/members", "swept_keys", swept);
  std::vector<double> errors, costs;
  for (const GatherRun& m : members) {
    errors.push_back(m.test_error);
    costs.push_back(m.cost_s);
  }
  out.set_attribute("/members", "test_error", errors);
  out.set_attribute("/members", "cost_s", costs);
  const std::ptrdiff_t best = best_model(members);
  out.set_attribute("/members", "best", best < 0 ? std::string() : members[best].name);
  for (const std::string& key : swept) {
    std::vector<AttributeValue> column;
    for (const GatherRun& m : members) {
      const auto it = m.values.find(key);
      column.push_back(it == m.values.end() ? AttributeValue(std::string()) : it->second);
      out.set_attribute("/members/" + m.name, "swept." + key, column.back());
    }
    const auto all_are = [&](std::size_t kind) {
      return std::all_of(column.begin(), column.end(),
                         [&](const AttributeValue& a) { return a.index() == kind; });
    };
    std::vector<std::int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> texts;
    for (const AttributeValue& a : column) {
      if (const auto* i = std::get_if<std::int64_t>(&a)) {
        ints.push_back(*i);
        texts.push_back(std::to_string(*i));
      } else if (const auto* f = std::get_if<double>(&a)) {
        floats.push_back(*f);
        texts.push_back(fmt::format("{}", *f));
      } else {
        texts.push_back(std::get<std::string>(a));
      }
    }
    if (all_are(2))
      out.set_attribute("/members", key, ints);
    else if (all_are(1))
      out.set_attribute("/members", key, floats);
    else
      out.set_attribute("/members", key, texts);
  }
}

// Why the members' spectral trajectories cannot be one training set, or "" when they can.
std::string spectral_mismatch(const H5File& out, const std::vector<GatherRun>& members) {
  const std::set<std::string> per_run = {"first_sample", "samples", "seeds"};
  const std::string first = "/members/" + members[0].name;
  for (const GatherRun& m : members) {
    const std::string g = "/members/" + m.name;
    if (m.solver != "spectral") return m.name + " is not a spectral run";
    if (!out.exists(g + "/vorticity/value")) return m.name + " has no /vorticity/value";
    Shape a = out.shape(g + "/vorticity/value"), b = out.shape(first + "/vorticity/value");
    a[0] = b[0] = 0;
    if (a != b) return m.name + "'s trajectories differ in shape from " + members[0].name + "'s";
    const Id da{h5(H5Dopen2(out.id(), (g + "/vorticity/value").c_str(), H5P_DEFAULT), "open"),
                H5Dclose};
    const Id db{h5(H5Dopen2(out.id(), (first + "/vorticity/value").c_str(), H5P_DEFAULT), "open"),
                H5Dclose};
    const Id ta{H5Dget_type(da.id), H5Tclose}, tb{H5Dget_type(db.id), H5Tclose};
    if (H5Tequal(ta.id, tb.id) <= 0) return m.name + " stores another precision";
    const Id group{h5(H5Oopen(out.id(), (g + "/vorticity").c_str(), H5P_DEFAULT), "open"),
                   H5Oclose};
    for (const std::string& a : attribute_names(group.id))
      if (a != "complete_frames" && !per_run.count(a) &&
          out.attribute(g + "/vorticity", a) != out.attribute(first + "/vorticity", a))
        return fmt::format("{} and {} differ in {}", members[0].name, m.name, a);
    if (out.read<double>(g + "/snapshot_time").values !=
        out.read<double>(first + "/snapshot_time").values)
      return fmt::format("{} and {} differ in /snapshot_time", members[0].name, m.name);
  }
  return "";
}

// dataset = the members' datasets at relative path concatenated along axis 0, as a virtual
// dataset over the copies in this file.
void concatenate(H5File& out, const std::vector<GatherRun>& members, const std::string& path) {
  std::vector<hsize_t> dims;
  hid_t type = -1;
  for (const GatherRun& m : members) {
    const Shape s = out.shape("/members/" + m.name + path);
    if (dims.empty()) dims.assign(s.begin(), s.end()), dims[0] = 0;
    dims[0] += s[0];
  }
  const Id space{h5(H5Screate_simple(int(dims.size()), dims.data(), nullptr), "space"), H5Sclose};
  const Id dcpl{h5(H5Pcreate(H5P_DATASET_CREATE), "dcpl"), H5Pclose};
  std::vector<hsize_t> start(dims.size(), 0);
  for (const GatherRun& m : members) {
    const std::string source = "/members/" + m.name + path;
    const Id dataset{h5(H5Dopen2(out.id(), source.c_str(), H5P_DEFAULT), "open " + source),
                     H5Dclose};
    if (type < 0) type = H5Dget_type(dataset.id);
    const Id source_space{h5(H5Dget_space(dataset.id), "space"), H5Sclose};
    std::vector<hsize_t> count(dims.size());
    H5Sget_simple_extent_dims(source_space.id, count.data(), nullptr);
    h5(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
       "select");
    h5(H5Pset_virtual(dcpl.id, space.id, ".", source.c_str(), source_space.id),
       "H5Pset_virtual " + path);
    start[0] += count[0];
  }
  h5(H5Sselect_all(space.id), "select");
  const Id t{type, H5Tclose};
  const Id dataset{
      h5(H5Dcreate2(out.id(), path.c_str(), t.id, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT),
         "creating " + path),
      H5Dclose};
}

// /vorticity and /snapshot_time over every member: one training set of this many trajectories.
std::size_t write_training_set(H5File& out, const std::vector<GatherRun>& members) {
  const std::string first = "/members/" + members[0].name;
  out.create_group("/vorticity");
  for (const char* part : {"/vorticity/value", "/vorticity/step", "/vorticity/time"})
    concatenate(out, members, part);
  const Id group{h5(H5Oopen(out.id(), (first + "/vorticity").c_str(), H5P_DEFAULT), "open"),
                 H5Oclose};
  std::vector<std::int64_t> seeds;
  for (const GatherRun& m : members) {
    const auto s =
        out.attribute_as<std::vector<std::int64_t>>("/members/" + m.name + "/vorticity", "seeds");
    seeds.insert(seeds.end(), s.begin(), s.end());
  }
  for (const std::string& a : attribute_names(group.id))
    if (a != "first_sample")
      out.set_attribute("/vorticity", a, out.attribute(first + "/vorticity", a));
  out.set_attribute("/vorticity", "samples", std::int64_t(seeds.size()));
  out.set_attribute("/vorticity", "complete_frames", std::int64_t(seeds.size()));
  out.set_attribute("/vorticity", "seeds", seeds);
  std::vector<std::string> names;
  for (const GatherRun& m : members) names.push_back(m.name);
  out.set_attribute("/vorticity", "members", names);
  const Array<double> times = out.read<double>(first + "/snapshot_time");
  out.write("/snapshot_time", times.values.data(), times.shape);
  return seeds.size();
}

}  // namespace

GatherRun read_gather_run(const fs::path& dir) {
  constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
  GatherRun m;
  m.dir = dir;
  if (!fs::is_regular_file(dir / "case.toml"))
    throw core::Error(fmt::format("{}: no case.toml: not a run folder", dir.string()));
  m.case_text = read_text(dir / "case.toml");
  toml::table table;
  try {
    table = toml::parse(m.case_text, (dir / "case.toml").string());
  } catch (const toml::parse_error& e) {
    throw core::Error(e.what());  // toml++ stays in io: its error becomes ours, same text
  }
  m.name = table["run"]["name"].value_or(std::string());
  m.solver = table["run"]["solver"].value_or(std::string());
  flatten(table, "", m);
  m.keys.erase("run.name");
  if (fs::is_regular_file(dir / "summary.json")) {
    m.summary = read_text(dir / "summary.json");
    std::smatch match;  // the top-level "status" (summary.json indents its members by 2)
    m.status = std::regex_search(m.summary, match, std::regex("\n  \"status\": \"([^\"]*)\""))
                   ? match[1].str()
                   : "no status in summary.json";
  } else {
    m.status = "no summary.json";
  }
  // A summary.json that is not JSON made the run incomplete above (no status).
  const auto number = [&](const char* key) {
    try {
      if (!m.summary.empty()) return json_number(m.summary, key).value_or(k_nan);
    } catch (const core::Error&) {
    }
    return k_nan;
  };
  m.test_error = number("train.final_test_loss");
  m.cost_s = number("timing.total_s");
  if (m.status != "ok") m.incomplete.push_back("status " + m.status);
  const fs::path h5_path = dir / (m.name + ".h5");
  if (!fs::is_regular_file(h5_path))
    throw core::Error(fmt::format("{}: no {}.h5", dir.string(), m.name));
  const H5File file = H5File::open(h5_path);
  for (const auto& [series, frames] : series_frames(file)) {
    const std::uint64_t stored = file.shape(series + "/value").at(0);
    if (stored != frames)
      m.incomplete.push_back(
          fmt::format("{} holds {} frames of which {} are whole", series, stored, frames));
  }
  return m;
}

std::vector<GatherRun> read_gather_runs(const std::vector<fs::path>& dirs) {
  std::vector<GatherRun> runs;
  std::set<std::string> names;
  for (const fs::path& dir : dirs) {
    runs.push_back(read_gather_run(dir));
    if (!names.insert(runs.back().name).second)
      throw core::Error(fmt::format("{}: a second run named {}", dir.string(), runs.back().name));
  }
  return runs;
}

std::vector<std::string> swept_keys(const std::vector<GatherRun>& runs) {
  std::set<std::string> all;
  for (const GatherRun& m : runs)
    for (const auto& [key, node] : m.keys) all.insert(key);
  std::vector<std::string> swept;
  for (const std::string& key : all) {
    const auto text = [&](const GatherRun& m) {
      const auto it = m.keys.find(key);
      return it == m.keys.end() ? std::string("(absent)") : it->second;
    };
    for (const GatherRun& m : runs)
      if (text(m) != text(runs[0])) {
        swept.push_back(key);
        break;
      }
  }
  return swept;
}

std::ptrdiff_t best_model(const std::vector<GatherRun>& runs) {
  std::ptrdiff_t best = -1;
  const auto cost = [](const GatherRun& m) {
    return std::isnan(m.cost_s) ? std::numeric_limits<double>::infinity() : m.cost_s;
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const GatherRun& m = runs[i];
    if (std::isnan(m.test_error)) continue;
    if (best < 0 || m.test_error < runs[best].test_error ||
        (m.test_error == runs[best].test_error && cost(m) < cost(runs[best])))
      best = std::ptrdiff_t(i);
  }
  return best;
}

GatherReport gather_runs(const fs::path& out_path, const std::vector<GatherRun>& runs) {
  if (runs.empty()) throw core::Error("gather: no run folders to gather");
  GatherReport report;
  report.runs = runs.size();
  report.swept_keys = swept_keys(runs);
  report.best = best_model(runs);
  write_through_temporary(out_path, [&](const fs::path& temporary) {
    H5File out = H5File::create(temporary);
    out.set_attribute("/", "gathered_runs", std::int64_t(runs.size()));
    for (const GatherRun& m : runs) copy_member(out, m);
    write_table(out, runs, report.swept_keys);
    const std::string mismatch = spectral_mismatch(out, runs);
    if (mismatch.empty()) {
      report.training_set = true;
      report.trajectories = write_training_set(out, runs);
    } else if (runs[0].solver == "spectral") {
      report.no_training_set = mismatch;
    }
    out.flush();
  });
  return report;
}

}  // namespace twinsim::io
