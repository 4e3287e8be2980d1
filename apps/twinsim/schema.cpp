// twinsim schema [SECTION] [--format text|json|markdown]: every case-file key of every kind of
// case (solver cases, then the surrogate cases' own sections), as a table wrapped to the
// terminal, as JSON for scripts, or as Markdown for documentation.
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "commands.hpp"
#include "runs.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::app {

namespace {

// The sections to document: the solver cases' (with [run] and [checkpoint]), then those only
// surrogate cases have; `section` non-empty: that one (an Error with a close match if unknown).
std::vector<io::SectionSpec> sections(const std::string& section) {
  const io::Schema solvers = case_schema(), surrogates = surrogate_case_schema();
  std::vector<io::SectionSpec> all;
  std::vector<std::string> names;
  for (const io::Schema* schema : {&solvers, &surrogates})
    for (const std::string& name : schema->section_names())
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
        all.push_back(*schema->find(name));
      }
  if (section.empty()) return all;
  for (const io::SectionSpec& s : all)
    if (s.name == section) return {s};
  const std::string hint = io::detail::did_you_mean(section, names);
  throw core::Error(fmt::format("unknown section '{}'; {}", section,
                                hint.empty() ? "known sections are " + io::detail::quoted_list(names)
                                             : hint));
}

std::string presence(const io::KeySpec& key) {
  return key.default_value ? io::to_toml(*key.default_value)
         : key.presence == io::Presence::required ? "required"
                                                   : "optional";
}

// Columns of the terminal on stdout; 0 (no wrapping) when stdout is not one and $COLUMNS is
// not set.
std::size_t terminal_width() {
  winsize w{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
    return w.ws_col;
  if (const char* columns = std::getenv("COLUMNS"); columns && std::atoi(columns) > 0)
    return std::size_t(std::atoi(columns));
  return 0;
}

// Words of text in lines of at most width characters (a longer word gets a line of its own).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines(1);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!lines.back().empty() && width > 0 && lines.back().size() + 1 + word.size() > width)
      lines.emplace_back();
    lines.back() += (lines.back().empty() ? "" : " ") + word;
    start = end + 1;
  }
  return lines;
}

std::string text(const std::vector<io::SectionSpec>& specs, std::size_t width) {
  using Row = std::array<std::string, 6>;
  const Row titles = {"key", "type", "default", "allowed", "unit", "description"};
  std::array<std::size_t, 5> w{};
  const auto widen = [&](const Row& row) {
    for (std::size_t c = 0; c < w.size(); ++c) w[c] = std::max(w[c], row[c].size());
  };
  widen(titles);
  for (const io::SectionSpec& s : specs)
    for (const io::KeySpec& k : s.keys)
      widen({k.name, k.type_name(), presence(k), k.allowed(), k.unit, ""});
  std::size_t indent = 2;
  for (std::size_t c : w) indent += c + 2;
  // The description column when at least 30 characters remain for it, else lines of their own
  // under the key, indented by 6.
  const bool beside = width == 0 || width >= indent + 30;
  const std::size_t description_width = width == 0 ? 0 : beside ? width - indent : width - 6;
  // A table row; on a narrow terminal a block instead: "key: type, default, allowed, unit"
  // and the description under it, both wrapped.
  const auto line = [&](const Row& row) {
    std::string out;
    if (beside) {
      out = " ";
      for (std::size_t c = 0; c < w.size(); ++c)
        out += " " + row[c] + std::string(w[c] - row[c].size() + 1, ' ');
      const std::vector<std::string> doc = wrap(row[5], description_width);
      out += " " + doc[0];
      for (std::size_t i = 1; i < doc.size(); ++i) out += "\n" + std::string(indent, ' ') + doc[i];
      out.erase(out.find_last_not_of(' ') + 1);
      return out + "\n";
    }
    std::string facts = row[0] + ": " + row[1];
    facts += row[2] == "required" || row[2] == "optional" ? ", " + row[2] : ", default " + row[2];
    if (!row[3].empty()) facts += ", allowed " + row[3];
    if (!row[4].empty()) facts += ", unit " + row[4];
    const std::vector<std::string> lines = wrap(facts, width - 4);
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "    " : "  ") + lines[i] + "\n";
    for (const std::string& d : wrap(row[5], description_width)) out += "      " + d + "\n";
    return out;
  };
  std::string out = beside ? line(titles) : "";
  for (const io::SectionSpec& s : specs) {
    const std::string header = s.repeated ? "[[" + s.name + "]]" : "[" + s.name + "]";
    out += "\n";
    for (const std::string& l :
         wrap(fmt::format("{}  {} ({})", header, s.doc, s.required ? "required" : "optional"),
              width))
      out += l + "\n";
    for (const io::KeySpec& k : s.keys)
      out += line({k.name, k.type_name(), presence(k), k.allowed(), k.unit, k.description()});
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += std::string("\\") + c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
    else out += c;
  }
  return out + "\"";
}

std::string json(const std::vector<io::SectionSpec>& specs) {
  std::string out = "{\n  \"sections\": [";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const io::SectionSpec& s = specs[i];
    out += fmt::format("{}\n    {{\"name\": {}, \"doc\": {}, \"required\": {}, \"repeated\": {}, "
                       "\"keys\": [",
                       i ? "," : "", json_string(s.name), json_string(s.doc), s.required,
                       s.repeated);
    for (std::size_t j = 0; j < s.keys.size(); ++j) {
      const io::KeySpec& k = s.keys[j];
      const char* kind = k.presence == io::Presence::required   ? "required"
                         : k.presence == io::Presence::defaulted ? "defaulted"
                                                                 : "optional";
      out += fmt::format("{}\n      {{\"name\": {}, \"type\": {}, \"presence\": \"{}\", "
                         "\"default\": {}, \"allowed\": {}, \"unit\": {}, \"doc\": {}}}",
                         j ? "," : "", json_string(k.name), json_string(k.type_name()), kind,
                         k.default_value ? json_string(io::to_toml(*k.default_value)) : "null",
                         json_string(k.allowed()), json_string(k.unit),
                         json_string(k.description()));
    }
    out += "]}";
  }
  return out + "\n  ]\n}\n";
}

std::string markdown_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown(const std::vector<io::SectionSpec>& specs) {
  std::string out;
  for (const io::SectionSpec& s : specs) {
    const std::string header = s.repeated ? "[[" + s.name + "]]" : "[" + s.name + "]";
    out += fmt::format("### `{}`\n\n{} ({})\n\n", header, markdown_cell(s.doc),
                       s.required ? "required" : "optional");
    out += "| key | type | default | allowed | unit | description |\n"
           "|---|---|---|---|---|---|\n";
    for (const io::KeySpec& k : s.keys)
      out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", k.name,
                         markdown_cell(k.type_name()), markdown_cell(presence(k)),
                         markdown_cell(k.allowed()), markdown_cell(k.unit),
                         markdown_cell(k.description()));
    out += "\n";
  }
  return out;
}

}  // namespace

int schema(const std::string& section, const std::string& format) {
  try {
    const std::vector<io::SectionSpec> specs = sections(section);
    const std::string out = format == "json"       ? json(specs)
                            : format == "markdown" ? markdown(specs)
                                                   : text(specs, terminal_width());
    std::fputs(out.c_str(), stdout);
    return k_exit_ok;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
}

}  // namespace twinsim::app
