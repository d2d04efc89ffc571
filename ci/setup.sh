#!/usr/bin/env bash
# Shared setup for ci/*.sh: system packages, a .venv, and the package built in it.
# Sourced, not run: leaves $VENV and $PY set for the caller.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(libgearman-dev gearman-job-server gearman-tools pkg-config gcc)
# Debian's own python3 needs these for a venv and for compiling the extension.
python3 -c 'import ensurepip' 2>/dev/null || APT_PACKAGES+=(python3-venv)
python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
  2>/dev/null || APT_PACKAGES+=(python3-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "ci/setup.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

VENV="${VENV:-$ROOT/.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --disable-pip-version-check -U pip setuptools wheel cffi
"$PY" -m pip install -q --disable-pip-version-check -e ".[dev]"
