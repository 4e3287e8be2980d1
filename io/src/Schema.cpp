#include "twinsim/io/Schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace twinsim::io {
namespace {

std::string toml_scalar(std::int64_t x) { return fmt::format("{}", x); }
std::string toml_scalar(bool x) { return x ? "true" : "false"; }

std::string toml_scalar(double x) {
  std::string text = fmt::format("{}", x);  // shortest text that reads back as x
  // TOML reads "1" as an integer; inf and nan are spelt as fmt spells them.
  if (text.find_first_of(".eni") == std::string::npos) text += ".0";
  return text;
}

// A literal string ('text') reads best and is what messages quote; text it cannot hold
// becomes a basic string with escapes.
std::string toml_scalar(const std::string& x) {
  const auto is_control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  if (x.find('\'') == std::string::npos && std::none_of(x.begin(), x.end(), is_control)) {
    return "'" + x + "'";
  }
  std::string out = "\"";
  for (const char c : x) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (is_control(static_cast<unsigned char>(c))) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

template <class T>
std::string toml_scalar(const std::vector<T>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + toml_scalar(xs[i]);
  return out + "]";
}

std::string with_article(const std::string& noun) {
  return (std::string_view("aeiou").find(noun.front()) != std::string_view::npos ? "an " : "a ") +
         noun;
}

ValueType element_type(ValueType type) {
  switch (type) {
    case ValueType::floats:
      return ValueType::floating;
    case ValueType::integers:
      return ValueType::integer;
    case ValueType::strings:
      return ValueType::string;
    default:
      return type;
  }
}

std::string scalar_name(ValueType type) {
  switch (type) {
    case ValueType::integer:
      return "integer";
    case ValueType::floating:
      return "float";
    case ValueType::boolean:
      return "boolean";
    default:
      return "string";
  }
}

std::string range_text(const KeySpec& key) {
  if (key.min && key.max) {
    return fmt::format("in {}{}, {}{}", key.min->inclusive ? '[' : '(', key.min->value,
                       key.max->value, key.max->inclusive ? ']' : ')');
  }
  if (key.min) return fmt::format("{} {}", key.min->inclusive ? ">=" : ">", key.min->value);
  if (key.max) return fmt::format("{} {}", key.max->inclusive ? "<=" : "<", key.max->value);
  return "";
}

bool in_range(const KeySpec& key, double x) {
  const bool above = !key.min || (key.min->inclusive ? x >= key.min->value : x > key.min->value);
  const bool below = !key.max || (key.max->inclusive ? x <= key.max->value : x < key.max->value);
  return above && below;
}

// The problem of one number or string (a whole scalar value or one array element), if any.
std::optional<std::string> scalar_problem(const KeySpec& key, double x, const std::string& got) {
  if (in_range(key, x)) return std::nullopt;
  const std::string unit = key.unit.empty() ? "" : " [" + key.unit + "]";
  return fmt::format("expected {} {}{}, got {}", key.type_phrase(true), range_text(key), unit, got);
}
std::optional<std::string> scalar_problem(const KeySpec& key, std::int64_t x) {
  if (key.even && x % 2 != 0) {
    const std::string range = range_text(key);
    return fmt::format("expected an even integer{}, got {}", range.empty() ? "" : " " + range,
                       toml_scalar(x));
  }
  return scalar_problem(key, static_cast<double>(x), toml_scalar(x));
}
std::optional<std::string> scalar_problem(const KeySpec& key, double x) {
  if (!std::isfinite(x)) {
    const std::string range = range_text(key);
    const std::string unit = key.unit.empty() ? "" : " [" + key.unit + "]";
    return fmt::format("expected a finite {}{}{}, got {}", scalar_name(element_type(key.type)),
                       range.empty() ? "" : " " + range, unit, toml_scalar(x));
  }
  return scalar_problem(key, x, toml_scalar(x));
}
std::optional<std::string> scalar_problem(const KeySpec&, bool) { return std::nullopt; }
std::optional<std::string> scalar_problem(const KeySpec& key, const std::string& x) {
  const auto plain = [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  };
  if (key.file_name && (x.empty() || x.front() == '.' || !std::all_of(x.begin(), x.end(), plain)))
    return fmt::format("expected a plain file name (letters, digits, '-', '_', '.', not starting "
                       "with '.'), got {}", toml_scalar(x));
  if (key.choices.empty() ||
      std::find(key.choices.begin(), key.choices.end(), x) != key.choices.end()) {
    return std::nullopt;
  }
  const std::string hint = detail::did_you_mean(x, key.choices);
  return fmt::format("expected one of {}, got {}{}", detail::quoted_list(key.choices),
                     toml_scalar(x), hint.empty() ? "" : "; " + hint);
}

// Letters, digits, '_' and '-': the names TOML reads without quotes.
bool is_bare_name(std::string_view name) {
  const auto bare = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; };
  return !name.empty() && std::all_of(name.begin(), name.end(), bare);
}

bool is_dotted_name(std::string_view name) {
  for (std::size_t start = 0;;) {
    const std::size_t dot = name.find('.', start);
    if (!is_bare_name(name.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Optimal string alignment distance: a swap of neighbours counts as one typo.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string to_toml(const Value& value) {
  return std::visit([](const auto& x) { return toml_scalar(x); }, value);
}

std::vector<KeySpec::Violation> KeySpec::violations(const Value& value) const {
  std::vector<Violation> out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
          if (auto problem = scalar_problem(*this, x)) out.push_back({std::nullopt, *problem});
        } else {
          if (length && x.size() != *length) {
            out.push_back({std::nullopt, fmt::format("expected {}, got {} element{}", type_phrase(),
                                                     x.size(), x.size() == 1 ? "" : "s")});
          }
          for (std::size_t i = 0; i < x.size(); ++i) {
            if (auto problem = scalar_problem(*this, x[i])) out.push_back({i, *problem});
          }
        }
      },
      value);
  return out;
}

std::string KeySpec::type_name() const {
  const ValueType element = element_type(type);
  if (element == type) return scalar_name(type);
  if (!length) return "array of " + scalar_name(element) + "s";
  return fmt::format("array of {} {}{}", *length, scalar_name(element), *length == 1 ? "" : "s");
}

std::string KeySpec::type_phrase(bool of_element) const {
  return with_article(of_element ? scalar_name(element_type(type)) : type_name());
}

std::string KeySpec::allowed() const {
  return choices.empty() ? range_text(*this) : detail::quoted_list(choices);
}

const KeySpec* SectionSpec::find(std::string_view key) const {
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const KeySpec& k) { return k.name == key; });
  return it == keys.end() ? nullptr : &*it;
}

