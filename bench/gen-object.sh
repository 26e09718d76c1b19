#!/usr/bin/env bash
# Generates a BPF object with MAPS array maps and one sockops program of exactly INSNS
# instructions (when INSNS is at least the program's fixed part), for the scale benchmark.
#
# Usage: bench/gen-object.sh MAPS INSNS OUT.o
#        bench/gen-object.sh --core RELOCS OUT.o
#
# The program looks up and increments the first min(MAPS, 60) maps (the kernel lets one
# program use at most 64) and pads itself with `r0 += 1` instructions emitted by the
# assembler (`.rept`), so clang's time does not grow with INSNS. Straight-line padding is
# verified once per instruction, so a 1,000,000-instruction program is at the kernel's limit
# (BPF_COMPLEXITY_LIMIT_INSNS) and still loads. The remaining maps are only created.
# Needs clang and `rawbpf` (env RAWBPF, default: rawbpf on PATH) to count instructions.
#
# --core: a socket filter with exactly RELOCS CO-RE relocations against the running kernel
# (`bpf_core_field_offset` of RELOCS distinct struct fields, in BTF order, of structs whose
# name vmlinux's BTF has once; the program returns their sum), no maps. vmlinux.h is
# generated with bpftool next to OUT.o (and reused). Needs clang and bpftool.
set -euo pipefail

if [[ "${1:-}" == "--core" ]]; then
	relocs="${2:?usage: gen-object.sh --core RELOCS OUT.o}"
	out="${3:?usage: gen-object.sh --core RELOCS OUT.o}"
	dir="$(dirname "$out")"
	[[ -s "$dir/vmlinux.h" ]] ||
		bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$dir/vmlinux.h"
	bpftool btf dump file /sys/kernel/btf/vmlinux format raw | python3 -c '
import collections, re, sys
n = int(sys.argv[1])
structs, cur = [], None
for line in sys.stdin:
    m = re.match(r"\[\d+\] (STRUCT|UNION) \x27([^\x27]*)\x27", line)
    if m:
        cur = (m.group(1).lower(), m.group(2), [])
        structs.append(cur)
    elif not line.startswith("\t"):
        cur = None
    elif cur and "bitfield_size" not in line:
        f = re.match(r"\t\x27([^\x27]+)\x27", line)
        if f:
            cur[2].append(f.group(1))
names = collections.Counter(s[1] for s in structs)
pairs = [(k, s, f) for k, s, fs in structs if s != "(anon)" and names[s] == 1
         for f in fs if f != "(anon)"]
if len(pairs) < n:
    sys.exit(f"gen-object.sh: vmlinux has only {len(pairs)} usable fields, {n} asked")
print("#include \"vmlinux.h\"")
print("#include <bpf/bpf_helpers.h>")
print("#include <bpf/bpf_core_read.h>")
print("SEC(\"socket\")")
print("int gen_core(void *ctx)")
print("{")
print("\t__u64 s = 0;")
for k, st, f in pairs[:n]:
    print(f"\ts += bpf_core_field_offset({k} {st}, {f});")
print("\treturn s & 1;")
print("}")
print("char LICENSE[] SEC(\"license\") = \"GPL\";")
' "$relocs" >"${out%.o}.c"
	clang -O2 -g -target bpf -I"$dir" -fno-ident -c "${out%.o}.c" -o "$out"
	echo "gen-object.sh: $out: $relocs CO-RE relocations" >&2
	exit 0
fi

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
