#include "twinsim/core/Timers.hpp"

namespace twinsim::core {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Timers::seconds(const std::string& phase) const {
  const auto it = m_seconds.find(phase);
  return it == m_seconds.end() ? 0.0 : it->second;
}

}  // namespace twinsim::core
