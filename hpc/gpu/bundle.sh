#!/usr/bin/env bash
# Builds the CUDA backend here (Release, sm_90, the `release` preset's options) and bundles what
# the GPU machine needs. The bundle is staged uncompressed in <build>/bundle (ignored, as every
# build-* folder) and packed into .gpu/bundle.tar.xz (git-ignored; travels with
# `carry: [".gpu"]`): unpacked it is ~140 MiB, packed ~24 MiB, and a call carries 64 MiB at most
# (OpenBLAS alone is 37 MiB, each test executable holds its solvers' sm_90 code).
# hpc/gpu/run_suite.sh unpacks it on the machine (/tmp/twinsim-gpu). The bundle holds:
#
#   bin/        every test executable under <build>/tests, twinsim, every bench_* target;
#               stripped, RPATH $ORIGIN/../lib
#   lib/        every shared library they load that is neither glibc nor a CUDA toolkit library
#               (the GPU machine has CUDA 13.0, as here): HDF5 and its szip/aec, FFTW, OpenBLAS
#               and gfortran, fmt, spdlog, libstdc++, libgomp, HDF5's curl/ssl/krb5 chain, ...
#   src/        the tracked cases/, tests/, postprocess/ and bench/ files, so the python tests,
#               case files and test data match the binaries
#   tests.tsv   one row per test executable: name, `slow` or `default`, extra environment
#   pytests.tsv the python tests that take (twinsim, source folder): name, label, script, env
#   BUILD       commit, date, compilers, the build's source folder (the tests compile it in);
#               also copied to .gpu/BUILD
#
#   hpc/gpu/bundle.sh [BUILD_DIR]     (from anywhere; default BUILD_DIR: <repo>/build-gpu)
#   JOBS=N to change the build's parallelism (default: nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-gpu}
stage=$build/bundle
dest=$root/.gpu
jobs=${JOBS:-$(nproc)}
limit_mib=64

command -v nvcc > /dev/null || { echo "bundle.sh: nvcc not found; the CUDA backend cannot be built here" >&2; exit 2; }
command -v patchelf > /dev/null || { echo "bundle.sh: patchelf not found: apt-get install patchelf" >&2; exit 2; }

# 1. Configure and build: everything in ALL (tests, twinsim), then the bench targets, which are
#    EXCLUDE_FROM_ALL. -DTWINSIM_ENABLE_CUDA=ON makes a missing nvcc an error, not a CPU build.
cd "$root"
mkdir -p "$build"
cmake --preset release -B "$build" -DTWINSIM_ENABLE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_BUILD_TYPE=Release > "$build/bundle-configure.log" 2>&1 \
  || { cat "$build/bundle-configure.log" >&2; exit 1; }
grep -q '^TWINSIM_ENABLE_CUDA:BOOL=ON' "$build/CMakeCache.txt" \
  || { echo "bundle.sh: $build is not a CUDA build" >&2; exit 1; }
