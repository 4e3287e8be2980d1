// twinsim sweep: a case with a [sweep] section -> one validated case file per task, for job
// arrays (hpc/slurm/sweep_array.sbatch); twinsim check validates every task of such a case.
#include "sweep.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"

namespace twinsim::app {

namespace {

namespace fs = std::filesystem;

toml::table parse_case(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw core::Error(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

// A swept value as a case value: a number, boolean, string, or an array of one kind.
std::optional<io::Value> case_value(const toml::node& node) {
  if (auto v = node.value_exact<std::int64_t>()) return io::Value(*v);
  if (auto v = node.value_exact<double>()) return io::Value(*v);
  if (auto v = node.value_exact<bool>()) return io::Value(*v);
  if (auto v = node.value_exact<std::string>()) return io::Value(*v);
  const toml::array* array = node.as_array();
  if (!array) return std::nullopt;
  if (array->is_homogeneous<std::int64_t>() && !array->empty()) {
    std::vector<std::int64_t> out;
    for (const toml::node& e : *array) out.push_back(*e.value_exact<std::int64_t>());
    return io::Value(out);
  }
  if (array->is_homogeneous<std::string>() && !array->empty()) {
    std::vector<std::string> out;
    for (const toml::node& e : *array) out.push_back(*e.value_exact<std::string>());
    return io::Value(out);
  }
  std::vector<double> out;  // floats, or integers and floats mixed
  for (const toml::node& e : *array) {
    if (!e.is_number()) return std::nullopt;
    out.push_back(*e.value<double>());
  }
  return io::Value(out);
}

// Lines first..last (1-based) of the [sweep] table and everything in it.
void sweep_lines(const toml::node& node, std::uint32_t& first, std::uint32_t& last) {
  const toml::source_region& at = node.source();
  if (at.begin.line > 0) first = std::min(first, at.begin.line);
  last = std::max({last, at.begin.line, at.end.line});
  if (const toml::table* t = node.as_table())
    for (const auto& [key, child] : *t) sweep_lines(child, first, last);
  if (const toml::array* a = node.as_array())
    for (const toml::node& child : *a) sweep_lines(child, first, last);
}

// The case text without its [sweep] lines; the other lines keep their numbers, so problems
// are reported where they are in the file.
std::string without_sweep(const std::string& path, const toml::table& document) {
  std::uint32_t first = UINT32_MAX, last = 0;
  sweep_lines(*document.get("sweep"), first, last);
  std::ifstream in(path);
  std::string text, line;
  for (std::uint32_t n = 1; std::getline(in, line); ++n)
    text += (n >= first && n <= last ? "" : line) + "\n";
  toml::table expected = document;
  expected.erase("sweep");
  if (toml::parse(text, path) != expected)
    throw core::Error(
        fmt::format("{}: write the sweep as a table of its own, [sweep], with no "
                    "other keys between its lines",
                    path));
  return text;
}

// Flattens [sweep] into "section.key" -> list: dotted keys ("spectral.seed" = [...] or
// spectral.seed = [...]) and subtables ([sweep.spectral]) both name a case key.
void swept_lists(const toml::table& table, const std::string& prefix, const std::string& path,
                 std::vector<std::pair<std::string, const toml::array*>>& out) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (name == "mode") continue;
    if (const toml::table* t = node.as_table()) {
      swept_lists(*t, name + ".", path, out);
    } else if (const toml::array* a = node.as_array()) {
      out.emplace_back(name, a);
    } else {
      throw core::Error(
          fmt::format("{}: sweep.\"{}\" must be a list of values, e.g. [1, 2, 3]", path, name));
    }
  }
}

// The schema key a swept name stands for, or a message saying why it is none.
std::string unknown_key_problem(const std::string& name, const io::Schema& schema,
                                const std::string& solver) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos)
    return "expected \"section.key\", e.g. \"" + (solver.empty() ? "run" : solver) + ".seed\"";
  const std::string section = name.substr(0, dot), key = name.substr(dot + 1);
  const io::SectionSpec* spec = schema.find(section);
  const std::string what = solver.empty() ? "a case" : "a " + solver + " case";
  if (!spec) return fmt::format("{} has no section [{}]", what, section);
  if (!spec->find(key)) {
    std::vector<std::string> keys;
    for (const io::KeySpec& k : spec->keys) keys.push_back(k.name);
    const std::string hint = io::detail::did_you_mean(key, keys);
    return fmt::format("{} has no key {} in [{}]{} (twinsim schema {})", what, key, section,
                       hint.empty() ? "" : "; " + hint, section);
  }
  if (spec->repeated)
    return fmt::format("[{}] is a repeated section: sweep its entries by hand", section);
  return "";
}

