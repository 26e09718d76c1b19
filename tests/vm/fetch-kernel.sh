#!/usr/bin/env bash
# Fetches and unpacks one Debian kernel for the multi-kernel harness: apt-get download of
# linux-image-amd64's dependency through a private apt configuration (tests/vm/debian-apt.sh:
# its own sources, lists and cache; the machine's sources are not used and /etc/apt is never
# changed), then `dpkg -x` (the kernel is never installed). Prints the unpacked directory.
#
# Usage: tests/vm/fetch-kernel.sh SUITE   (bullseye, bookworm, trixie, sid)
# Cache: $RAWBPF_KERNEL_CACHE (default /var/cache/rawbpf-kernels), kept between runs.
set -euo pipefail
suite=${1:?usage: fetch-kernel.sh SUITE}
cache=${RAWBPF_KERNEL_CACHE:-/var/cache/rawbpf-kernels}
apt_dir=$cache/apt-$suite
. "$(dirname "${BASH_SOURCE[0]}")/debian-apt.sh"
# A failed refresh is not fatal: a cached kernel is used when the mirror is unreachable.
debian_apt_init "$suite" "$apt_dir" || true
apt_opts=("${DEBIAN_APT_OPTS[@]}")

# linux-image-amd64 is a metapackage: its Depends names the real, versioned image package.
pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null |
  awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
  # Offline: the newest kernel already unpacked for this suite.
  dir=$(ls -d "$cache/$suite"-* 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "fetch-kernel.sh: no kernel for $suite (apt index unavailable, nothing cached)" >&2; exit 1; }
  echo "$dir"
  exit 0
fi
dir=$cache/$suite-${pkg#linux-image-}
if [ ! -f "$dir/.unpacked" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # Older suites ship image and modules in one package; newer ones split them into
  # linux-binary-* (the image) and linux-modules-*: take every part that exists.
  ver=${pkg#linux-image-}
  parts=()
  for part in image binary modules; do
    if apt-cache "${apt_opts[@]}" show "linux-$part-$ver" >/dev/null 2>&1; then
      parts+=("linux-$part-$ver")
    fi
  done
  debs=$(mktemp -d "$apt_dir/debs.XXXXXX")
  (cd "$debs" && apt-get "${apt_opts[@]}" download -qq "${parts[@]}" >/dev/null)
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
  rm -rf "$debs"
  touch "$dir/.unpacked"
fi
echo "$dir"
