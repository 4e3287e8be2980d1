#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twinsim::core {

// The compute backend chosen at run time. Cpu runs the OpenMP build of every kernel, Gpu the
// CUDA build; one binary holds both when CUDA was enabled at configure time.
enum class Backend { Cpu, Gpu };

std::string_view to_string(Backend b);

// True when this binary has the CUDA backend and at least one CUDA device is visible.
bool gpu_available();
// Number of visible CUDA devices (0 when the CUDA backend was not built).
int gpu_count();
// One line describing the GPU (name, memory, compute capability), or why there is none.
std::string gpu_description();
// Bytes of device memory free now on this process's GPU (cudaMemGetInfo; 0 without one).
std::uint64_t gpu_free_memory();

// The --device / run.device requests, spelled once: "auto", "cpu", "gpu".
const std::vector<std::string>& device_requests();

// Resolves a --device request ("auto", "cpu" or "gpu"). auto picks the GPU when one is present.
// Throws Error for an unknown request, or "gpu" where no GPU backend or device exists.
Backend select_backend(std::string_view request);

}  // namespace twinsim::core
