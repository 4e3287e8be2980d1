#include "twinsim/io/Case.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace twinsim::io {

namespace detail {

struct SectionData {
  const SectionSpec* spec;  // points into Case::Impl::schema
  std::string name;         // "md", "lbm.obstacle[1]"
  std::map<std::string, Value, std::less<>> values;
  bool in_case = true;      // false: an absent section, holding only the schema's defaults
};

}  // namespace detail

struct Case::Impl {
  Schema schema;
  std::string source;
  // Every declared section with its entries in the case: none when absent, one for a single
  // section, any number for a repeated one.
  std::map<std::string, std::vector<detail::SectionData>, std::less<>> sections;
  // Every single (not repeated) section absent from the case, with the schema's defaults.
  std::map<std::string, detail::SectionData, std::less<>> absent;
};

namespace {

using SectionMap = std::map<std::string, std::vector<detail::SectionData>, std::less<>>;

std::string join(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : fmt::format("{}.{}", path, name);
}

std::string_view trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// What the user wrote, for "got ..." in messages: "an integer 5", "a string 'x'", "a table".
std::string describe_node(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::integer:
      return "an integer " + to_toml(*node.value<std::int64_t>());
    case toml::node_type::floating_point:
      return "a float " + to_toml(*node.value<double>());
    case toml::node_type::boolean:
      return "a boolean " + to_toml(*node.value<bool>());
    case toml::node_type::string:
      return "a string " + to_toml(*node.value<std::string>());
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    default:
      return "a date-time";
  }
}

// A table TOML made only to hold deeper ones: [md] for a file that has [md.potential] and no
// [md] header. It starts where a child table does and holds no values of its own (an override
// may add one); it does not make its section present.
bool is_implicit(const toml::node& node) {
  const toml::table* table = node.as_table();
  if (!table) return false;
  const auto is_table = [](const auto& child) {
    return child.second.is_table() || child.second.is_array_of_tables();
  };
  const auto starts_here = [&](const auto& child) {
    return is_table(child) && child.second.source().begin == table->source().begin;
  };
  return std::all_of(table->begin(), table->end(), is_table) &&
         std::any_of(table->begin(), table->end(), starts_here);
}

template <class T>
std::optional<T> read_scalar(const toml::node& node) {
  // An integer is a float with nothing after the point: `dt = 1` means 1.0.
  if constexpr (std::is_same_v<T, double>) {
    if (const auto x = node.value_exact<std::int64_t>()) return static_cast<double>(*x);
  }
  return node.value_exact<T>();
}

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// toml++ says "Error while parsing <what>: <detail>".
std::string syntax_problem(std::string_view description) {
  constexpr std::string_view k_prefix = "Error ";
  if (description.substr(0, k_prefix.size()) == k_prefix) {
    return fmt::format("syntax error {}", description.substr(k_prefix.size()));
  }
  return fmt::format("syntax error: {}", description);
}

// Reads a TOML document against a schema and collects every problem on the way.
class Validator {
 public:
  Validator(const Schema& schema, const std::string& source) : m_schema(schema), m_source(source) {}

  // The sections of the case; throws CaseError when there is any problem.
  SectionMap validate(std::string_view text, const std::vector<std::string>& overrides);

 private:
  struct Override {
    std::size_t origin;
    std::string key;                // "md.dt"
    std::vector<std::string> path;  // {"md", "dt"}
    toml::table document;           // holds the value as "v", its source the --set text
  };

  void report(std::size_t origin, toml::source_position at, std::string_view key,
              std::string_view problem);
  void report(const toml::source_region& where, std::string_view key, std::string_view problem);
  std::vector<Override> parse_overrides(const std::vector<std::string>& overrides);
  void apply(Override& override, toml::table& document);
  void walk(const toml::table& table, const std::string& path, detail::SectionData* section);
  void read_section(const toml::key& key, const toml::node& node, const SectionSpec& spec);
  detail::SectionData read_entry(const toml::table& table, const SectionSpec& spec,
                                 std::string name);
  std::optional<Value> read_value(const toml::node& node, const KeySpec& key,
                                  const std::string& name);
  template <class T>
  std::optional<Value> read_typed(const toml::node& node, const KeySpec& key,
                                  const std::string& name);
  std::string unknown_key(const detail::SectionData* section, const std::string& key) const;
  bool is_section_prefix(const std::string& path) const;
  [[noreturn]] void fail();

  struct Problem {
    std::size_t origin;  // 0: the file; i + 1: override i
    toml::source_position at;
    std::string text;
  };

