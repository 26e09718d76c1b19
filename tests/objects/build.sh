#!/usr/bin/env bash
# Rebuilds the compatibility test objects in tests/objects/ from their C sources with clang
# (installed from apt when missing). The .o files are committed, so the parsing tests run
# without clang; this script checks that they are reproducible.
#
#   tests/objects/build.sh            # rebuild in place
#   tests/objects/build.sh --check    # rebuild into a temp dir and compare with the committed
#                                     # objects (exit 1 when one differs)
#
# vmlinux.h (for the CO-RE and extern objects) is generated from the running kernel's BTF
# with bpftool and not committed. CO-RE objects therefore differ between kernels only in
# their .BTF (the type ids of vmlinux.h), never in what they do; --check compares the
# objects that do not include vmlinux.h byte for byte, and only the section list of the
# others.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$DIR"
CHECK=0
if [[ "${1:-}" == "--check" ]]; then
	CHECK=1
	OUT="$(mktemp -d)"
	trap 'rm -rf "$OUT"' EXIT
fi

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "build.sh: $1 not found (apt-get install $2)" >&2; exit 2; }
}
need clang clang
need llvm-objdump llvm
[[ -f /usr/include/bpf/bpf_helpers.h ]] || need_pkg=1
if [[ "${need_pkg:-0}" == 1 ]]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-dev >/dev/null
fi

INC="/usr/include/$(uname -m)-linux-gnu"
cd "$DIR"
VMLINUX_H="$OUT/vmlinux.h"
if [[ ! -s "$VMLINUX_H" ]]; then
	need bpftool bpftool
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$VMLINUX_H"
fi

cc() { clang -O2 -g -I"$INC" -I"$OUT" -fdebug-prefix-map="$DIR"=. -fdebug-prefix-map="$OUT"=. -fno-ident "$@"; }

PLAIN=(iproute2_sockmesh legacy_samples bad_trailing ringbuf_events tailcall_mim rodata_knobs loose_sections unknown_sections core_unguarded refused_twins map_edit sockops_pair arena_pages extern_plain xdp_count tc_count rawtp_count)
CORE=(core_vmlinux externs_kernel tracing_btf tracing_fentry usdt_probe)
for src in "${PLAIN[@]}" "${CORE[@]}"; do
	cc -target bpf -c "$DIR/$src.c" -o "$OUT/$src.o"
done
# A big-endian object: parses and inspects, refused at load on a little-endian host.
cc -target bpfeb -c "$DIR/rodata_knobs.c" -o "$OUT/rodata_knobs.be.o"

if [[ $CHECK == 1 ]]; then
	status=0
	for o in "${PLAIN[@]}" rodata_knobs.be; do
		if ! cmp -s "$OUT/$o.o" "$DIR/$o.o"; then
			echo "build.sh: $o.o differs from the committed object" >&2
			status=1
		fi
	done
	for o in "${CORE[@]}"; do
		a=$(llvm-objdump -h "$OUT/$o.o" | awk 'NR>5 {print $2}' | sort | tr '\n' ' ')
		b=$(llvm-objdump -h "$DIR/$o.o" | awk 'NR>5 {print $2}' | sort | tr '\n' ' ')
		if [[ "$a" != "$b" ]]; then
			echo "build.sh: $o.o has other sections than the committed object" >&2
			status=1
		fi
	done
	[[ $status == 0 ]] && echo "build.sh: objects match"
	exit $status
fi
echo "build.sh: built ${#PLAIN[@]} + ${#CORE[@]} + 1 objects in $OUT"
