#pragma once
// The declarative schema of a case file: sections of typed, documented keys. Modules build
// theirs with the builder (Schema::section(...).key_float(...)...); io::Case validates a
// TOML case file against it, and `twinsim schema` prints it with describe().
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::io {

// The kinds of value a key may hold, in the order of the alternatives of Value.
enum class ValueType { integer, floating, boolean, string, floats, integers, strings };

using Value = std::variant<std::int64_t, double, bool, std::string, std::vector<double>,
                           std::vector<std::int64_t>, std::vector<std::string>>;

template <class T>
constexpr ValueType value_type_of() {
  if constexpr (std::is_same_v<T, std::int64_t>)
    return ValueType::integer;
  else if constexpr (std::is_same_v<T, double>)
    return ValueType::floating;
  else if constexpr (std::is_same_v<T, bool>)
    return ValueType::boolean;
  else if constexpr (std::is_same_v<T, std::string>)
    return ValueType::string;
  else if constexpr (std::is_same_v<T, std::vector<double>>)
    return ValueType::floats;
  else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>)
    return ValueType::integers;
  else {
    static_assert(std::is_same_v<T, std::vector<std::string>>, "not a case value type");
    return ValueType::strings;
  }
}

// The value as TOML text: 0.005, 1.0, 'nve', [1.0, 2.0]. Floats round-trip exactly.
std::string to_toml(const Value& value);

// One end of a range of allowed numbers.
struct Bound {
  double value;
  bool inclusive;
};

// How a case may leave a key out. Every key declares one, so a forgotten default is caught
// by Schema::check() rather than surfacing as a missing value in the middle of a run.
enum class Presence { undeclared, required, defaulted, optional };

struct KeySpec {
  std::string name;
  ValueType type = ValueType::integer;
  std::string doc;
  std::string unit;  // "" for dimensionless; numbers only
  Presence presence = Presence::undeclared;
  std::optional<Value> default_value;  // set exactly when presence == defaulted
  std::optional<Bound> min, max;       // numbers: the value, or each element of an array
  std::vector<std::string> choices;    // strings: allowed values, or of each element
  std::optional<std::size_t> length;   // arrays: exact number of elements
  bool even = false;       // integers: even values only (FFT grids)
  bool file_name = false;  // strings: a plain file name (letters, digits, '-', '_', '.', no
                           // leading dot), so no path can escape the run folder
  bool layout = false;     // decides only how a run is split across MPI ranks, never its
                           // results: a restart may change it (Case::resolved_text)

  // A problem of a value of the right type: `element` is the index of the offending array
  // element, or empty when the problem is the whole value.
  struct Violation {
    std::optional<std::size_t> element;
    std::string problem;  // "expected a float > 0 [LJ tau], got -0.005"
  };
  std::vector<Violation> violations(const Value& value) const;

  std::string description() const;  // doc, and for a layout key that a restart may change it
  std::string type_name() const;  // "float", "array of 3 floats"
  // "a float", "an array of 3 floats"; of_element: the type of one element, "a float".
  std::string type_phrase(bool of_element = false) const;
  std::string allowed() const;  // "> 0", "in (0, 1]", "'nve', 'langevin'", or ""
};

struct SectionSpec {
  std::string name;  // dotted: "md.potential" is the table [md.potential]
  std::string doc;
  bool required = false;
  bool repeated = false;  // written as an array of tables, [[name]]
  std::vector<KeySpec> keys;

  const KeySpec* find(std::string_view key) const;
};

class Schema;
template <class T>
class KeyBuilder;

// Declares the keys of one section. Section properties come before the first key.
class SectionBuilder {
 public:
  SectionBuilder& required();
  SectionBuilder& repeated();

  KeyBuilder<std::int64_t> key_int(std::string name, std::string doc);
  KeyBuilder<double> key_float(std::string name, std::string doc);
  KeyBuilder<bool> key_bool(std::string name, std::string doc);
  KeyBuilder<std::string> key_string(std::string name, std::string doc);
  KeyBuilder<std::vector<double>> key_floats(std::string name, std::string doc);
  KeyBuilder<std::vector<std::int64_t>> key_ints(std::string name, std::string doc);
  KeyBuilder<std::vector<std::string>> key_strings(std::string name, std::string doc);

 private:
  friend class Schema;
  template <class T>
  friend class KeyBuilder;
  SectionBuilder(Schema& schema, std::size_t section) : m_schema(&schema), m_section(section) {}
  SectionSpec& spec();
  template <class T>
  KeyBuilder<T> add_key(std::string name, std::string doc);

  Schema* m_schema;  // indices, not references: declaring more sections moves them
  std::size_t m_section;
};

// Declares one key: exactly one of required(), default_value() or optional(), then its
// limits. Limits that make no sense for the type (a range on a string) do not compile.
template <class T>
class KeyBuilder {
  static constexpr bool k_array = !std::is_arithmetic_v<T> && !std::is_same_v<T, std::string>;
  static constexpr bool k_number = std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                                   std::is_same_v<T, std::vector<double>> ||
                                   std::is_same_v<T, std::vector<std::int64_t>>;
  static constexpr bool k_text =
      std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>>;