  const Schema& m_schema;
  const std::string& m_source;
  std::vector<std::string> m_labels;  // "--set md.dt=0.001", one per override
  std::vector<Problem> m_problems;
  std::set<std::string, std::less<>> m_seen;  // sections the case has, well formed or not
  SectionMap m_sections;
};

SectionMap Validator::validate(std::string_view text, const std::vector<std::string>& overrides) {
  for (const SectionSpec& spec : m_schema.sections()) m_sections[spec.name];
  std::vector<Override> parsed = parse_overrides(overrides);
  toml::table document;
  try {
    document = toml::parse(text, std::string_view(m_source));
  } catch (const toml::parse_error& e) {
    report(e.source(), "", syntax_problem(e.description()));
    fail();
  }
  for (Override& override : parsed) apply(override, document);
  walk(document, "", nullptr);
  for (const SectionSpec& spec : m_schema.sections()) {
    if (spec.required && !m_seen.count(spec.name)) {
      report({}, spec.name, "missing required section");
    }
  }
  if (!m_problems.empty()) fail();
  return std::move(m_sections);
}

void Validator::report(std::size_t origin, toml::source_position at, std::string_view key,
                       std::string_view problem) {
  if (at.line == 0) at = {1, 1};  // a table made by an override, or a section not there
  const std::string where =
      origin ? m_labels[origin - 1] : fmt::format("{}:{}:{}", m_source, at.line, at.column);
  const std::string text = key.empty() ? fmt::format("{}: {}", where, problem)
                                       : fmt::format("{}: {}: {}", where, key, problem);
  m_problems.push_back({origin, at, text});
}

// A node's source path tells where it came from: the file, or the --set that made it.
void Validator::report(const toml::source_region& where, std::string_view key,
                       std::string_view problem) {
  std::size_t origin = 0;
  if (where.path) {
    const auto label = std::find(m_labels.begin(), m_labels.end(), *where.path);
    if (label != m_labels.end()) origin = label - m_labels.begin() + 1;
  }
  report(origin, where.begin, key, problem);
}

[[noreturn]] void Validator::fail() {
  std::stable_sort(m_problems.begin(), m_problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.origin, a.at.line, a.at.column) < std::tie(b.origin, b.at.line, b.at.column);
  });
  std::vector<std::string> lines;
  for (const Problem& problem : m_problems) lines.push_back(problem.text);
  throw CaseError(std::move(lines));
}

