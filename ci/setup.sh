#!/usr/bin/env bash
# Shared setup for ci/*.sh: system packages, a .venv, and the package built in it.
# Sourced, not run: leaves $VENV and $PY set for the caller.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(libgearman-dev gearman-job-server gearman-tools pkg-config gcc php-cli php-gearman)
# Debian's own python3 needs these for a venv and for compiling the extension.
python3 -c 'import ensurepip' 2>/dev/null || APT_PACKAGES+=(python3-venv)
python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' \
  2>/dev/null || APT_PACKAGES+=(python3-dev)
# ensure_apt_packages PKG...: apt-get install those not installed yet (sudo unless root).
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "${0##*/}: installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
ensure_apt_packages "${APT_PACKAGES[@]}"

VENV="${VENV:-$ROOT/.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --disable-pip-version-check -U pip setuptools wheel cffi
"$PY" -m pip install -q --disable-pip-version-check -e ".[dev,docs]"
