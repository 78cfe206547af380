#!/usr/bin/env bash
# Out-of-tree install test: installs a built strata tree into a temporary prefix, then configures,
# builds and runs tests/install/consumer — a separate project that only knows
# `find_package(strata CONFIG REQUIRED)` and `strata::strata` — against that prefix.
#
# Usage: tests/install/run_install_test.sh <strata-build-dir>
# The build dir must already be built.  Compiler, build type and sanitizer flags are taken from
# its CMakeCache.txt so that the consumer links the installed library the same way.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <strata-build-dir>" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
consumer_src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/consumer"
cache="$build_dir/CMakeCache.txt"
if [[ ! -f "$cache" ]]; then
  echo "install test: $build_dir is not a configured CMake build dir (no CMakeCache.txt)" >&2
  exit 2
fi

cache_value() {  # cache_value NAME -> value of NAME:TYPE=value in the cache ('' if absent)
  sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n1
}
cxx=$(cache_value CMAKE_CXX_COMPILER)
build_type=$(cache_value CMAKE_BUILD_TYPE)
cxx_flags=$(cache_value CMAKE_CXX_FLAGS)
exe_linker_flags=$(cache_value CMAKE_EXE_LINKER_FLAGS)

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
consumer_build="$work/consumer-build"

step() { echo "install test: $*"; }

step "cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2; echo "install test: FAILED at cmake --install" >&2; exit 1; }

# Nothing from the source or build tree may leak in: only the installed prefix is on the path.
step "configure consumer against $prefix"
cmake -S "$consumer_src" -B "$consumer_build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" \
  ${cxx:+-DCMAKE_CXX_COMPILER="$cxx"} \
  -DCMAKE_BUILD_TYPE="${build_type:-Release}" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$exe_linker_flags" >"$work/configure.log" 2>&1 || {
  cat "$work/configure.log" >&2; echo "install test: FAILED at consumer configure" >&2; exit 1; }

step "build consumer"
cmake --build "$consumer_build" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2; echo "install test: FAILED at consumer build" >&2; exit 1; }

step "run consumer"
"$consumer_build/app"
step "ok"