std::vector<Validator::Override> Validator::parse_overrides(
    const std::vector<std::string>& overrides) {
  std::vector<Override> parsed;
  for (const std::string& text : overrides) {
    m_labels.push_back("--set " + text);
    const std::size_t origin = m_labels.size();
    const std::size_t equals = text.find('=');
    Override override{origin, std::string(trim(std::string_view(text).substr(0, equals))), {}, {}};
    for (std::size_t start = 0;;) {
      const std::size_t dot = override.key.find('.', start);
      override.path.push_back(override.key.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const bool has_empty = std::any_of(override.path.begin(), override.path.end(),
                                       [](const std::string& part) { return part.empty(); });
    if (equals == std::string::npos || override.path.size() < 2 || has_empty) {
      report(origin, {}, override.key, "expected section.key=value");
      continue;
    }
    const std::string value(trim(std::string_view(text).substr(equals + 1)));
    const std::string_view label = m_labels.back();
    try {
      override.document = toml::parse("v = " + value, label);
    } catch (const toml::parse_error&) {
      // Not a TOML value: a bare word is the string it spells, so run.name=foo works.
      override.document = toml::parse("v = " + to_toml(value), label);
    }
    parsed.push_back(std::move(override));
  }
  return parsed;
}

void Validator::apply(Override& override, toml::table& document) {
  toml::node& value = *override.document.get("v");
  toml::table* table = &document;
  std::string prefix;
  for (std::size_t i = 0; i + 1 < override.path.size(); ++i) {
    const std::string& part = override.path[i];
    prefix = join(prefix, part);
    if (!table->contains(part)) table->insert(toml::key(part, value.source()), toml::table{});
    toml::node& node = *table->get(part);
    table = node.as_table();
    if (!table) {
      report(override.origin, {}, override.key,
             fmt::format("--set cannot reach inside '{}', which is {}, not a table", prefix,
                         describe_node(node)));
      return;
    }
  }
  table->insert_or_assign(toml::key(override.path.back(), value.source()), std::move(value));
}

// `path` is the schema name of `table` ("" for the document, "lbm.obstacle" for each of its
// entries); `section` receives the values of its keys, or is null when `table` is no section.
void Validator::walk(const toml::table& table, const std::string& path,
                     detail::SectionData* section) {
  for (auto&& [key, node] : table) {
    const std::string name = join(path, key.str());
    const std::string shown = join(section ? section->name : path, key.str());
    const KeySpec* key_spec = section ? section->spec->find(key.str()) : nullptr;
    const SectionSpec* section_spec = m_schema.find(name);
    const bool implicit = is_implicit(node);
    if (section_spec && !implicit) {
      read_section(key, node, *section_spec);
    } else if (key_spec) {
      if (auto value = read_value(node, *key_spec, shown)) {
        section->values.emplace(key_spec->name, std::move(*value));
      }
    } else if (node.is_table() && (implicit || is_section_prefix(name))) {
      walk(*node.as_table(), name, nullptr);
    } else if (node.is_table() || node.is_array_of_tables()) {
      const std::string hint = detail::did_you_mean(name, m_schema.section_names());
      report(key.source(), shown,
             "unknown section; " + (hint.empty() ? "known sections are " +
                                                       detail::quoted_list(m_schema.section_names())
                                                 : hint));
    } else {
      report(key.source(), shown, unknown_key(section, std::string(key.str())));
    }
  }
}

std::string Validator::unknown_key(const detail::SectionData* section,
                                   const std::string& key) const {
  std::vector<std::string> names;
  if (section) {
    for (const KeySpec& spec : section->spec->keys) names.push_back(spec.name);
    std::string hint = detail::did_you_mean(key, names);
    if (!hint.empty()) return "unknown key; " + hint;
  }
  // A key written in the wrong section, or before any section header.
  for (const SectionSpec& spec : m_schema.sections()) {
    if (spec.find(key) && !spec.repeated) {
      return fmt::format("unknown key; did you mean '{}.{}'?", spec.name, key);
    }
  }
  if (!section) return "unknown key outside any section";
  if (names.empty()) return fmt::format("unknown key; [{}] has no keys", section->spec->name);
  return "unknown key; known keys are " + detail::quoted_list(names);
}

bool Validator::is_section_prefix(const std::string& path) const {
  const std::string prefix = path + ".";
  return std::any_of(m_schema.sections().begin(), m_schema.sections().end(),
                     [&](const SectionSpec& s) { return s.name.rfind(prefix, 0) == 0; });
}

void Validator::read_section(const toml::key& key, const toml::node& node,
                             const SectionSpec& spec) {
  m_seen.insert(spec.name);
  if (spec.repeated ? !node.is_array_of_tables() : !node.is_table()) {
    const std::string got = node.is_table()             ? "a table [" + spec.name + "]"
                            : node.is_array_of_tables() ? "an array of tables [[" + spec.name + "]]"
                                                        : describe_node(node);
    const std::string expected =
        spec.repeated ? "an array of tables [[" + spec.name + "]]" : "a table [" + spec.name + "]";
    report(key.source(), spec.name, fmt::format("expected {}, got {}", expected, got));
    return;
  }
  std::vector<detail::SectionData>& entries = m_sections[spec.name];
  if (!spec.repeated) {
    entries.push_back(read_entry(*node.as_table(), spec, spec.name));
    return;
  }
  const toml::array& array = *node.as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    entries.push_back(
        read_entry(*array.get(i)->as_table(), spec, fmt::format("{}[{}]", spec.name, i)));
  }
}

detail::SectionData Validator::read_entry(const toml::table& table, const SectionSpec& spec,
                                          std::string name) {
  detail::SectionData data{&spec, std::move(name), {}};
  walk(table, spec.name, &data);
  for (const KeySpec& key : spec.keys) {
    // A key that is there but wrong has been reported already.
    if (table.contains(key.name)) continue;
    if (key.default_value) {
      data.values.emplace(key.name, *key.default_value);
    } else if (key.presence == Presence::required) {
      report(table.source(), data.name + "." + key.name, "missing required key");
    }
  }
  return data;
}

std::optional<Value> Validator::read_value(const toml::node& node, const KeySpec& key,
                                           const std::string& name) {
  std::optional<Value> value;
  switch (key.type) {
    case ValueType::integer:
      value = read_typed<std::int64_t>(node, key, name);
      break;
    case ValueType::floating:
      value = read_typed<double>(node, key, name);
      break;
    case ValueType::boolean:
      value = read_typed<bool>(node, key, name);
      break;
    case ValueType::string:
      value = read_typed<std::string>(node, key, name);
      break;
    case ValueType::floats:
      value = read_typed<std::vector<double>>(node, key, name);
      break;
    case ValueType::integers:
      value = read_typed<std::vector<std::int64_t>>(node, key, name);
      break;
    case ValueType::strings:
      value = read_typed<std::vector<std::string>>(node, key, name);
      break;
  }
  if (!value) return std::nullopt;
  const std::vector<KeySpec::Violation> violations = key.violations(*value);
  for (const KeySpec::Violation& v : violations) {
    if (v.element) {
      report(node.as_array()->get(*v.element)->source(), fmt::format("{}[{}]", name, *v.element),
             v.problem);
    } else {
      report(node.source(), name, v.problem);
    }
  }
  return violations.empty() ? value : std::nullopt;
}

template <class T>
std::optional<Value> Validator::read_typed(const toml::node& node, const KeySpec& key,
                                           const std::string& name) {
  if constexpr (IsVector<T>::value) {
    const toml::array* array = node.as_array();
    if (!array) {
      report(node.source(), name,
             fmt::format("expected {}, got {}", key.type_phrase(), describe_node(node)));
      return std::nullopt;
    }
    T values;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (const auto x = read_scalar<typename T::value_type>(element)) {
        values.push_back(*x);
      } else {
        report(element.source(), fmt::format("{}[{}]", name, i),
               fmt::format("expected {}, got {}", key.type_phrase(true), describe_node(element)));
        ok = false;
      }
    }
    return ok ? std::optional<Value>(std::move(values)) : std::nullopt;
  } else {
    if (const auto x = read_scalar<T>(node)) return Value(*x);
    report(node.source(), name,
           fmt::format("expected {}, got {}", key.type_phrase(), describe_node(node)));
    return std::nullopt;
  }
}

