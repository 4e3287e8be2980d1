#include "twinsim/core/Log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>

namespace twinsim::core {

void init_logging(Verbosity verbosity) {
  auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  terminal->set_pattern("%^%l%$: %v");
  terminal->set_level(verbosity == Verbosity::Debug   ? spdlog::level::debug
                      : verbosity == Verbosity::Quiet ? spdlog::level::warn
                                                      : spdlog::level::info);
  auto logger = std::make_shared<spdlog::logger>("twinsim", terminal);
  logger->set_level(spdlog::level::debug);  // sinks filter; the log file keeps debug lines
  spdlog::set_default_logger(logger);
}

void log_to_file(const std::string& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l: %v");
  file->set_level(spdlog::level::debug);
  spdlog::default_logger()->sinks().push_back(file);
  spdlog::default_logger()->flush_on(spdlog::level::info);
}

}  // namespace twinsim::core
