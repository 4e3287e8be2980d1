#!/usr/bin/env bash
# Twinsim developer entry point. Usage: ./dev.sh <setup|build|demo|test|sanitize>
#   setup     install the Debian 12 packages Twinsim needs (only what is missing)
#   build     setup, then configure and build (CUDA backend too when nvcc is found)
#   demo      build, then run the demo case into runs/demo
#   test      build, then run the test suite (everything but the `slow` label)
#   sanitize  setup, then build and run the tests with AddressSanitizer + UBSan (CPU backend)
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  cmake ninja-build g++ pkg-config
  libhdf5-dev libfftw3-dev libopenblas-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev librandom123-dev
  libgtest-dev libthrust-dev
  python3 python3-numpy python3-h5py python3-matplotlib python3-pil python3-mdanalysis
  paraview python3-paraview xvfb xauth
)

setup() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
    return
  fi
  echo "setup: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# nvcc from the CUDA toolkit is used when it is on PATH or in its default place.
find_nvcc() {
  if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
  fi
}

build() {
  setup
  find_nvcc
  cmake --preset release
  cmake --build --preset release
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  demo)
    build
    ./build/apps/twinsim run cases/demo/taylor_green.toml --out runs/demo --overwrite
    ;;
  test)
    build
    ctest --preset release
    ;;
  sanitize)
    setup
    cmake --preset asan
    cmake --build --preset asan
    ctest --preset asan
    ;;
  *)
    sed -n '2,8p' "$0"
    exit 2
    ;;
esac