std::pair<std::string_view, std::string_view> split_key(std::string_view key) {
  const std::size_t dot = key.rfind('.');
  TWINSIM_REQUIRE(dot != std::string_view::npos,
                  fmt::format("'{}' is not a dotted key such as 'md.dt'", key));
  return {key.substr(0, dot), key.substr(dot + 1)};
}

const KeySpec& declared_key(const SectionSpec& section, std::string_view key) {
  const KeySpec* spec = section.find(key);
  TWINSIM_REQUIRE(spec, fmt::format("the schema of [{}] declares no key '{}'", section.name, key));
  return *spec;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

CaseError::CaseError(std::vector<std::string> problems)
    : core::Error(join_lines(problems)), m_problems(std::move(problems)) {}

template <class T>
const T& Section::get(std::string_view key) const {
  const KeySpec& spec = declared_key(*m_data->spec, key);
  TWINSIM_REQUIRE(spec.type == value_type_of<T>(),
                  fmt::format("{}.{} is {}; read it with the getter of that type", m_data->name,
                              key, spec.type_phrase()));
  const auto it = m_data->values.find(key);
  TWINSIM_REQUIRE(it != m_data->values.end(),
                  m_data->in_case
                      ? fmt::format("{}.{} is optional and not set; check has() first",
                                    m_data->name, key)
                      : fmt::format("[{}] is absent from the case and {}.{} has no default; "
                                    "check has_section() first",
                                    m_data->name, m_data->name, key));
  return std::get<T>(it->second);
}

std::int64_t Section::get_int(std::string_view key) const { return get<std::int64_t>(key); }
double Section::get_float(std::string_view key) const { return get<double>(key); }
bool Section::get_bool(std::string_view key) const { return get<bool>(key); }
const std::string& Section::get_string(std::string_view key) const { return get<std::string>(key); }
const std::vector<double>& Section::get_floats(std::string_view key) const {
  return get<std::vector<double>>(key);
}
const std::vector<std::int64_t>& Section::get_ints(std::string_view key) const {
  return get<std::vector<std::int64_t>>(key);
}
const std::vector<std::string>& Section::get_strings(std::string_view key) const {
  return get<std::vector<std::string>>(key);
}

bool Section::has(std::string_view key) const {
  declared_key(*m_data->spec, key);
  return m_data->values.count(key) > 0;
}

const std::string& Section::name() const { return m_data->name; }

bool CaseOutline::has(std::string_view table) const {
  return std::find(tables.begin(), tables.end(), table) != tables.end();
}

CaseOutline outline_of_text(std::string_view text, const std::string& source,
                            const std::vector<std::string>& overrides) {
  CaseOutline o;
  try {
    const toml::table document = toml::parse(text, std::string_view(source));
    for (const auto& [key, node] : document)
      if (node.is_table() || node.is_array_of_tables()) o.tables.emplace_back(key.str());
    o.solver = document["run"]["solver"].value_or(std::string());
  } catch (const toml::parse_error&) {
    return {};
  }
  const std::string prefix = "run.solver=";
  for (const std::string& arg : overrides) {
    if (arg.rfind(prefix, 0) != 0) continue;
    // As Validator::parse_overrides reads a value: TOML, or else the text as it is.
    const std::string value = arg.substr(prefix.size());
    o.solver = value;
    try {
      if (auto s = toml::parse("v = " + value)["v"].value<std::string>()) o.solver = *s;
    } catch (const toml::parse_error&) {
    }
  }
  return o;
}

CaseOutline outline_of(const std::filesystem::path& path,
                       const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return outline_of_text(text.str(), path.string(), overrides);
}

Case Case::from_file(const std::filesystem::path& path, const Schema& schema,
                     const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CaseError(
        {fmt::format("{}: cannot open the case file: {}", path.string(), std::strerror(errno))});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return from_string(text.str(), path.string(), schema, overrides);
}

Case Case::from_string(std::string_view text, std::string source, const Schema& schema,
                       const std::vector<std::string>& overrides) {
  schema.check();
  // The values point at the schema's sections, so the case keeps its own copy.
  auto impl = std::make_unique<Impl>(Impl{schema, std::move(source), {}, {}});
  impl->sections = Validator(impl->schema, impl->source).validate(text, overrides);
  for (const SectionSpec& spec : impl->schema.sections()) {
    if (spec.repeated || !impl->sections[spec.name].empty()) continue;
    detail::SectionData& defaults = impl->absent[spec.name];
    defaults = {&spec, spec.name, {}, false};
    for (const KeySpec& key : spec.keys)
      if (key.default_value) defaults.values.emplace(key.name, *key.default_value);
  }
  return Case(std::move(impl));
}

Case::Case(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Case::Case(Case&&) noexcept = default;
Case& Case::operator=(Case&&) noexcept = default;
Case::~Case() = default;

const SectionSpec& Case::declared_section(std::string_view section) const {
  const SectionSpec* spec = m_impl->schema.find(section);
  TWINSIM_REQUIRE(spec, fmt::format("the schema declares no section [{}]", section));
  return *spec;
}

const std::vector<detail::SectionData>& Case::entries_of(std::string_view section) const {
  declared_section(section);
  return m_impl->sections.find(section)->second;
}

bool Case::has_section(std::string_view section) const { return !entries_of(section).empty(); }

Section Case::section(std::string_view section) const {
  TWINSIM_REQUIRE(!declared_section(section).repeated,
                  fmt::format("[[{}]] is a repeated section; read it with entries()", section));
  const std::vector<detail::SectionData>& entries = entries_of(section);
  return Section(entries.empty() ? m_impl->absent.find(section)->second : entries.front());
}

std::vector<Section> Case::entries(std::string_view section) const {
  TWINSIM_REQUIRE(declared_section(section).repeated,
                  fmt::format("[{}] is not a repeated section; read it with section()", section));
  std::vector<Section> out;
  for (const detail::SectionData& entry : entries_of(section)) out.push_back(Section(entry));
  return out;
}

std::int64_t Case::get_int(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_int(name);
}
double Case::get_float(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_float(name);
}
bool Case::get_bool(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_bool(name);
}
const std::string& Case::get_string(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_string(name);
}
const std::vector<double>& Case::get_floats(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_floats(name);
}
const std::vector<std::int64_t>& Case::get_ints(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_ints(name);
}
const std::vector<std::string>& Case::get_strings(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).get_strings(name);
}

bool Case::has(std::string_view key) const {
  const auto [section_name, name] = split_key(key);
  return section(section_name).has(name);
}

std::string Case::resolved_text(Keys keys) const {
  std::string out;
  for (const SectionSpec& spec : m_impl->schema.sections()) {
    for (const detail::SectionData& entry : entries_of(spec.name)) {
      out += out.empty() ? "" : "\n";
      out += spec.repeated ? "[[" + spec.name + "]]\n" : "[" + spec.name + "]\n";
      for (const KeySpec& key : spec.keys) {
        const auto it = entry.values.find(key.name);
        if (keys == Keys::physics && key.layout)  // given or not: the same lines either way
          out += "\n";
        else if (it != entry.values.end())
          out += key.name + " = " + to_toml(it->second) + "\n";
      }
    }
  }
  return out;
}

const std::string& Case::source() const { return m_impl->source; }

const Schema& Case::schema() const { return m_impl->schema; }

}  // namespace twinsim::io