cmake --build "$build" -j "$jobs"
# `cmake --build --target help` (Ninja) lists "name: phony" for every target, bench_* included.
mapfile -t bench_targets < <(cmake --build "$build" --target help | sed -n 's/^\(bench_[A-Za-z0-9_]*\): .*/\1/p' | sort -u)
if [ ${#bench_targets[@]} -gt 0 ]; then
  cmake --build "$build" -j "$jobs" --target "${bench_targets[@]}"
fi

# 2. Executables.
is_elf() { [ "$(head -c 4 "$1" 2> /dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/src"
exes=()
while IFS= read -r f; do
  is_elf "$f" && exes+=("$f")
done < <(find "$build/tests" -type f -perm -u+x -not -path '*/CMakeFiles/*' -not -path '*/consumer/*' | sort)
n_tests=${#exes[@]}
twinsim_exe=$(find "$build/apps" -maxdepth 2 -type f -name twinsim -perm -u+x | head -1)
[ -n "$twinsim_exe" ] || { echo "bundle.sh: no twinsim executable under $build/apps" >&2; exit 1; }
exes+=("$twinsim_exe")
for t in "${bench_targets[@]}"; do
  f=$(find "$build/bench" -type f -name "$t" -perm -u+x | head -1)
  [ -n "$f" ] && exes+=("$f") || echo "bundle.sh: warning: bench target $t built no executable" >&2
done
for f in "${exes[@]}"; do
  name=$(basename "$f")
  [ -e "$stage/bin/$name" ] && { echo "bundle.sh: two executables named $name" >&2; exit 1; }
  cp "$f" "$stage/bin/$name"
done

# 3. Shared libraries: what ldd resolves, less glibc's own libraries (the machine's glibc is
#    newer, Ubuntu 24.04's) and the CUDA toolkit's (the machine's driver and CUDA 13 have them).
skip_re='^(linux-vdso|ld-linux|libc\.so|libm\.so|libmvec|libpthread|libdl\.so|librt\.so|libresolv|libutil\.so|libanl|libnsl|libBrokenLocale|libcuda\.so|libcudart|libcufft|libcublas|libcurand|libcusparse|libcusolver|libnvJitLink|libnvrtc|libnvToolsExt|libnvidia-)'
declare -A libs=()
for f in "$stage"/bin/*; do
  while read -r soname arrow path _; do
    [ "$arrow" = "=>" ] || continue
    [[ $soname =~ $skip_re ]] && continue
    [ "$path" = "not" ] && { echo "bundle.sh: $(basename "$f") needs $soname, not found here" >&2; exit 1; }
    libs[$soname]=$path
  done < <(ldd "$f")
done
for soname in "${!libs[@]}"; do
  cp -L "${libs[$soname]}" "$stage/lib/$soname"
  chmod u+w "$stage/lib/$soname"
done

# 4. Strip; RPATH (DT_RPATH, which the loader also applies to the libraries' own dependencies).
strip --strip-unneeded "$stage"/bin/* "$stage"/lib/* 2> /dev/null || true
for f in "$stage"/bin/*; do patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$f"; done
for f in "$stage"/lib/*; do patchelf --force-rpath --set-rpath '$ORIGIN' "$f"; done

# 5. Sources the tests and benches read (tracked files only), and the test manifest.
git -C "$root" ls-files -z cases tests postprocess bench | (cd "$root" && xargs -0 cp --parents -t "$stage/src")
ctest --test-dir "$build" --show-only=json-v1 > "$stage/ctest.json"
/usr/bin/python3 - "$stage" "${exes[@]:0:$n_tests}" "$root" << 'EOF'
import json, os, sys
dest, exes = sys.argv[1], [os.path.basename(e) for e in sys.argv[2:-1]]
tests = json.load(open(os.path.join(dest, "ctest.json")))["tests"]
slow, env = set(), {}
for t in tests:
    cmd = t.get("command") or []
    if not cmd:
        continue
    exe = os.path.basename(cmd[0])
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    if exe in exes:
        if "slow" in (props.get("LABELS") or []):
            slow.add(exe)
        for kv in props.get("ENVIRONMENT") or []:
            if not kv.startswith("TWINSIM_XDMF_SAMPLES"):   # a path in the build folder
                env.setdefault(exe, set()).add(kv)
with open(os.path.join(dest, "tests.tsv"), "w") as f:
    for e in exes:
        f.write(f"{e}\t{'slow' if e in slow else 'default'}\t{' '.join(sorted(env.get(e, ()))) or '-'}\n")
# Python tests that take only (twinsim, source folder): they run from .gpu/src. The others read
# files that earlier CTest fixtures left in the build folder (postprocess, XDMF readers).
src, twinsim = sys.argv[-1], None
with open(os.path.join(dest, "pytests.tsv"), "w") as f:
    for t in tests:
        cmd = t.get("command") or []
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if len(cmd) == 4 and os.path.basename(cmd[0]).startswith("python3") \
                and os.path.basename(cmd[2]) == "twinsim" and cmd[3] == src \
                and cmd[1].startswith(src + "/"):
            label = "slow" if "slow" in (props.get("LABELS") or []) else "default"
            envs = " ".join(props.get("ENVIRONMENT") or []) or "-"
            f.write(f"{t['name']}\t{label}\t{os.path.relpath(cmd[1], src)}\t{envs}\n")
EOF
rm -f "$stage/ctest.json"
{
  echo "commit $(git -C "$root" rev-parse HEAD)$(git -C "$root" diff --quiet HEAD -- . ':!hpc' || echo ' (working tree differs)')"
  echo "date $(date -u +%FT%TZ)"
  echo "host $(uname -n) $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}')"
  echo "nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  echo "cxx $(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt") $(c++ -dumpfullversion)"
  echo "cuda_architectures $(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$build/CMakeCache.txt")"
  echo "source_dir $root"
} > "$stage/BUILD"

# 6. Checks: nothing unresolved; a test executable starts on this CPU (its GPU cases skip).
missing=$(for f in "$stage"/bin/*; do ldd "$f" | sed -n "s|^\s*\(.*not found.*\)|$(basename "$f"): \1|p"; done)
if [ -n "$missing" ]; then echo "bundle.sh: unresolved libraries:" >&2; echo "$missing" >&2; exit 1; fi
"$stage/bin/test_exec" --gtest_brief=1 > "$build/bundle-check.log" 2>&1 \
  || { echo "bundle.sh: $stage/bin/test_exec failed here (log: $build/bundle-check.log)" >&2; exit 1; }

# 7. Pack: .gpu/ holds only the archive and a copy of BUILD.
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$stage" -cf - BUILD tests.tsv pytests.tsv bin lib src | xz -6 -T "$jobs" -c > "$dest/bundle.tar.xz"
cp "$stage/BUILD" "$dest/BUILD"
# What travels: tracked and untracked-not-ignored files, plus the carried .gpu.
stage_kib=$(du -sk "$stage" | cut -f1)
size_kib=$(du -sk "$dest" | cut -f1)
tree_kib=$(( $( (git -C "$root" ls-files -z; git -C "$root" ls-files -z -o --exclude-standard) \
  | (cd "$root" && du -cb --files0-from=- 2> /dev/null) | tail -1 | cut -f1) / 1024 ))
mib() { echo "$(($1 / 1024)).$(( ($1 % 1024) * 10 / 1024 ))"; }
echo "bundle: $(ls "$stage/bin" | wc -l) executables ($n_tests tests, twinsim, ${#bench_targets[@]} benches: ${bench_targets[*]:-none}), $(ls "$stage/lib" | wc -l) libraries: $(mib "$stage_kib") MiB in $stage"
echo "bundle: .gpu $(mib "$size_kib") MiB (packed) + working tree $(mib "$tree_kib") MiB = $(mib $((size_kib + tree_kib))) MiB of the ${limit_mib} MiB a call may carry"
if [ $((size_kib + tree_kib)) -gt $((limit_mib * 1024 - 2048)) ]; then
  echo "bundle.sh: too large to travel: ${limit_mib} MiB at most (.gpu + working tree)" >&2
  exit 1
fi
