#include "twinsim/lbm/CpuIsa.hpp"

#include <cstdlib>

#include "twinsim/core/Error.hpp"

namespace twinsim::lbm {

namespace {

// Whether this build holds the level's objects (TWINSIM_LBM_BUILT_*: solvers/lbm/CMakeLists.txt)
// and the CPU runs it.
bool available(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::baseline:
      return true;
    case CpuIsa::avx2:
#if defined(TWINSIM_LBM_BUILT_AVX2)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case CpuIsa::avx512:
#if defined(TWINSIM_LBM_BUILT_AVX512)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#else
      return false;
#endif
  }
  return false;
}

}  // namespace

std::vector<CpuIsa> cpu_isas_available() {
  std::vector<CpuIsa> levels;
  for (CpuIsa isa : {CpuIsa::baseline, CpuIsa::avx2, CpuIsa::avx512})
    if (available(isa)) levels.push_back(isa);
  return levels;
}

CpuIsa cpu_isa() {
  const std::vector<CpuIsa> levels = cpu_isas_available();
  const char* forced = std::getenv("TWINSIM_LBM_ISA");
  if (!forced || !*forced) return levels.back();
  std::string names;
  for (CpuIsa isa : levels) {
    if (to_string(isa) == forced) return isa;
    names += (names.empty() ? "" : ", ") + to_string(isa);
  }
  throw core::Error("TWINSIM_LBM_ISA = \"" + std::string(forced) +
                    "\": not a level this build holds and this CPU runs (available: " + names +
                    ")");
}

std::string to_string(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::baseline: return "baseline";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::avx512: return "avx512";
  }
  return "?";
}

}  // namespace twinsim::lbm
