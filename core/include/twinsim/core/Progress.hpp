#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace twinsim::core {

// Progress of long work: steps done, rate and time left. On a terminal one line is redrawn in
// place (at most 5 times a second); otherwise (batch jobs, pipes) a plain log line is written
// every `log_interval_s` seconds, so Slurm output files stay short and readable.
class Progress {
 public:
  Progress(std::string label, std::int64_t total, std::string unit = "steps",
           double log_interval_s = 30.0);
  // Same, writing to `terminal` when it is a tty (tests pass a pipe or file to force plain mode).
  Progress(std::string label, std::int64_t total, std::string unit, double log_interval_s,
           std::FILE* terminal);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A restarted run: `done` units were done before this process started; rates and time left
  // count only what this process does.
  void resume_at(std::int64_t done) { m_first = m_done = done; }
  // Cheap when nothing is printed: call it every step.
  void update(std::int64_t done);
  // Prints the final line (total time and mean rate) once.
  void finish();

  // The text of a progress line, e.g. "run: 500/1000 steps (50.0%), 123 steps/s, 4 s left".
  std::string line(std::int64_t done, double elapsed_s) const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string m_label;
  std::int64_t m_total;
  std::string m_unit;
  double m_log_interval_s;
  std::FILE* m_terminal;  // null: not a terminal, log lines instead
  Clock::time_point m_start;
  Clock::time_point m_last_print;
  std::int64_t m_first = 0;  // done when this process started
  std::int64_t m_done = 0;
  bool m_finished = false;
};

// "1 h 02 min", "3 min 05 s", "42 s": a duration for people.
std::string format_duration(double seconds);

}  // namespace twinsim::core
