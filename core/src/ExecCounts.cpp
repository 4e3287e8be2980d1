#include "twinsim/core/ExecCounts.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace twinsim::core {

namespace {
std::atomic<std::int64_t> g_synchronizations{0};
std::atomic<std::int64_t> g_allocations{0};
std::atomic<std::int64_t> g_launches{0};
std::atomic<std::int64_t> g_copies{0};
std::atomic<std::int64_t> g_copied_bytes{0};
}  // namespace

ExecCounts exec_counts() {
  return {g_synchronizations.load(std::memory_order_relaxed),
          g_allocations.load(std::memory_order_relaxed), g_launches.load(std::memory_order_relaxed),
          g_copies.load(std::memory_order_relaxed), g_copied_bytes.load(std::memory_order_relaxed)};
}

bool sync_check_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("TWINSIM_SYNC_CHECK");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return enabled;
}

namespace detail {
void count_synchronization() { g_synchronizations.fetch_add(1, std::memory_order_relaxed); }
void count_allocation() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
void count_launch() { g_launches.fetch_add(1, std::memory_order_relaxed); }
void count_copy(std::int64_t bytes) {
  g_copies.fetch_add(1, std::memory_order_relaxed);
  g_copied_bytes.fetch_add(bytes, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace twinsim::core