// The value after "run.solver=" in --set arguments (the last one), or "".
std::string solver_override(const std::vector<std::string>& overrides) {
  std::string solver;
  for (const std::string& o : overrides)
    if (o.rfind("run.solver=", 0) == 0) solver = o.substr(11);
  solver.erase(std::remove(solver.begin(), solver.end(), '"'), solver.end());
  return solver;
}

struct Task {
  std::vector<std::string> overrides;  // section.key=value, the task's values then run.name
  io::Case case_file;
};

// Task i as a case: the options' --set and --device, then the task's values, then run.name with
// _<i>. Prints why and returns nothing when the case is refused.
std::optional<Task> make_task(const Sweep& sweep, std::size_t i, const RunOptions& options) {
  std::vector<std::string> overrides = options.overrides;
  if (!options.device.empty()) overrides.push_back("run.device=" + options.device);
  for (std::size_t k = 0; k < sweep.keys.size(); ++k)
    overrides.push_back(sweep.keys[k] + "=" + io::to_toml(sweep.tasks[i][k]));
  const toml::table base = toml::parse(sweep.base_text, options.case_path);
  std::string solver = solver_override(overrides);
  if (solver.empty()) solver = base["run"]["solver"].value_or(std::string());
  if (std::none_of(solvers().begin(), solvers().end(),
                   [&](const Solver& s) { return s.name == solver; }))
    solver.clear();
  const io::Schema schema = case_schema(solver);
  try {
    const std::string name =
        io::Case::from_string(sweep.base_text, options.case_path, schema, overrides)
            .get_string("run.name");
    overrides.push_back("run.name=" + io::to_toml(fmt::format("{}_{}", name, i)));
    io::Case c = io::Case::from_string(sweep.base_text, options.case_path, schema, overrides);
    const Solver& s = find_solver(c.get_string("run.solver"));
    if (s.check) s.check(c);
    overrides.erase(overrides.begin(),
                    overrides.begin() + std::ptrdiff_t(options.overrides.size()));
    return Task{overrides, std::move(c)};
  } catch (const io::CaseError& e) {
    std::fprintf(stderr,
                 "%s\nerror: task %zu of %s is refused (%zu problem%s); nothing was "
                 "written\n",
                 e.what(), i, options.case_path.c_str(), e.problems().size(),
                 e.problems().size() == 1 ? "" : "s");
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: task %zu of %s is refused: %s; nothing was written\n", i,
                 options.case_path.c_str(), e.what());
  }
  return std::nullopt;
}

// Every task of the case, validated; nothing when one is refused (its problems are printed).
std::optional<std::vector<Task>> make_tasks(const Sweep& sweep, const RunOptions& options) {
  std::vector<Task> tasks;
  for (std::size_t i = 0; i < sweep.tasks.size(); ++i) {
    std::optional<Task> task = make_task(sweep, i, options);
    if (!task) return std::nullopt;
    tasks.push_back(std::move(*task));
  }
  return tasks;
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary);
    out << text;
    if (!out.flush()) throw core::Error(fmt::format("cannot write {}", temporary.string()));
  }
  fs::rename(temporary, path);
}

void write_tasks(const fs::path& dir, const Sweep& sweep, const std::vector<Task>& tasks,
                 const RunOptions& options) {
  fs::create_directories(dir);
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("task_", 0) == 0) fs::remove(e.path());
  std::string table = "task,run.name";
  for (const std::string& key : sweep.keys) table += "," + csv(key);
  table += "\n";
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    std::string values;
    table += fmt::format("{},{}", i, csv(tasks[i].case_file.get_string("run.name")));
    for (std::size_t k = 0; k < sweep.keys.size(); ++k) {
      const std::string value = io::to_toml(sweep.tasks[i][k]);
      values += fmt::format("{}{} = {}", k ? ", " : "", sweep.keys[k], value);
      table += "," + csv(value);
    }
    table += "\n";
    write_file(dir / fmt::format("task_{}.toml", i),
               fmt::format("# task {} of the sweep in {}: {}\n", i, options.case_path, values) +
                   tasks[i].case_file.resolved_text());
  }
  write_file(dir / "tasks.csv", table);
}

}  // namespace

bool has_sweep(const std::string& case_path) {
  try {
    return toml::parse_file(case_path).contains("sweep");
  } catch (const toml::parse_error&) {
    return false;
  }
}

