#!/usr/bin/env bash
# Builds the benchmark's libbpf 1.7 anchor: bench/libbpf-loader.c linked statically against
# Debian sid's libbpf.a (libbpf-dev 1:1.7.x) and the static libraries it needs, all fetched
# with a private apt configuration (tests/vm/debian-apt.sh) and unpacked with `dpkg -x` into
# a sysroot. Nothing is installed; only the host's gcc is used. Prints the loader's path.
#
# Usage: bench/libbpf-anchor.sh
# Cache: $RAWBPF_BENCH_CACHE (default /var/cache/rawbpf-bench), kept between runs; a loader
# already built from the same packages and source is reused.
#
# sid's libbpf.a, libelf.a, libz.a and libzstd.a are compiled against sid's glibc (they call
# e.g. __isoc23_strtol, which older glibcs lack), so the sysroot takes sid's libc6-dev and
# linux-libc-dev as well and the loader is linked with `gcc --sysroot -static`: one
# consistent set of libraries whatever the host runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${RAWBPF_BENCH_CACHE:-/var/cache/rawbpf-bench}"
pkgs=(libbpf-dev libelf-dev zlib1g-dev libzstd-dev libc6-dev linux-libc-dev)
log() { echo "libbpf-anchor.sh: $*" >&2; }
die() { log "$*"; exit 1; }
command -v gcc >/dev/null || die "gcc is needed"

. "$ROOT/tests/vm/debian-apt.sh"
debian_apt_init sid "$cache/apt-sid" || log "using the cached sid index"

# The versions decide the sysroot's name, so a new sid upload gets a new sysroot.
vers=()
for p in "${pkgs[@]}"; do
	v="$(apt-cache "${DEBIAN_APT_OPTS[@]}" show --no-all-versions "$p" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)"
	[[ -n "$v" ]] || die "no $p in the sid index ($cache/apt-sid)"
	vers+=("$v")
done
libbpf_ver="${vers[0]}"
[[ "$libbpf_ver" == 1:1.7.* ]] ||
	die "sid's libbpf-dev is $libbpf_ver, not 1:1.7.x: the anchor is libbpf 1.7 (update this script)"

key="$(printf '%s\n' "${pkgs[@]}" "${vers[@]}" | sha256sum | cut -c1-12)"
sysroot="$cache/sysroot-$key"
if [[ ! -f "$sysroot/.unpacked" ]]; then
	log "fetching ${pkgs[*]} from sid (libbpf-dev $libbpf_ver)"
	rm -rf "$sysroot" && mkdir -p "$sysroot"
	debs="$(mktemp -d "$cache/debs.XXXXXX")"
	spec=()
	for i in "${!pkgs[@]}"; do spec+=("${pkgs[$i]}=${vers[$i]}"); done
	(cd "$debs" && apt-get "${DEBIAN_APT_OPTS[@]}" download -qq "${spec[@]}" >/dev/null) ||
		{ rm -rf "$debs"; die "apt-get download failed"; }
	for deb in "$debs"/*.deb; do dpkg -x "$deb" "$sysroot"; done
	rm -rf "$debs"
	printf '%s\n' "${spec[@]}" >"$sysroot/.packages"
	touch "$sysroot/.unpacked"
fi

src="$ROOT/bench/libbpf-loader.c"
out="$sysroot/libbpf-loader-$(sha256sum "$src" | cut -c1-12)"
if [[ ! -x "$out" ]]; then
	log "building $out"
	rm -f "$sysroot"/libbpf-loader-*
	# --sysroot makes gcc take its headers from the sysroot; for libraries and start files
	# gcc's list has the host's /usr/lib/<triple> before the sysroot's, so -B (crt1.o...) and
	# -L name the sysroot's first. Libraries in link order: libbpf needs libelf needs zlib, zstd.
	lib="$sysroot/usr/lib/$(gcc -print-multiarch)"
	gcc --sysroot="$sysroot" -B"$lib/" -L"$lib" -O2 -Wall -Wextra -Werror -static -o "$out.tmp" "$src" \
		-lbpf -lelf -lz -lzstd
	mv "$out.tmp" "$out"
fi
echo "$out"
