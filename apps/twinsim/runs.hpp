#pragma once
// The kinds of run `twinsim run` knows: every solver library's loop::Kind, listed once in
// runs.cpp. A new solver is one line there (docs/adding-a-solver.md).
#include <string>
#include <vector>

#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::app {

const std::vector<loop::Kind>& solvers();
// The kind named `name`, or null.
const loop::Kind* find_solver(const std::string& name);

// The schema of a case file for one solver: [run] and [checkpoint] plus that solver's sections,
// so one solver's required sections never burden another's cases. Empty: every solver's
// sections (documentation).
io::Schema case_schema(const std::string& solver = "");
// The schema a case of this outline follows: case_schema of the solver it names, or of every
// solver when it names none that is known (validation then says why).
io::Schema case_schema_of(const io::CaseOutline& outline);
// The named solver's check of a validated case; throws core::Error for what it refuses.
void check_case(const io::Case& case_file);

}  // namespace twinsim::app
