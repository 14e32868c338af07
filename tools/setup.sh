#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs what is missing, builds, then either
# starts the desktop app or runs the whole test suite. Idempotent: a second run installs nothing
# and rebuilds only what changed.
#
#   bash tools/setup.sh start [attnviz arguments...]   build (Release) and start the app
#   bash tools/setup.sh test                            build and run every test through CTest,
#                                                       then the unit tests and the GUI soak
#                                                       under ASan + UBSan, then each libFuzzer
#                                                       harness's smoke run (clang)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
action="${1:-start}"
shift || true

packages=(
  build-essential cmake pkg-config
  libeigen3-dev nlohmann-json3-dev libstb-dev libicu-dev
  libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri libfontconfig-dev
  libgtest-dev libbenchmark-dev fonts-dejavu-core fonts-noto-core fonts-noto-cjk
  xvfb xauth xdotool imagemagick python3 python3-numpy python3-pil python3-xlib
  python3-torch clang libclang-rt-dev
)

install_missing() {
  local missing=()
  for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

jobs="$(nproc 2>/dev/null || echo 2)"

build() {  # build DIR [cmake options...]
  local dir="$1"
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

install_missing
case "$action" in
  start)
    build build
    exec ./build/attnviz "$@"
    ;;
  test)
    build build
    # CTest prints its own closing summary line ("100% tests passed, 0 tests failed out of N").
    (cd build && ctest --output-on-failure -j "$jobs")
    echo "setup: unit tests and the GUI soak under AddressSanitizer + UndefinedBehaviorSanitizer"
    build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNVIZ_SANITIZE=ON -DATTNVIZ_GUI=ON \
      -DATTNVIZ_NATIVE=OFF -DATTNVIZ_BENCHMARKS=OFF
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -L unit -j "$jobs")
    # The 60 s monkey soak against the ASan app. Mesa, X11 and fontconfig keep allocations
    # for the life of the process; LeakSanitizer is told to ignore those libraries only.
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       LSAN_OPTIONS="suppressions=$here/tests/e2e/lsan_gui.supp:print_suppressions=0" \
       ATTNVIZ_SOAK_SELF_TEST=0 ctest --output-on-failure -R '^e2e_test_gui_soak$')
    if command -v clang++ >/dev/null; then
      echo "setup: libFuzzer harnesses, a fixed number of executions each (tests/fuzz)"
      CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DATTNVIZ_FUZZ=ON -DATTNVIZ_GUI=OFF -DATTNVIZ_NATIVE=OFF -DATTNVIZ_BENCHMARKS=OFF >/dev/null
      cmake --build build-fuzz -j "$jobs" --target fuzzers
      (cd build-fuzz && ctest --output-on-failure -L fuzz -j "$jobs")
    else
      echo "setup: clang++ missing: the libFuzzer smoke runs are skipped"
    fi
    ;;
  *)
    echo "usage: bash tools/setup.sh start|test" >&2
    exit 2
    ;;
esac
