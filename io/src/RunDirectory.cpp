#include "twinsim/io/RunDirectory.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <fstream>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::io {

namespace fs = std::filesystem;

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", int(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

std::string json_value(const Summary::Value& v) {
  struct Visitor {
    std::string operator()(double d) const {
      // fmt's default is the shortest text that reads back as the same double.
      return std::isfinite(d) ? fmt::format("{}", d) : "null";
    }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& s) const { return json_string(s); }
  };
  return std::visit(Visitor{}, v);
}

std::vector<std::string> split_dots(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

}  // namespace

void Summary::store(const std::string& dotted_key, Value value) {
  for (const auto& part : split_dots(dotted_key))
    TWINSIM_REQUIRE(!part.empty(), fmt::format("summary key '{}' has an empty part", dotted_key));
  // A key cannot be both a value and an object.
  const auto nests = [](const std::string& outer, const std::string& inner) {
    return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           inner[outer.size()] == '.';
  };
  for (const auto& entry : m_values)
    TWINSIM_REQUIRE(!nests(entry.first, dotted_key) && !nests(dotted_key, entry.first),
                    fmt::format("summary keys '{}' and '{}' clash", entry.first, dotted_key));
  m_values[dotted_key] = std::move(value);
}

std::string Summary::to_json() const {
  // Keys are sorted, so the members of one object are adjacent: walk them keeping the stack of
  // open objects, closing and opening as the path prefix changes.
  std::string out = "{";
  std::vector<std::string> open;
  bool first = true;
  for (const auto& [key, value] : m_values) {
    const auto parts = split_dots(key);
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    while (open.size() > common) {
      open.pop_back();
      out += fmt::format("\n{}}}", std::string(2 * (open.size() + 1), ' '));
      first = false;
    }
    for (std::size_t i = common; i + 1 < parts.size(); ++i) {
      out += fmt::format("{}\n{}{}: {{", first ? "" : ",", std::string(2 * (open.size() + 1), ' '),
                         json_string(parts[i]));
      open.push_back(parts[i]);
      first = true;
    }
    out += fmt::format("{}\n{}{}: {}", first ? "" : ",", std::string(2 * (open.size() + 1), ' '),
                       json_string(parts.back()), json_value(value));
    first = false;
  }
  while (!open.empty()) {
    open.pop_back();
    out += fmt::format("\n{}}}", std::string(2 * (open.size() + 1), ' '));
  }
  if (!m_warnings.empty()) {
    out += fmt::format("{}\n  \"warnings\": [", m_values.empty() ? "" : ",");
    for (std::size_t i = 0; i < m_warnings.size(); ++i)
      out += fmt::format("{}\n    {}", i ? "," : "", json_string(m_warnings[i]));
    out += "\n  ]";
  }
  return out + "\n}\n";
}

void Summary::warn(std::string message) {
  spdlog::warn("{}", message);
  m_warnings.push_back(std::move(message));
}

RunDirectory::RunDirectory(fs::path path, bool overwrite) : m_path(std::move(path)) {
  std::error_code ec;
  if (fs::exists(m_path / "case.toml", ec) && !overwrite)
    throw core::Error(fmt::format(
        "output folder '{}' already holds a run (case.toml exists); choose another --out or "
        "pass --overwrite to replace it",
        m_path.string()));
  fs::create_directories(m_path, ec);
  if (ec)
    throw core::Error(
        fmt::format("cannot create output folder '{}': {}", m_path.string(), ec.message()));
  lock();
  if (overwrite) fs::remove_all(checkpoints(), ec);
  fs::create_directories(m_path / "checkpoints", ec);
  if (ec)
    throw core::Error(
        fmt::format("cannot create output folder '{}': {}", m_path.string(), ec.message()));
  require_writable();
}

RunDirectory RunDirectory::existing(fs::path path, bool lock) {
  std::error_code ec;
  if (!fs::exists(path / "case.toml", ec))
    throw core::Error(fmt::format("--restart: '{}' holds no run (no case.toml); name the run "
                                  "folder with --out",
                                  path.string()));
  RunDirectory dir(std::move(path));
  dir.require_writable();
  if (lock) dir.lock();
  return dir;
}

namespace {
std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}
}  // namespace