 public:
  KeyBuilder& required() { return declare(Presence::required); }
  // Absent from the case unless given; read it after Case::has().
  KeyBuilder& optional() { return declare(Presence::optional); }
  KeyBuilder& default_value(T value) {
    declare(Presence::defaulted);
    spec().default_value = Value(std::move(value));
    return *this;
  }
  // Quiet conversions that would change the default: a string literal to `true`, 0.5 to 0.
  template <class U = T, class = std::enable_if_t<std::is_same_v<U, bool>>>
  KeyBuilder& default_value(const char*) = delete;
  template <class U = T, class = std::enable_if_t<std::is_same_v<U, std::int64_t>>>
  KeyBuilder& default_value(double) = delete;

  KeyBuilder& unit(std::string unit) {
    static_assert(k_number, "unit() applies to numbers and arrays of numbers");
    spec().unit = std::move(unit);
    return *this;
  }
  KeyBuilder& greater_than(double bound) { return lower({bound, false}); }
  KeyBuilder& at_least(double bound) { return lower({bound, true}); }
  KeyBuilder& less_than(double bound) { return upper({bound, false}); }
  KeyBuilder& at_most(double bound) { return upper({bound, true}); }
  KeyBuilder& one_of(std::vector<std::string> choices) {
    static_assert(k_text, "one_of() applies to strings and arrays of strings");
    spec().choices = std::move(choices);
    return *this;
  }
  KeyBuilder& even() {
    static_assert(std::is_same_v<T, std::int64_t>, "even() applies to integers");
    spec().even = true;
    return *this;
  }
  KeyBuilder& file_name() {
    static_assert(std::is_same_v<T, std::string>, "file_name() applies to strings");
    spec().file_name = true;
    return *this;
  }
  // The key decides only how a run is split across MPI ranks (blocks, bricks), never what it
  // computes: a restart from a checkpoint may change it, where any other key is refused.
  KeyBuilder& layout() {
    spec().layout = true;
    return *this;
  }
  KeyBuilder& length(std::size_t n) {
    static_assert(k_array, "length() applies to arrays");
    spec().length = n;
    return *this;
  }

  // The next key of the same section.
  KeyBuilder<std::int64_t> key_int(std::string name, std::string doc) {
    return m_s.key_int(std::move(name), std::move(doc));
  }
  KeyBuilder<double> key_float(std::string name, std::string doc) {
    return m_s.key_float(std::move(name), std::move(doc));
  }
  KeyBuilder<bool> key_bool(std::string name, std::string doc) {
    return m_s.key_bool(std::move(name), std::move(doc));
  }
  KeyBuilder<std::string> key_string(std::string name, std::string doc) {
    return m_s.key_string(std::move(name), std::move(doc));
  }
  KeyBuilder<std::vector<double>> key_floats(std::string name, std::string doc) {
    return m_s.key_floats(std::move(name), std::move(doc));
  }
  KeyBuilder<std::vector<std::int64_t>> key_ints(std::string name, std::string doc) {
    return m_s.key_ints(std::move(name), std::move(doc));
  }
  KeyBuilder<std::vector<std::string>> key_strings(std::string name, std::string doc) {
    return m_s.key_strings(std::move(name), std::move(doc));
  }

 private:
  friend class SectionBuilder;
  KeyBuilder(SectionBuilder section, std::size_t key) : m_s(section), m_key(key) {}
  KeySpec& spec() { return m_s.spec().keys[m_key]; }
  KeyBuilder& declare(Presence presence) {
    if (spec().presence != Presence::undeclared) {
      throw core::Error("schema key '" + m_s.spec().name + "." + spec().name +
                        "': declare only one of required(), default_value() or optional()");
    }
    spec().presence = presence;
    return *this;
  }
  KeyBuilder& lower(Bound bound) {
    static_assert(k_number, "greater_than() and at_least() apply to numbers");
    spec().min = bound;
    return *this;
  }
  KeyBuilder& upper(Bound bound) {
    static_assert(k_number, "less_than() and at_most() apply to numbers");
    spec().max = bound;
    return *this;
  }

  SectionBuilder m_s;
  std::size_t m_key;
};

class Schema {
 public:
  // Declares a section; throws core::Error for a malformed or repeated name.
  SectionBuilder section(std::string name, std::string doc);

  const std::vector<SectionSpec>& sections() const { return m_sections; }
  const SectionSpec* find(std::string_view section) const;
  std::vector<std::string> section_names() const;

  // Throws core::Error for a key that declares neither required(), default_value() nor
  // optional(), a default outside its own limits, or a section nested in a repeated one.
  // Case and describe() call it; a module's tests should too.
  void check() const;

  // The documented keys as aligned plain text (`twinsim schema [SECTION]`): all sections, or
  // the one named. An unknown name throws core::Error listing the known ones.
  std::string describe(std::string_view section = "") const;

 private:
  friend class SectionBuilder;
  std::vector<SectionSpec> m_sections;
};

namespace detail {

// "did you mean 'x'?" for the candidate closest to `name` by edit distance, or empty when
// none is close enough to be a likely typo.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);
// "'a', 'b', 'c'"
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace detail

}  // namespace twinsim::io
