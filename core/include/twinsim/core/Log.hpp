#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace twinsim::core {

// Logging goes through spdlog's default logger: messages to the terminal (stderr) and, once a
// run directory exists, to its log.txt as well. Use spdlog::info/warn/error directly.
enum class Verbosity { Quiet, Normal, Debug };

// Sets up the terminal sink; call once at program start.
void init_logging(Verbosity verbosity);
// Adds a file sink (every message, with time stamps) to the default logger.
void log_to_file(const std::string& path);

}  // namespace twinsim::core
