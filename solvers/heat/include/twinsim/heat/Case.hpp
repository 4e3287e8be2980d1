#pragma once
// The [heat] section of a case file (SI units): its keys, the refusals the schema cannot make
// (an unstable step, an unresolved sine mode), what it describes and the disk the run takes.
#include <cstdint>

#include "twinsim/heat/HeatSolver.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/loop/Run.hpp"

namespace twinsim::heat {

// Declares [heat].
void add_schema(io::Schema& schema);

// Throws core::Error for a step above the FTCS stability limit (the message names the largest
// stable dt) and for a sine mode the grid cannot resolve (mode > cells / 2).
void check(const io::Case& case_file);

// What a checked case describes.
struct Start {
  HeatSettings settings;
  Profile profile;
  std::int64_t steps = 0;
  std::int64_t output_every = 0;  // 0: no field frames
};
Start start_of(const io::Case& case_file);

// Output (temperature frames) and checkpoint bytes of the case.
loop::Plan plan(const io::Case& case_file);

}  // namespace twinsim::heat
