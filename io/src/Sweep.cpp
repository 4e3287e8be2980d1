// Parameter sweeps: [sweep] -> members (cases of their own), validated by the caller's rules.
#include "twinsim/io/Sweep.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <utility>

#include "twinsim/io/RunDirectory.hpp"

namespace twinsim::io {

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
std::optional<Value> case_value(const toml::node& node) {
  if (auto v = node.value_exact<std::int64_t>()) return Value(*v);
  if (auto v = node.value_exact<double>()) return Value(*v);
  if (auto v = node.value_exact<bool>()) return Value(*v);
  if (auto v = node.value_exact<std::string>()) return Value(*v);
  const toml::array* array = node.as_array();
  if (!array) return std::nullopt;
  if (array->is_homogeneous<std::int64_t>() && !array->empty()) {
    std::vector<std::int64_t> out;
    for (const toml::node& e : *array) out.push_back(*e.value_exact<std::int64_t>());
    return Value(out);
  }
  if (array->is_homogeneous<std::string>() && !array->empty()) {
    std::vector<std::string> out;
    for (const toml::node& e : *array) out.push_back(*e.value_exact<std::string>());
    return Value(out);
  }
  std::vector<double> out;  // floats, or integers and floats mixed
  for (const toml::node& e : *array) {
    if (!e.is_number()) return std::nullopt;
    out.push_back(*e.value<double>());
  }
  return Value(out);
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

// The solver a case names when the schema's run.solver accepts it, else "": messages then say
// "a case" rather than name a solver the schema does not know.
std::string known_solver(const Schema& schema, const std::string& solver) {
  const SectionSpec* run = schema.find("run");
  const KeySpec* key = run ? run->find("solver") : nullptr;
  if (!key || solver.empty()) return "";
  const bool accepted = key->choices.empty() || std::find(key->choices.begin(), key->choices.end(),
                                                          solver) != key->choices.end();
  return accepted ? solver : "";
}

// The schema key a swept name stands for, or a message saying why it is none.
std::string unknown_key_problem(const std::string& name, const Schema& schema,
                                const std::string& solver) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos)
    return "expected \"section.key\", e.g. \"" + (solver.empty() ? "run" : solver) + ".seed\"";
  const std::string section = name.substr(0, dot), key = name.substr(dot + 1);
  const SectionSpec* spec = schema.find(section);
  const std::string what = solver.empty() ? "a case" : "a " + solver + " case";
  if (!spec) return fmt::format("{} has no section [{}]", what, section);
  if (!spec->find(key)) {
    std::vector<std::string> keys;
    for (const KeySpec& k : spec->keys) keys.push_back(k.name);
    const std::string hint = detail::did_you_mean(key, keys);
    return fmt::format("{} has no key {} in [{}]{} (twinsim schema {})", what, key, section,
                       hint.empty() ? "" : "; " + hint, section);
  }
  if (spec->repeated)
    return fmt::format("[{}] is a repeated section: sweep its entries by hand", section);
  return "";
}

void write_file(const fs::path& path, const std::string& text) { write_text_file(path, text); }

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

bool has_sweep(const fs::path& case_path) {
  try {
    return toml::parse_file(case_path.string()).contains("sweep");
  } catch (const toml::parse_error&) {
    return false;
  }
}

Sweep read_sweep(const fs::path& case_path, const SchemaOf& schema_of) {
  const std::string path = case_path.string();
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
  sweep.source = path;
  sweep.base_text = without_sweep(path, document);
  std::vector<std::pair<std::string, const toml::array*>> lists;
  swept_lists(*table, "", path, lists);
  if (lists.empty())
    throw core::Error(
        fmt::format("{}: [sweep] names no key: add \"section.key\" = [values]", path));
  std::sort(lists.begin(), lists.end());

  // The file's own run.solver picks the schema: a --set run.solver cannot add swept keys.
  const CaseOutline outline = outline_of(case_path);
  const Schema schema = schema_of(outline);
  const std::string solver = known_solver(schema, outline.solver);
  std::vector<std::vector<Value>> values;
  for (const auto& [name, list] : lists) {
    if (name == "run.name")
      throw core::Error(
          fmt::format("{}: sweep.\"run.name\": each task is named <run.name>_<i>; "
                      "run.name cannot be swept",
                      path));
    const std::string problem = unknown_key_problem(name, schema, solver);
    if (!problem.empty())
      throw core::Error(fmt::format("{}: sweep.\"{}\": {}", path, name, problem));
    if (list->empty())
      throw core::Error(
          fmt::format("{}: sweep.\"{}\" is an empty list: give at least one value", path, name));
    std::vector<Value> column;
    for (const toml::node& node : *list) {
      const std::optional<Value> value = case_value(node);
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
    std::vector<Value> task(values.size());
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

SweepMember sweep_member(const Sweep& sweep, std::size_t i,
                         const std::vector<std::string>& overrides, const MemberRules& rules) {
  std::vector<std::string> all = overrides;
  for (std::size_t k = 0; k < sweep.keys.size(); ++k)
    all.push_back(sweep.keys[k] + "=" + to_toml(sweep.tasks.at(i)[k]));
  try {
    const Schema schema = rules.schema(outline_of_text(sweep.base_text, sweep.source, all));
    // run.name is suffixed after a first validation: the base name may come from a --set.
    const std::string name =
        Case::from_string(sweep.base_text, sweep.source, schema, all).get_string("run.name");
    all.push_back("run.name=" + to_toml(fmt::format("{}_{}", name, i)));
    Case c = Case::from_string(sweep.base_text, sweep.source, schema, all);
    if (rules.check) rules.check(c);
    all.erase(all.begin(), all.begin() + std::ptrdiff_t(overrides.size()));
    return SweepMember{std::move(all), std::move(c)};
  } catch (const CaseError& e) {
    throw MemberRefused(i, e.what(), e.problems());
  } catch (const core::Error& e) {
    throw MemberRefused(i, e.what(), {});
  }
}

std::vector<SweepMember> sweep_members(const Sweep& sweep,
                                       const std::vector<std::string>& overrides,
                                       const MemberRules& rules) {
  std::vector<SweepMember> members;
  for (std::size_t i = 0; i < sweep.tasks.size(); ++i)
    members.push_back(sweep_member(sweep, i, overrides, rules));
  return members;
}

void write_sweep(const fs::path& dir, const Sweep& sweep, const std::vector<SweepMember>& members) {
  fs::create_directories(dir);
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("task_", 0) == 0) fs::remove(e.path());
  std::string table = "task,run.name";
  for (const std::string& key : sweep.keys) table += "," + csv(key);
  table += "\n";
  for (std::size_t i = 0; i < members.size(); ++i) {
    std::string values;
    table += fmt::format("{},{}", i, csv(members[i].case_file.get_string("run.name")));
    for (std::size_t k = 0; k < sweep.keys.size(); ++k) {
      const std::string value = to_toml(sweep.tasks[i][k]);
      values += fmt::format("{}{} = {}", k ? ", " : "", sweep.keys[k], value);
      table += "," + csv(value);
    }
    table += "\n";
    write_file(dir / fmt::format("task_{}.toml", i),
               fmt::format("# task {} of the sweep in {}: {}\n", i, sweep.source, values) +
                   members[i].case_file.resolved_text());
  }
  write_file(dir / "tasks.csv", table);
}

}  // namespace twinsim::io
