#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build=${DRYDOCK_TEST_BUILD:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDRYDOCK_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# Sanitizer reports fail the run (the emulator's own exit status is checked
# by the integration harness when it stops each server).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2 "$@"
