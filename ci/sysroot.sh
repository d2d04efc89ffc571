#!/usr/bin/env bash
# A Debian 11 (bullseye) sysroot under build/, made of Debian's own binary
# packages unpacked with dpkg-deb -x: never installed into this machine, and
# apt's own state is untouched (a private apt config under build/debian/apt/).
#
#   ci/sysroot.sh ARCH        print the sysroot's path (amd64 | arm64), making it if missing
#   ci/sysroot.sh pin ARCH    rewrite ci/debian/bullseye-ARCH.txt from the current index
#
# The packages and their exact versions are pinned in ci/debian/bullseye-ARCH.txt;
# the sysroot directory is named after a hash of that file, and the .debs are
# kept in build/debian/debs/ (their names carry the versions), so a CI run with
# the cache in place touches no network at all.  GEARMAN_CFFI_CACHE moves that
# cache (default: build/) somewhere that outlives a fresh clone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=bullseye
MIRROR=http://deb.debian.org/debian
LAYOUT=2
CACHE="${GEARMAN_CFFI_CACHE:-$ROOT/build}"
APTDIR="$CACHE/debian/apt"
DEBS="$CACHE/debian/debs"

# What each sysroot holds: glibc 2.31 and libgearman 1.1.19.1 with what it links
# (libuuid, libstdc++, libgcc), and Debian 11's CPython 3.9 (the oldest the abi3
# wheel serves) with its venv/ensurepip and its headers (for the arm64 cross build).
BUILD_PACKAGES=(libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev libgearman8 libgearman-dev libuuid1 uuid-dev
  libstdc++6 libgcc-s1)
PYTHON_PACKAGES=(python3.9-minimal libpython3.9-minimal libpython3.9-stdlib libpython3.9 libpython3.9-dev
  python3.9 python3.9-venv python-pip-whl:all python3-distutils:all python3-lib2to3:all media-types:all
  libffi7 libexpat1 zlib1g libssl1.1 libsqlite3-0 libbz2-1.0 liblzma5 libmpdec3 libncursesw6 libtinfo6
  libreadline8 libdb5.3 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
  libcom-err2 libkeyutils1 ca-certificates:all)

apt_() {  # apt-get / apt-cache with the private configuration
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/empty.d"
  [ -f "$APTDIR/status" ] || : >"$APTDIR/status"
  echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
    >"$APTDIR/sources.list"
  local cmd=$1; shift
  "$cmd" -o Dir::State::Lists="$APTDIR/lists" -o Dir::State::status="$APTDIR/status" \
    -o Dir::Cache="$APTDIR/cache" -o Dir::Etc::SourceList="$APTDIR/sources.list" \
    -o Dir::Etc::SourceParts="$APTDIR/empty.d" -o Dir::Etc::Preferences="$APTDIR/empty.d" \
    -o Dir::Etc::PreferencesParts="$APTDIR/empty.d" -o APT::Architecture=amd64 \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o Acquire::Languages=none \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

apt_update() {
  # Refresh the index at most once a day.
  if [ -z "$(find "$APTDIR/lists" -name '*_Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    apt_ apt-get update -qq
  fi
}

pin() {  # pin ARCH: write name:arch version for every package of that sysroot
  local arch=$1 pkg name qual out="$ROOT/ci/debian/$SUITE-$1.txt"
  local pkgs=("${BUILD_PACKAGES[@]}" "${PYTHON_PACKAGES[@]}")
  apt_update
  mkdir -p "$(dirname "$out")"
  {
    echo "# Debian $SUITE packages unpacked into build/sysroot/ by ci/sysroot.sh (regenerate: ci/sysroot.sh pin $arch)"
    for pkg in "${pkgs[@]}"; do
      name=${pkg%%:*}; qual=$arch
      [[ "$pkg" == *:all ]] && qual=all
      local q=$name; [ "$qual" = all ] || q="$name:$qual"
      echo "$q $(apt_ apt-cache show --no-all-versions "$q" | sed -n 's/^Version: //p' | head -1)"
    done
  } >"$out"
  cat "$out"
}

make_sysroot() {  # make_sysroot ARCH: print the path of the (cached) sysroot
  local arch=$1 list="$ROOT/ci/debian/$SUITE-$1.txt"
  [ -f "$list" ] || { echo "no $list: run ci/sysroot.sh pin $arch" >&2; exit 1; }
  # The key: the package list and the layout (bump LAYOUT when the unpacking changes).
  local key; key=$({ cat "$list"; echo "layout $LAYOUT"; } | sha256sum | cut -c1-12)
  local dest="$CACHE/sysroot/$SUITE-$arch-$key"
  if [ ! -f "$dest/.complete" ]; then
    mkdir -p "$DEBS"
    local name ver debarch file missing=()
    while read -r name ver; do
      [[ -z "$name" || "$name" == \#* ]] && continue
      debarch=all; [[ "$name" == *:* ]] && debarch=${name##*:}
      file="$DEBS/${name%%:*}_${ver/:/%3a}_${debarch}.deb"
      [ -f "$file" ] || missing+=("$name=$ver")
    done <"$list"
    if ((${#missing[@]})); then
      echo "sysroot.sh: downloading ${#missing[@]} Debian $SUITE packages" >&2
      apt_update
      (cd "$DEBS" && apt_ apt-get download -qq "${missing[@]}" >&2)
    fi
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    while read -r name ver; do
      [[ -z "$name" || "$name" == \#* ]] && continue
      debarch=all; [[ "$name" == *:* ]] && debarch=${name##*:}
      dpkg-deb -x "$DEBS/${name%%:*}_${ver/:/%3a}_${debarch}.deb" "$dest.tmp"
    done <"$list"
    # Merge /lib, /bin, /sbin, /lib64 into /usr as Debian 12 does: qemu -L falls back
    # to this machine's file when a path is missing from the sysroot, and the
    # loader looks in /lib/<triplet> and /usr/lib/<triplet> alike, so each library
    # must be found under both paths or the machine's newer one gets loaded.
    local d
    for d in bin sbin lib lib64; do
      [ -d "$dest.tmp/$d" ] && [ ! -L "$dest.tmp/$d" ] || continue
      mkdir -p "$dest.tmp/usr/$d"
      cp -a "$dest.tmp/$d/." "$dest.tmp/usr/$d/"
      rm -rf "${dest:?}.tmp/$d"
      ln -s "usr/$d" "$dest.tmp/$d"
    done
    # Absolute symlinks (libuuid.so -> /lib/...) would point into this machine:
    # make them relative to the sysroot.
    local link target
    while IFS= read -r -d '' link; do
      target=$(readlink "$link")
      [[ "$target" == /* ]] || continue
      ln -sfn "$(realpath -sm --relative-to="$(dirname "$link")" "$dest.tmp$target")" "$link"
    done < <(find "$dest.tmp" -type l -print0)
    cp "$list" "$dest.tmp/.packages"
    touch "$dest.tmp/.complete"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    # Sysroots of earlier package lists for this architecture are stale.
    find "$CACHE/sysroot" -maxdepth 1 -name "$SUITE-$arch-*" ! -name "$(basename "$dest")" \
      -exec rm -rf {} +
  fi
  echo "$dest"
}

case "${1:-}" in
  pin) pin "${2:?usage: ci/sysroot.sh pin amd64|arm64}" ;;
  amd64 | arm64) make_sysroot "$1" ;;
  *) echo "usage: ci/sysroot.sh amd64|arm64 | ci/sysroot.sh pin amd64|arm64" >&2; exit 2 ;;
esac