Sweep read_sweep(const std::string& path) {
  const toml::table document = parse_case(path);
  const toml::table* table = document["sweep"].as_table();
  if (!table) throw core::Error(fmt::format("{} has no [sweep] table", path));
  const std::string mode = (*table)["mode"].value_or(std::string("grid"));
  if (mode != "grid" && mode != "zip")
    throw core::Error(
        fmt::format("{}: sweep.mode = \"{}\": expected \"grid\" (every "
                    "combination) or \"zip\" (the i-th value of every list)",
                    path, mode));
  Sweep sweep;
  sweep.base_text = without_sweep(path, document);
  std::vector<std::pair<std::string, const toml::array*>> lists;
  swept_lists(*table, "", path, lists);
  if (lists.empty())
    throw core::Error(
        fmt::format("{}: [sweep] names no key: add \"section.key\" = [values]", path));
  std::sort(lists.begin(), lists.end());

  const std::string solver = document["run"]["solver"].value_or(std::string());
  const bool known = std::any_of(solvers().begin(), solvers().end(),
                                 [&](const Solver& s) { return s.name == solver; });
  const io::Schema schema = case_schema(known ? solver : "");
  std::vector<std::vector<io::Value>> values;
  for (const auto& [name, list] : lists) {
    if (name == "run.name")
      throw core::Error(
          fmt::format("{}: sweep.\"run.name\": each task is named <run.name>_<i>; "
                      "run.name cannot be swept",
                      path));
    const std::string problem = unknown_key_problem(name, schema, known ? solver : "");
    if (!problem.empty())
      throw core::Error(fmt::format("{}: sweep.\"{}\": {}", path, name, problem));
    if (list->empty())
      throw core::Error(
          fmt::format("{}: sweep.\"{}\" is an empty list: give at least one value", path, name));
    std::vector<io::Value> column;
    for (const toml::node& node : *list) {
      const std::optional<io::Value> value = case_value(node);
      if (!value)
        throw core::Error(
            fmt::format("{}:{}:{}: sweep.\"{}\": not a case value (a number, a "
                        "boolean, a string, or an array of one of them)",
                        path, node.source().begin.line, node.source().begin.column, name));
      column.push_back(*value);
    }
    sweep.keys.push_back(name);
    values.push_back(std::move(column));
  }

  std::size_t count = 1;
  if (mode == "zip") {
    count = values[0].size();
    for (std::size_t k = 1; k < values.size(); ++k)
      if (values[k].size() != count)
        throw core::Error(
            fmt::format("{}: sweep.mode = \"zip\" needs lists of one length: \"{}\" "
                        "has {} value(s), \"{}\" has {}",
                        path, sweep.keys[0], count, sweep.keys[k], values[k].size()));
  } else {
    for (const auto& column : values) count *= column.size();
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<io::Value> task(values.size());
    std::size_t rest = i;  // grid: mixed-radix digits of i, the last key fastest
    for (std::size_t k = values.size(); k-- > 0;) {
      const std::size_t n = values[k].size();
      task[k] = values[k][mode == "zip" ? i : rest % n];
      rest /= n;
    }
    sweep.tasks.push_back(std::move(task));
  }
  return sweep;
}

int check_sweep(const RunOptions& options) {
  try {
    const Sweep sweep = read_sweep(options.case_path);
    if (!make_tasks(sweep, options)) return k_exit_bad_input;
    std::printf("%s: ok (sweep of %zu tasks; twinsim sweep writes them)\n",
                options.case_path.c_str(), sweep.tasks.size());
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

int sweep(const RunOptions& options, const SweepOptions& sweep_options) {
  if (!fs::is_regular_file(options.case_path)) {
    std::fprintf(stderr, "error: case file '%s' not found\n", options.case_path.c_str());
    return k_exit_bad_input;
  }
  try {
    const Sweep sweep = read_sweep(options.case_path);
    const std::optional<std::vector<Task>> tasks = make_tasks(sweep, options);
    if (!tasks) return k_exit_bad_input;
    if (sweep_options.count) {
      std::printf("%zu\n", tasks->size());
      return k_exit_ok;
    }
    if (sweep_options.task >= 0) {
      if (std::size_t(sweep_options.task) >= tasks->size()) {
        std::fprintf(stderr, "error: --task %lld: the sweep has tasks 0 to %zu\n",
                     static_cast<long long>(sweep_options.task), tasks->size() - 1);
        return k_exit_bad_input;
      }
      for (const std::string& o : (*tasks)[std::size_t(sweep_options.task)].overrides)
        std::printf("--set\n%s\n", o.c_str());
      return k_exit_ok;
    }
    const std::string first = (*tasks)[0].case_file.get_string("run.name");  // <name>_0
    const fs::path dir = options.out.empty()
                             ? fs::path("sweeps") / first.substr(0, first.size() - 2)
                             : fs::path(options.out);
    if (fs::exists(dir / "tasks.csv") && !options.overwrite) {
      std::fprintf(stderr,
                   "error: %s already holds a sweep (tasks.csv); --overwrite replaces "
                   "it\n",
                   dir.string().c_str());
      return k_exit_bad_input;
    }
    write_tasks(dir, sweep, *tasks, options);
    std::printf("%zu tasks: %s/task_0.toml ... task_%zu.toml, tasks.csv\n", tasks->size(),
                dir.string().c_str(), tasks->size() - 1);
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

}  // namespace twinsim::app