void RunDirectory::lock() {
  const fs::path path = m_path / "twinsim.lock";
  const std::string host = this_host();
  const long pid = long(::getpid());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
      const std::string text = fmt::format("{} {}\n", host, pid);
      const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
      ::close(fd);
      if (!written) {
        std::error_code ec;
        fs::remove(path, ec);
        throw core::Error(fmt::format("cannot write the lock file '{}'", path.string()));
      }
      m_lock = std::shared_ptr<const fs::path>(new fs::path(path), [](const fs::path* p) {
        std::error_code ec;
        fs::remove(*p, ec);
        delete p;
      });
      return;
    }
    if (errno != EEXIST)
      throw core::Error(fmt::format("cannot create the lock file '{}': {}", path.string(),
                                    std::strerror(errno)));
    std::string holder_host;
    long holder_pid = 0;
    std::ifstream(path) >> holder_host >> holder_pid;
    if (holder_host == host && holder_pid == pid) return;  // this process holds it already
    const bool dead = holder_host.empty() || holder_pid <= 0 ||
                      (holder_host == host && ::kill(pid_t(holder_pid), 0) != 0 && errno == ESRCH);
    if (!dead)
      throw core::Error(fmt::format(
          "run folder '{}' is in use by process {} on {} (lock file {}); wait for that run to "
          "end or choose another --out{}",
          m_path.string(), holder_pid, holder_host, path.string(),
          holder_host == host ? "" : "; if that run is gone, remove the lock file"));
    spdlog::warn("taking over the lock of run folder '{}' from process {} on {}, which no "
                 "longer runs", m_path.string(), holder_pid, holder_host);
    std::error_code ec;
    fs::remove(path, ec);
  }
  throw core::Error(fmt::format("cannot take the lock file '{}'", path.string()));
}

void RunDirectory::require_writable() const {
  std::error_code ec;
  const fs::path probe = m_path / ".twinsim-write-test";
  if (!std::ofstream(probe))
    throw core::Error(fmt::format("output folder '{}' is not writable", m_path.string()));
  fs::remove(probe, ec);
}

void write_through_temporary(const fs::path& target,
                             const std::function<void(const fs::path&)>& write) {
  const fs::path tmp = target.string() + ".tmp";
  std::error_code ec;
  try {
    write(tmp);
    fs::rename(tmp, target, ec);
    if (ec)
      throw core::Error(fmt::format("cannot rename '{}' to '{}': {}", tmp.string(),
                                    target.string(), ec.message()));
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

void write_text_file(const fs::path& target, const std::string& text) {
  write_through_temporary(target, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw core::Error(fmt::format("cannot write '{}' (disk full?)", tmp.string()));
  });
}

void RunDirectory::write_text(const std::string& name, const std::string& text) const {
  write_text_file(file(name), text);
}

namespace {

// A minimal JSON reader for json_number: skips values, descends into objects by key.
class JsonCursor {
 public:
  explicit JsonCursor(const std::string& text) : m_text(text) {}

  // At a value: the number at `path` inside it (path[k..]), consuming the value.
  std::optional<double> find(const std::vector<std::string>& path, std::size_t k) {
    space();
    if (k == path.size()) {
      if (peek() == '-' || std::isdigit(static_cast<unsigned char>(peek()))) return number();
      skip_value();
      return std::nullopt;
    }
    if (peek() != '{') {
      skip_value();
      return std::nullopt;
    }
    ++m_pos;
    std::optional<double> found;
    for (space(); peek() != '}'; space()) {
      const std::string key = string();
      space();
      expect(':');
      if (key == path[k] && !found)
        found = find(path, k + 1);
      else
        skip_value();
      space();
      if (peek() == ',') ++m_pos;
    }
    ++m_pos;
    return found;
  }

 private:
  char peek() const {
    if (m_pos >= m_text.size()) throw core::Error("JSON: unexpected end of text");
    return m_text[m_pos];
  }
  void expect(char c) {
    if (peek() != c) throw core::Error(fmt::format("JSON: expected '{}' at {}", c, m_pos));
    ++m_pos;
  }
  void space() {
    while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos])))
      ++m_pos;
  }
  std::string string() {
    expect('"');
    std::string s;
    for (char c = peek(); c != '"'; c = peek()) {
      if (c == '\\') ++m_pos;  // the escaped character is kept as it is: keys are plain
      s += peek();
      ++m_pos;
    }
    ++m_pos;
    return s;
  }
  double number() {
    std::size_t used = 0;
    const double v = std::stod(m_text.substr(m_pos, 40), &used);
    m_pos += used;
    return v;
  }
  void skip_value() {
    space();
    const char c = peek();
    if (c == '"') {
      string();
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++m_pos;
      for (space(); peek() != close; space()) {
        if (c == '{') {
          string();
          space();
          expect(':');
        }
        skip_value();
        space();
        if (peek() == ',') ++m_pos;
      }
      ++m_pos;
    } else {  // number, true, false, null
      while (m_pos < m_text.size() && std::string(",}] \n\t\r").find(m_text[m_pos]) ==
                                          std::string::npos)
        ++m_pos;
    }
  }

  const std::string& m_text;
  std::size_t m_pos = 0;
};

}  // namespace

std::optional<double> json_number(const std::string& json, const std::string& dotted_key) {
  std::vector<std::string> path;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted_key.find('.', start)) != std::string::npos; start = dot + 1)
    path.push_back(dotted_key.substr(start, dot - start));
  path.push_back(dotted_key.substr(start));
  return JsonCursor(json).find(path, 0);
}

}  // namespace twinsim::io
