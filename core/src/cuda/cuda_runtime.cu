#include <fmt/format.h>

#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/ExecCounts.hpp"
#include "twinsim/core/detail/cuda_check.hpp"
#include "twinsim/core/detail/cuda_memory.hpp"

namespace twinsim::core::detail {

void* device_allocate(std::size_t bytes) {
  void* p = nullptr;
  TWINSIM_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

void device_free(void* ptr) noexcept { cudaFree(ptr); }

void device_copy(void* dst, const void* src, std::size_t bytes) {
  TWINSIM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault));
}

void* pinned_allocate(std::size_t bytes) {
  void* p = nullptr;
  TWINSIM_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}

void pinned_free(void* ptr) noexcept { cudaFreeHost(ptr); }

void cuda_set_device(int device) { TWINSIM_CUDA_CHECK(cudaSetDevice(device)); }

int cuda_device_count() {
  int n = 0;
  // No driver or no device is an answer (zero devices), not an error.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::uint64_t cuda_free_memory() {
  std::size_t free = 0, total = 0;
  TWINSIM_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

std::string cuda_device_description() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return fmt::format("no CUDA device ({})", cudaGetErrorString(err));
  }
  if (n == 0) return "no CUDA device";
  int dev = 0;
  TWINSIM_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  TWINSIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return fmt::format("{} (device {} of {}), {:.1f} GiB, compute capability {}.{}", prop.name, dev,
                     n, double(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0), prop.major,
                     prop.minor);
}

void* cub_scratch(std::size_t bytes) {
  static Buffer<unsigned char, DeviceSpace> scratch;
  // Growing frees the old area with cudaFree, which waits for the kernels still using it.
  if (bytes > scratch.size()) scratch = Buffer<unsigned char, DeviceSpace>(bytes);
  return scratch.data();
}

void* device_result() {
  static Buffer<unsigned char, DeviceSpace> slot(k_result_bytes);
  return slot.data();
}

void* pinned_result() {
  static void* slot = [] {
    void* p = nullptr;
    count_allocation();
    TWINSIM_CUDA_CHECK(cudaMallocHost(&p, k_result_bytes));
    return p;
  }();
  return slot;
}

void launched(const char* what, const char* file, int line) {
  count_launch();
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess && sync_check_enabled()) {
    err = cudaDeviceSynchronize();
    if (err == cudaSuccess) err = cudaGetLastError();
  }
  if (err != cudaSuccess)
    throw Error(fmt::format("CUDA kernel {} launched at {}:{} failed: {}{}", what, file, line,
                            cudaGetErrorString(err),
                            sync_check_enabled() ? ""
                                                 : " (the fault may be an earlier kernel's: "
                                                   "TWINSIM_SYNC_CHECK=1 checks after each launch)"));
}

std::string cuda_runtime_version() {
  int rt = 0, drv = 0;
  cudaRuntimeGetVersion(&rt);
  cudaDriverGetVersion(&drv);
  return fmt::format("runtime {}.{}, driver {}", rt / 1000, (rt % 1000) / 10,
                     drv ? fmt::format("{}.{}", drv / 1000, (drv % 1000) / 10) : "none");
}

}  // namespace twinsim::core::detail
