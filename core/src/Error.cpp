#include "twinsim/core/Error.hpp"

#include <fmt/format.h>

namespace twinsim::core {

void throw_call_error(const char* call, const char* file, int line, const std::string& what) {
  throw Error(fmt::format("{} failed at {}:{}: {}", call, file, line, what));
}

}  // namespace twinsim::core
