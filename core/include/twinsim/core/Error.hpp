#pragma once
#include <stdexcept>
#include <string>

namespace twinsim::core {

// Every failure Twinsim reports is an Error: a message a user can act on. Failures of vendor
// calls (CUDA, cuFFT, cuBLAS, FFTW, HDF5) carry the failing call; where it was made goes to
// the debug log.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error("<call> failed: <what>"); the call's source location is logged at debug level
// (twinsim -v) only, since it is a path of the build machine.
[[noreturn]] void throw_call_error(const char* call, const char* file, int line,
                                   const std::string& what);

}  // namespace twinsim::core

#define TWINSIM_REQUIRE(cond, msg)                   \
  do {                                               \
    if (!(cond)) throw ::twinsim::core::Error(msg);  \
  } while (0)
