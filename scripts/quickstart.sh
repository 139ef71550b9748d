#!/usr/bin/env bash
# The main job: installs what is missing, builds drydock and runs the emulator
# in the foreground on 127.0.0.1:4566 with its state in ./drydock.db.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target drydock
exec ./build/drydock serve "$@"
