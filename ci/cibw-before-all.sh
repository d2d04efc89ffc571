#!/usr/bin/env bash
# cibuildwheel before-all (inside the manylinux/musllinux container): libgearman's
# development files for the build, gearmand and gearman-tools for the tests,
# from the container's own package manager.
set -euxo pipefail
if command -v dnf >/dev/null; then        # manylinux_2_28 (AlmaLinux 8)
  dnf install -y epel-release
  dnf install -y gearmand libgearman-devel libuuid-devel pkgconf-pkg-config
elif command -v apk >/dev/null; then      # musllinux_1_2 (Alpine)
  apk add --no-cache gearmand gearman-dev gearman-libs util-linux-dev pkgconf
elif command -v apt-get >/dev/null; then  # a Debian-based image
  apt-get update -qq
  apt-get install -y -qq libgearman-dev gearman-job-server gearman-tools pkg-config
else
  echo "no known package manager in this container" >&2
  exit 1
fi