SectionBuilder& SectionBuilder::required() {
  spec().required = true;
  return *this;
}

SectionBuilder& SectionBuilder::repeated() {
  spec().repeated = true;
  return *this;
}

SectionSpec& SectionBuilder::spec() { return m_schema->m_sections[m_section]; }

template <class T>
KeyBuilder<T> SectionBuilder::add_key(std::string name, std::string doc) {
  SectionSpec& section = spec();
  TWINSIM_REQUIRE(
      is_bare_name(name),
      fmt::format("schema key '{}' in [{}]: use letters, digits, '_' and '-'", name, section.name));
  TWINSIM_REQUIRE(!section.find(name),
                  fmt::format("schema key '{}.{}' is declared twice", section.name, name));
  KeySpec key;
  key.name = std::move(name);
  key.type = value_type_of<T>();
  key.doc = std::move(doc);
  section.keys.push_back(std::move(key));
  return KeyBuilder<T>(*this, section.keys.size() - 1);
}

KeyBuilder<std::int64_t> SectionBuilder::key_int(std::string name, std::string doc) {
  return add_key<std::int64_t>(std::move(name), std::move(doc));
}
KeyBuilder<double> SectionBuilder::key_float(std::string name, std::string doc) {
  return add_key<double>(std::move(name), std::move(doc));
}
KeyBuilder<bool> SectionBuilder::key_bool(std::string name, std::string doc) {
  return add_key<bool>(std::move(name), std::move(doc));
}
KeyBuilder<std::string> SectionBuilder::key_string(std::string name, std::string doc) {
  return add_key<std::string>(std::move(name), std::move(doc));
}
KeyBuilder<std::vector<double>> SectionBuilder::key_floats(std::string name, std::string doc) {
  return add_key<std::vector<double>>(std::move(name), std::move(doc));
}
KeyBuilder<std::vector<std::int64_t>> SectionBuilder::key_ints(std::string name, std::string doc) {
  return add_key<std::vector<std::int64_t>>(std::move(name), std::move(doc));
}
KeyBuilder<std::vector<std::string>> SectionBuilder::key_strings(std::string name,
                                                                 std::string doc) {
  return add_key<std::vector<std::string>>(std::move(name), std::move(doc));
}

