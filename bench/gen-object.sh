#!/usr/bin/env bash
# Generates a BPF object with MAPS array maps and one sockops program of exactly INSNS
# instructions (when INSNS is at least the program's fixed part), for the scale benchmark.
#
# Usage: bench/gen-object.sh MAPS INSNS OUT.o
#
# The program looks up and increments the first min(MAPS, 60) maps (the kernel lets one
# program use at most 64) and pads itself with `r0 += 1` instructions emitted by the
# assembler (`.rept`), so clang's time does not grow with INSNS. Straight-line padding is
# verified once per instruction, so a 1,000,000-instruction program is at the kernel's limit
# (BPF_COMPLEXITY_LIMIT_INSNS) and still loads. The remaining maps are only created.
# Needs clang and `rawbpf` (env RAWBPF, default: rawbpf on PATH) to count instructions.
set -euo pipefail

maps="${1:?usage: gen-object.sh MAPS INSNS OUT.o}"
insns="${2:?usage: gen-object.sh MAPS INSNS OUT.o}"
out="${3:?usage: gen-object.sh MAPS INSNS OUT.o}"
rawbpf="${RAWBPF:-rawbpf}"
inc="/usr/include/$(uname -m)-linux-gnu"
used=$((maps < 60 ? maps : 60))
src="${out%.o}.c"

emit() { # emit PADDING
	local pad="$1" i
	echo '#include <linux/bpf.h>'
	echo '#include <bpf/bpf_helpers.h>'
	for ((i = 0; i < maps; i++)); do
		echo "struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);" \
			"__type(key, __u32); __type(value, __u64); } m$i SEC(\".maps\");"
	done
	echo 'SEC("sockops")'
	echo 'int gen_prog(struct bpf_sock_ops *skops)'
	echo '{'
	echo '	__u32 k = 0;'
	echo '	__u64 *v;'
	echo "	asm volatile(\"r0 = 0\\n.rept $pad\\nr0 += 1\\n.endr\" ::: \"r0\");"
	for ((i = 0; i < used; i++)); do
		echo "	v = bpf_map_lookup_elem(&m$i, &k); if (v) *v += 1;"
	done
	echo '	return 0;'
	echo '}'
	echo 'char LICENSE[] SEC("license") = "GPL";'
}

count() { # count OBJ -> instructions of its one program
	"$rawbpf" --json inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["programs"][0]["insns"])'
}

compile() { # compile PADDING
	emit "$1" >"$src"
	clang -O2 -g -target bpf -I"$inc" -fno-ident -c "$src" -o "$out"
}

compile 0
base="$(count "$out")"
pad=$((insns > base ? insns - base : 0))
if ((pad > 0)); then
	compile "$pad"
fi
got="$(count "$out")"
echo "gen-object.sh: $out: $maps maps, $got instructions" >&2
