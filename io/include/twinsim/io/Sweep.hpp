#pragma once
// Parameter sweeps: a case with a [sweep] section stands for one case per task (a member).
//
//   [sweep]
//   mode = "grid"                  # "grid": every combination; "zip": the i-th value of each list
//   "spectral.seed" = [0, 1, 2]    # "section.key" = [values], any key of the case's schema
//   "spectral.nu" = [1e-3, 2e-3]
//
// Keys are taken in alphabetical order; in a grid the last varies fastest. Task i is the case
// with task i's values, [sweep] removed and run.name suffixed with _<i>. io knows no solver, so
// the caller says which schema a case follows (SchemaOf) and what else refuses one (a check).
// toml++ stays in Sweep.cpp, as in Case.cpp.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::io {

// The schema a case must follow, chosen from what the case says it is (its run.solver, its
// tables). Messages call a case "a <solver> case" when the schema's run.solver accepts it.
using SchemaOf = std::function<Schema(const CaseOutline&)>;

// How each member of a sweep is validated: its schema, then `check` (may be empty), which
// throws core::Error for settings the schema cannot judge alone.
struct MemberRules {
  SchemaOf schema;
  std::function<void(const Case&)> check;
};

struct Sweep {
  std::string source;             // the case file, as messages name it
  std::string base_text;          // the case with its [sweep] lines blanked (positions kept)
  std::vector<std::string> keys;  // "section.key", alphabetical
  std::vector<std::vector<Value>> tasks;  // tasks[i][k]: the value of keys[k] in task i
};

// True when the case file parses as TOML and has a [sweep] key.
bool has_sweep(const std::filesystem::path& case_path);
// The sweep of a case file, its swept keys checked against schema_of(the file's outline).
// Throws core::Error with the message that refuses a bad one ("<file>: sweep.\"x.y\": ...").
Sweep read_sweep(const std::filesystem::path& case_path, const SchemaOf& schema_of);

// One task of a sweep as a case of its own.
struct SweepMember {
  std::vector<std::string> overrides;  // the task's values, then run.name=<run.name>_<i>
  Case case_file;                      // validated, every override applied
};

// A member that its rules refuse: which task, and why. problems() holds the case's problems
// (what() is them, one a line) when validation refused it, and is empty when the check did.
class MemberRefused : public core::Error {
 public:
  MemberRefused(std::size_t task, std::string why, std::vector<std::string> problems)
      : core::Error(std::move(why)), m_task(task), m_problems(std::move(problems)) {}
  std::size_t task() const { return m_task; }
  const std::vector<std::string>& problems() const { return m_problems; }

 private:
  std::size_t m_task;
  std::vector<std::string> m_problems;
};

// Task i: the base case with `overrides` (--set arguments, applied first), the task's values
// and run.name suffixed with _<i>. The member's schema follows its outline after overrides (a
// swept or --set run.solver included). Throws MemberRefused.
SweepMember sweep_member(const Sweep& sweep, std::size_t i,
                         const std::vector<std::string>& overrides, const MemberRules& rules);
// Every member, in task order; throws MemberRefused for the first one refused.
std::vector<SweepMember> sweep_members(const Sweep& sweep,
                                       const std::vector<std::string>& overrides,
                                       const MemberRules& rules);

// Writes dir/task_<i>.toml (a comment naming the task's values, then the resolved case) and
// dir/tasks.csv (task, run.name, one column per swept key as TOML text), each through a
// temporary name. Earlier task_* files in dir are removed first; dir is created if missing.
void write_sweep(const std::filesystem::path& dir, const Sweep& sweep,
                 const std::vector<SweepMember>& members);

}  // namespace twinsim::io
