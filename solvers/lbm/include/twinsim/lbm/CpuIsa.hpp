#pragma once
// The x86-64 instruction-set level the CPU backend's interior stream-collide loop runs at. The
// loop is compiled once per level the compiler offers (solvers/lbm/CMakeLists.txt, each level
// in its own object and namespace, -ffp-contract=off) and the best level this CPU runs is
// chosen at run time, so one binary runs on any x86-64 and gives the same bits at every level.
#include <string>
#include <vector>

namespace twinsim::lbm {

// baseline: the build's own flags (x86-64: SSE2); avx2: AVX2 and FMA (x86-64-v3's vector set);
// avx512: AVX-512 F, VL, BW and DQ with 512-bit vectors (x86-64-v4's).
enum class CpuIsa { baseline, avx2, avx512 };

// The levels this build holds that this CPU runs, lowest first (baseline always).
std::vector<CpuIsa> cpu_isas_available();
// The level the CPU solvers use: the highest of cpu_isas_available(), or the one the
// environment variable TWINSIM_LBM_ISA names (baseline, avx2, avx512; a core::Error for a level
// that is not available). Read when a solver is made.
CpuIsa cpu_isa();
std::string to_string(CpuIsa isa);

}  // namespace twinsim::lbm
