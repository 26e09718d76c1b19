#!/usr/bin/env bash
# Fetches and unpacks one Debian kernel for the multi-kernel harness: apt-get download of
# linux-image-amd64's dependency through a private apt configuration (its own sources, lists
# and cache: the machine's sources are not used and /etc/apt is never changed), then `dpkg -x` (the kernel is
# never installed). Prints the unpacked directory.
#
# Usage: tests/vm/fetch-kernel.sh SUITE   (bullseye, bookworm, trixie, sid)
# Cache: $RAWBPF_KERNEL_CACHE (default /var/cache/rawbpf-kernels), kept between runs.
set -euo pipefail
suite=${1:?usage: fetch-kernel.sh SUITE}
cache=${RAWBPF_KERNEL_CACHE:-/var/cache/rawbpf-kernels}
apt_dir=$cache/apt-$suite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
  echo "fetch-kernel.sh: installing debian-archive-keyring (to check Debian's signatures)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-archive-keyring >/dev/null
fi
echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$apt_dir/etc/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o Debug::NoLocking=1
  -o APT::Architecture=amd64
  -o APT::Sandbox::User=root
)

# Refresh the index at most once a day; a cached kernel is used when the mirror is unreachable.
stamp=$apt_dir/lists/.updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
  if apt-get "${apt_opts[@]}" update -qq >/dev/null 2>"$apt_dir/update.err"; then
    touch "$stamp"
  else
    echo "fetch-kernel.sh: apt-get update for $suite failed: $(tail -n 1 "$apt_dir/update.err")" >&2
  fi
fi

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
