#pragma once
// CUDA runtime calls behind plain C++ declarations, so g++ translation units need no CUDA
// headers. Defined in core/src/cuda/cuda_runtime.cu; present only when TWINSIM_HAVE_CUDA.
#include <cstddef>
#include <cstdint>
#include <string>

namespace twinsim::core::detail {
void* device_allocate(std::size_t bytes);
void device_free(void* ptr) noexcept;
// cudaMemcpy with cudaMemcpyDefault (unified addressing tells the direction); synchronous.
void device_copy(void* dst, const void* src, std::size_t bytes);
int cuda_device_count();
// cudaMemGetInfo's free bytes on the current device.
std::uint64_t cuda_free_memory();
// Page-locked host memory (cudaMallocHost): what MPI reads and writes when device buffers are
// staged, so the device copies run at full PCIe/NVLink speed.
void* pinned_allocate(std::size_t bytes);
void pinned_free(void* ptr) noexcept;
// cudaSetDevice: the device this process's later CUDA calls use.
void cuda_set_device(int device);
std::string cuda_device_description();
std::string cuda_runtime_version();

// The exec layer's persistent areas (default stream, one host thread at a time): CUB's scratch,
// at least `bytes`, grown (and counted as an allocation) only when a call needs more than any
// before; one device slot and one pinned host slot of k_result_bytes for reduction results.
inline constexpr std::size_t k_result_bytes = 64;
void* cub_scratch(std::size_t bytes);
void* device_result();
void* pinned_result();
// After a launch: counts it, turns a launch error into an Error naming `what` and its call site
// (file:line), and with TWINSIM_SYNC_CHECK=1 waits for the kernel and reports its fault there.
void launched(const char* what, const char* file, int line);
}  // namespace twinsim::core::detail
