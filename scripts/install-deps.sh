#!/usr/bin/env bash
# Installs every Debian package drydock needs to build, test and run.
# Idempotent: installs only what is missing, and touches the network only then.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libsqlite3-dev libjansson-dev libssl-dev
  libcurl4-openssl-dev libyaml-dev libexpat1-dev check
  python3 python3-botocore python3-boto3 awscli
  curl procps openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them) and try again" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