SectionBuilder Schema::section(std::string name, std::string doc) {
  TWINSIM_REQUIRE(is_dotted_name(name),
                  fmt::format("schema section '{}': use names of letters, digits, '_' and '-' "
                              "joined by dots",
                              name));
  TWINSIM_REQUIRE(!find(name), fmt::format("schema section [{}] is declared twice", name));
  SectionSpec section;
  section.name = std::move(name);
  section.doc = std::move(doc);
  m_sections.push_back(std::move(section));
  return SectionBuilder(*this, m_sections.size() - 1);
}

const SectionSpec* Schema::find(std::string_view section) const {
  const auto it = std::find_if(m_sections.begin(), m_sections.end(),
                               [&](const SectionSpec& s) { return s.name == section; });
  return it == m_sections.end() ? nullptr : &*it;
}

std::vector<std::string> Schema::section_names() const {
  std::vector<std::string> names;
  for (const SectionSpec& section : m_sections) names.push_back(section.name);
  return names;
}

void Schema::check() const {
  for (const SectionSpec& section : m_sections) {
    for (const SectionSpec& outer : m_sections) {
      // Case keeps one list of entries per section, so an entry cannot own sections.
      TWINSIM_REQUIRE(!outer.repeated || section.name.rfind(outer.name + ".", 0) != 0,
                      fmt::format("schema section [{}] is nested in the repeated section "
                                  "[[{}]]",
                                  section.name, outer.name));
    }
    for (const KeySpec& key : section.keys) {
      const std::string name = section.name + "." + key.name;
      TWINSIM_REQUIRE(key.presence != Presence::undeclared,
                      fmt::format("schema key '{}' declares none of required(), "
                                  "default_value() or optional()",
                                  name));
      if (!key.default_value) continue;
      for (const KeySpec::Violation& v : key.violations(*key.default_value)) {
        throw core::Error(fmt::format("schema key '{}': bad default {}: {}", name,
                                      to_toml(*key.default_value), v.problem));
      }
    }
  }
}

std::string KeySpec::description() const {
  return layout ? doc + " (layout only: a restart may change it)" : doc;
}

std::string Schema::describe(std::string_view section) const {
  check();
  if (!section.empty() && !find(section)) {
    const std::string hint = detail::did_you_mean(section, section_names());
    throw core::Error(fmt::format(
        "unknown section '{}'; {}", section,
        hint.empty() ? "known sections are " + detail::quoted_list(section_names()) : hint));
  }
  using Row = std::array<std::string, 6>;
  std::vector<std::pair<const SectionSpec*, std::vector<Row>>> tables;
  Row titles = {"key", "type", "default", "allowed", "unit", "description"};
  std::array<std::size_t, 6> width{};
  const auto widen = [&](const Row& row) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  };
  widen(titles);
  for (const SectionSpec& s : m_sections) {
    if (!section.empty() && s.name != section) continue;
    std::vector<Row> rows;
    for (const KeySpec& key : s.keys) {
      const std::string presence = key.default_value ? to_toml(*key.default_value)
                                   : key.presence == Presence::required ? "required"
                                                                        : "optional";
      rows.push_back({key.name, key.type_name(), presence, key.allowed(), key.unit,
                      key.description()});
      widen(rows.back());
    }
    tables.emplace_back(&s, std::move(rows));
  }
  const auto line = [&](const Row& row) {
    std::string out = " ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += " " + row[c] + std::string(c + 1 < row.size() ? width[c] - row[c].size() + 1 : 0, ' ');
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out = line(titles);
  for (const auto& [s, rows] : tables) {
    const std::string header = s->repeated ? "[[" + s->name + "]]" : "[" + s->name + "]";
    out += fmt::format("\n{}  {} ({})\n", header, s->doc, s->required ? "required" : "optional");
    for (const Row& row : rows) out += line(row);
  }
  return out;
}

namespace detail {

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string wanted = lower(name);
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(wanted, lower(candidate));
    // About one typo per three letters; closer than that is more likely noise than a match.
    const bool close = 3 * d <= std::max(wanted.size(), candidate.size()) + 1;
    if (close && (!best || d < best_distance)) {
      best = &candidate;
      best_distance = d;
    }
  }
  return best ? "did you mean '" + *best + "'?" : "";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

}  // namespace detail

}  // namespace twinsim::io
