#include "twinsim/core/Error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace twinsim::core {

// The source location is the build machine's path: for -v (debug) only, never in the message
// a user sees.
void throw_call_error(const char* call, const char* file, int line, const std::string& what) {
  spdlog::debug("{} failed at {}:{}", call, file, line);
  throw Error(fmt::format("{} failed: {}", call, what));
}

}  // namespace twinsim::core
