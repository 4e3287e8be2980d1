// libFuzzer target: a case file's text through everything `twinsim check` does with it (the
// outline, the schema of the solver it names or the surrogate schema, validation, the kind's
// check and its disk and memory plan, the resolved text). A refusal (core::Error) is the
// expected answer to bad input; anything else (a crash, another exception, a sanitizer report,
// a leak, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runs.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/Schema.hpp"

using namespace twinsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const io::CaseOutline outline = io::outline_of_text(text, "fuzz.toml");
    if (outline.solver.empty() && outline.has("model")) {
      const io::Case c = io::Case::from_string(text, "fuzz.toml", nn::surrogate_case_schema());
      (void)c.resolved_text();
      return 0;
    }
    const loop::Kind* kind = app::find_solver(outline.solver);
    const io::Case c = io::Case::from_string(text, "fuzz.toml", app::case_schema_of(outline));
    if (kind && kind->check) kind->check(c);
    if (kind && kind->plan) (void)kind->plan(c);
    (void)c.resolved_text();
  } catch (const core::Error&) {
  }
  return 0;
}
