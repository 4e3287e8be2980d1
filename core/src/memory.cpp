#include <cstdlib>
#include <cstring>
#include <new>

#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/config.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"

namespace twinsim::core::detail {

namespace {
constexpr std::size_t k_host_alignment = 64;  // one cache line; enough for AVX-512 loads

}  // namespace

#if !TWINSIM_HAVE_CUDA
// A build without CUDA has no device memory: asking for it is a clear error.
void* device_allocate(std::size_t) {
  throw Error("device memory requested, but this Twinsim was built without the CUDA backend");
}
void device_free(void*) noexcept {}  // nothing was ever allocated on a device
void device_copy(void*, const void*, std::size_t) { device_allocate(0); }
#endif

void* allocate(std::size_t bytes, MemorySpace space) {
  count_allocation();
  if (space == MemorySpace::Device) return device_allocate(bytes);
  const std::size_t rounded = (bytes + k_host_alignment - 1) / k_host_alignment * k_host_alignment;
  void* p = std::aligned_alloc(k_host_alignment, rounded);
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocate(void* ptr, MemorySpace space) noexcept {
  if (!ptr) return;
  if (space == MemorySpace::Device)
    device_free(ptr);
  else
    std::free(ptr);
}

void copy_bytes(void* dst, MemorySpace dst_space, const void* src, MemorySpace src_space,
                std::size_t bytes) {
  if (bytes == 0) return;
  count_synchronization();
  count_copy(std::int64_t(bytes));
  if (dst_space == MemorySpace::Host && src_space == MemorySpace::Host) {
    std::memcpy(dst, src, bytes);
    return;
  }
  device_copy(dst, src, bytes);
}

}  // namespace twinsim::core::detail
