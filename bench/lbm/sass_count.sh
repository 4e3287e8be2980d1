#!/usr/bin/env bash
# Registers, spills and SASS instructions per interior cell update of the LBM stream-collide
# kernels (D3Q19 FP32, then D2Q9 FP32; two lattices, then in place), from the CUDA objects of
# solvers/lbm/src/solver_impl.hpp (one per lattice and precision): built
# in BUILD_DIR (a CUDA build, default ./build) if missing, then read with cuobjdump. No GPU
# needed. The counting method: bench/lbm/README.md and sass_count.py. Usage:
#   bench/lbm/sass_count.sh [BUILD_DIR] [--list]
set -euo pipefail
build=${1:-build}
shift $(( $# > 0 ? 1 : 0 ))
here=$(cd "$(dirname "$0")" && pwd)
obj_of() {  # the CUDA object of one lattice's FP32 solver (solvers/lbm/CMakeLists.txt)
  echo "solvers/lbm/CMakeFiles/twinsim_lbm_cuda.dir/twinsim_lbm_backends/cuda/solver_$1_fp32.cu.o"
}
grep -q "TWINSIM_ENABLE_CUDA:BOOL=ON" "$build/CMakeCache.txt" ||
  { echo "$build is not a CUDA build (cmake --preset release where nvcc is found)" >&2; exit 1; }
command -v cuobjdump > /dev/null && command -v nvdisasm > /dev/null ||
  { echo "cuobjdump and nvdisasm must be on PATH (the CUDA toolkit's, or the PyPI wheels" \
         "nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm: bin/ under nvidia/cu13)" >&2; exit 1; }
cmake --build "$build" --target "$(obj_of d3q19)" "$(obj_of d2q9)" > /dev/null
echo "# $(git -C "$here" rev-parse --short HEAD) $(date -u +%F), $(nvcc --version | tail -1)"
for step in two_lattice in_place; do
  python3 "$here/sass_count.py" "$build/$(obj_of d3q19)" --lattice d3q19 --step $step "$@"
  python3 "$here/sass_count.py" "$build/$(obj_of d2q9)" --lattice d2q9 --step $step "$@"
done
