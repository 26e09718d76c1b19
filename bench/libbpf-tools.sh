#!/usr/bin/env bash
# Fetches the BPF objects of bcc's libbpf-tools as Debian sid ships them (package
# libbpf-tools: each tool a binary with its object embedded by its libbpf skeleton), for the
# benchmark's CO-RE rows: the package is fetched with a private apt configuration
# (tests/vm/debian-apt.sh), unpacked with `dpkg -x`, and each tool's object cut out of its
# binary (bench/extract-bpf-objects.py). Nothing is installed. Prints one object path a line.
#
# Usage: bench/libbpf-tools.sh [TOOL...]    (default: runqslower execsnoop biolatency opensnoop)
# Cache: $RAWBPF_BENCH_CACHE (default /var/cache/rawbpf-bench), kept between runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${RAWBPF_BENCH_CACHE:-/var/cache/rawbpf-bench}"
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(runqslower execsnoop biolatency opensnoop)
log() { echo "libbpf-tools.sh: $*" >&2; }
die() { log "$*"; exit 1; }

. "$ROOT/tests/vm/debian-apt.sh"
debian_apt_init sid "$cache/apt-sid" || log "using the cached sid index"
ver="$(apt-cache "${DEBIAN_APT_OPTS[@]}" show --no-all-versions libbpf-tools 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1)"
[[ -n "$ver" ]] || die "no libbpf-tools in the sid index ($cache/apt-sid)"
dir="$cache/libbpf-tools-${ver//[:+~]/_}"
if [[ ! -f "$dir/.unpacked" ]]; then
	log "fetching libbpf-tools $ver from sid"
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && apt-get "${DEBIAN_APT_OPTS[@]}" download -qq "libbpf-tools=$ver" >/dev/null) ||
		die "apt-get download libbpf-tools=$ver failed"
	dpkg -x "$dir"/libbpf-tools_*.deb "$dir/root"
	rm -f "$dir"/libbpf-tools_*.deb
	touch "$dir/.unpacked"
fi
for t in "${tools[@]}"; do
	bin="$dir/root/usr/sbin/$t-libbpf"
	[[ -f "$bin" ]] || die "libbpf-tools $ver has no $t ($bin)"
	obj="$dir/$t.o"
	[[ -s "$obj" ]] || python3 "$ROOT/bench/extract-bpf-objects.py" "$bin" "$obj" ||
		die "no BPF object found in $bin"
	echo "$obj"
done
