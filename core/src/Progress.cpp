#include "twinsim/core/Progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>

namespace twinsim::core {

namespace {
constexpr double k_terminal_interval_s = 0.2;

std::FILE* terminal_or_null(std::FILE* f) { return f && isatty(fileno(f)) ? f : nullptr; }
}  // namespace

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto total = static_cast<long long>(std::llround(s));
  if (total >= 3600) return fmt::format("{} h {:02} min", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{} min {:02} s", total / 60, total % 60);
  if (s < 10) return fmt::format("{:.1f} s", s);
  return fmt::format("{} s", total);
}

Progress::Progress(std::string label, std::int64_t total, std::string unit, double log_interval_s)
    : Progress(std::move(label), total, std::move(unit), log_interval_s, stderr) {}

Progress::Progress(std::string label, std::int64_t total, std::string unit, double log_interval_s,
                   std::FILE* terminal)
    : m_label(std::move(label)),
      m_total(total),
      m_unit(std::move(unit)),
      m_log_interval_s(log_interval_s),
      m_terminal(terminal_or_null(terminal)),
      m_start(Clock::now()),
      m_last_print(m_start) {}

Progress::~Progress() {
  // A run that ends early by an exception leaves its last line as it was, but on its own line.
  if (m_terminal && !m_finished) std::fputc('\n', m_terminal);
}

std::string Progress::line(std::int64_t done, double elapsed_s) const {
  const double rate = elapsed_s > 0 ? double(done - m_first) / elapsed_s : 0.0;
  const double left = rate > 0 ? double(m_total - done) / rate : NAN;
  return fmt::format("{}: {}/{} {} ({:.1f}%), {:.4g} {}/s, {} left", m_label, done, m_total,
                     m_unit, m_total > 0 ? 100.0 * double(done) / double(m_total) : 100.0, rate,
                     m_unit, format_duration(left));
}

void Progress::update(std::int64_t done) {
  m_done = done;
  const auto now = Clock::now();
  const double since_print = std::chrono::duration<double>(now - m_last_print).count();
  const double interval = m_terminal ? k_terminal_interval_s : m_log_interval_s;
  if (since_print < interval) return;
  m_last_print = now;
  const std::string text = line(done, std::chrono::duration<double>(now - m_start).count());
  if (m_terminal) {
    std::fprintf(m_terminal, "\r\033[K%s", text.c_str());
    std::fflush(m_terminal);
  } else {
    spdlog::info("{}", text);
  }
}

void Progress::finish() {
  if (m_finished) return;
  m_finished = true;
  const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
  const std::int64_t here = m_done - m_first;
  const std::string text = fmt::format(
      "{}: {} {} in {}{}, {:.4g} {}/s", m_label, here, m_unit, format_duration(elapsed),
      m_first > 0 ? fmt::format(" (after {} before the restart)", m_first) : "",
      elapsed > 0 ? double(here) / elapsed : 0.0, m_unit);
  if (m_terminal) std::fprintf(m_terminal, "\r\033[K");
  spdlog::info("{}", text);
}

}  // namespace twinsim::core
