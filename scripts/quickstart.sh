#!/usr/bin/env bash
# The main job: installs what is missing, builds drydock, and runs the full-stack
# scenario scenarios/fargate-web.yaml against the embedded emulator (a two-AZ
# VPC with a NAT gateway, an ALB, an ECS Fargate service with an SSM secret,
# roles and logs: applied, crashed, redeployed, scaled and destroyed).
# Extra arguments go to `drydock run` (e.g. --junit report.xml).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target drydock
exec ./build/drydock run scenarios/fargate-web.yaml "$@"
