#pragma once
// A case file validated against a Schema, with --set overrides and defaults applied.
// toml++ stays in Case.cpp: it is heavy and does not compile under nvcc.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::io {

// Everything wrong with a case, one problem a line, sorted by where it is:
//   <file>:<line>:<column>: <dotted.key>: <problem>
// or, for a problem in an override, `--set <section.key=value>` in place of the file position.
class CaseError : public core::Error {
 public:
  explicit CaseError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return m_problems; }

 private:
  std::vector<std::string> m_problems;
};

namespace detail {
struct SectionData;
}

// One section of a case, or one entry of a repeated section; a view that lives as long as
// its Case. Keys are plain names ("radius"). A key the schema does not declare, a getter of
// the wrong type, or a key that has no value (optional and absent: check has()) throws
// core::Error: these are programming errors, not problems of the case file.
class Section {
 public:
  std::int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  const std::vector<double>& get_floats(std::string_view key) const;
  const std::vector<std::int64_t>& get_ints(std::string_view key) const;
  const std::vector<std::string>& get_strings(std::string_view key) const;
  bool has(std::string_view key) const;
  // "md", or "lbm.obstacle[1]" for an entry of a repeated section.
  const std::string& name() const;

 private:
  friend class Case;
  explicit Section(const detail::SectionData& data) : m_data(&data) {}
  template <class T>
  const T& get(std::string_view key) const;

  const detail::SectionData* m_data;
};

// What a case file says it is, read before it is validated, since which schema it must follow
// depends on it: the top-level tables it has and its run.solver (the last `--set run.solver=`
// wins, its value read as an override is: TOML, 'lbm' or "lbm", else the text as it is). A file
// that cannot be read or parsed gives an empty outline: validation then says why.
struct CaseOutline {
  std::vector<std::string> tables;
  std::string solver;
  bool has(std::string_view table) const;
};
CaseOutline outline_of(const std::filesystem::path& path,
                       const std::vector<std::string>& overrides = {});
// The same of a case's text (`source` names it in messages).
CaseOutline outline_of_text(std::string_view text, const std::string& source,
                            const std::vector<std::string>& overrides = {});

class Case {
 public:
  // `overrides` are --set arguments, "section.key=value", with value read as TOML (0.001,
  // true, [1, 2, 3], "text") or, when it is not valid TOML, as a string (run.name=foo). They
  // replace file values and are checked like them. Throws CaseError listing every problem.
  static Case from_file(const std::filesystem::path& path, const Schema& schema,
                        const std::vector<std::string>& overrides = {});
  // `source` names the text in messages, as a file path would.
  static Case from_string(std::string_view text, std::string source, const Schema& schema,
                          const std::vector<std::string>& overrides = {});

  Case(Case&&) noexcept;
  Case& operator=(Case&&) noexcept;
  ~Case();

  // Dotted keys, "md.dt". Defaults are filled in; the errors are those of Section.
  std::int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  const std::vector<double>& get_floats(std::string_view key) const;
  const std::vector<std::int64_t>& get_ints(std::string_view key) const;
  const std::vector<std::string>& get_strings(std::string_view key) const;
  bool has(std::string_view key) const;

  // An optional section is present when the case has its table (or, repeated, at least one
  // entry). An absent single section still gives the schema's defaults (one place for them);
  // its keys without a default throw.
  bool has_section(std::string_view section) const;
  Section section(std::string_view section) const;
  // The entries of a repeated section, in file order; empty when absent.
  std::vector<Section> entries(std::string_view section) const;

  // The case as TOML with overrides and defaults applied, sections and keys in schema order:
  // what a run writes as case.toml. Reading it back gives the same values. Keys::physics
  // leaves the lines of layout keys (KeySpec::layout) empty, so the other lines keep their
  // numbers: what a restart must match.
  enum class Keys { all, physics };
  std::string resolved_text(Keys keys = Keys::all) const;
  const std::string& source() const;
  const Schema& schema() const;

 private:
  struct Impl;
  explicit Case(std::unique_ptr<Impl> impl);
  const SectionSpec& declared_section(std::string_view section) const;  // or core::Error
  const std::vector<detail::SectionData>& entries_of(std::string_view section) const;

  std::unique_ptr<Impl> m_impl;
};

}  // namespace twinsim::io
