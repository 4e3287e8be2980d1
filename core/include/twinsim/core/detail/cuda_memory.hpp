#pragma once
// CUDA runtime calls behind plain C++ declarations, so g++ translation units need no CUDA
// headers. Defined in core/src/cuda/cuda_runtime.cu; present only when TWINSIM_HAVE_CUDA.
#include <cstddef>
#include <string>

namespace twinsim::core::detail {
void* device_allocate(std::size_t bytes);
void device_free(void* ptr) noexcept;
// cudaMemcpy with cudaMemcpyDefault (unified addressing tells the direction); synchronous.
void device_copy(void* dst, const void* src, std::size_t bytes);
int cuda_device_count();
// Page-locked host memory (cudaMallocHost): what MPI reads and writes when device buffers are
// staged, so the device copies run at full PCIe/NVLink speed.
void* pinned_allocate(std::size_t bytes);
void pinned_free(void* ptr) noexcept;
// cudaSetDevice: the device this process's later CUDA calls use.
void cuda_set_device(int device);
std::string cuda_device_description();
std::string cuda_runtime_version();
}  // namespace twinsim::core::detail
