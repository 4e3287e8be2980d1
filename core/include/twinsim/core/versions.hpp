#pragma once
#include <string>
#include <utility>
#include <vector>

namespace twinsim::core {

// Twinsim's version, e.g. "0.1.0".
std::string version();
// Libraries this build uses and their versions (name, version), for `twinsim info` and for
// the provenance attributes of output files.
std::vector<std::pair<std::string, std::string>> library_versions();

}  // namespace twinsim::core
