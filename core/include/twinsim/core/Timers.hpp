#pragma once
#include <chrono>
#include <map>
#include <string>

namespace twinsim::core {

// Wall-clock seconds since `start` (steady clock).
double seconds_since(std::chrono::steady_clock::time_point start);

// Wall-clock seconds accumulated per named phase of a step (forces, neighbors, output, ...).
// GPU work is asynchronous: a phase timed around GPU calls measures queueing unless the phase
// ends with a synchronisation; solvers time whole steps or synchronise at phase ends.
class Timers {
 public:
  void add(const std::string& phase, double seconds) { m_seconds[phase] += seconds; }
  double seconds(const std::string& phase) const;
  const std::map<std::string, double>& all() const { return m_seconds; }

 private:
  std::map<std::string, double> m_seconds;
};

// Adds the lifetime of this object to one phase of a Timers.
class ScopedTimer {
 public:
  ScopedTimer(Timers& timers, std::string phase)
      : m_timers(timers), m_phase(std::move(phase)), m_start(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    m_timers.add(m_phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start)
                              .count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  Timers& m_timers;
  std::string m_phase;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace twinsim::core
