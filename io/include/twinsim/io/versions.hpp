#pragma once
#include <string>
#include <utility>
#include <vector>

namespace twinsim::io {
// Versions of the libraries io uses (HDF5, toml++), for `twinsim info` and provenance.
std::vector<std::pair<std::string, std::string>> library_versions();
}  // namespace twinsim::io
