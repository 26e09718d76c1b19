#!/usr/bin/env bash
# Rebuilds every eBPF object in bpf-prog/ from source.
# Usage: bpf-prog/build.sh [OUTDIR]   (default OUTDIR: the bpf-prog/ directory)
# Installs clang/llvm/libbpf-dev/linux-libc-dev via apt-get when they are missing.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:-$SRC_DIR}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
MULTIARCH_INC="/usr/include/$(uname -m)-linux-gnu"

log() { echo "build.sh: $*" >&2; }

ensure_tools() {
	local missing=()
	command -v clang >/dev/null 2>&1 || missing+=(clang)
	command -v llvm-objdump >/dev/null 2>&1 || missing+=(llvm)
	[[ -f /usr/include/bpf/bpf_helpers.h ]] || missing+=(libbpf-dev)
	[[ -f /usr/include/linux/bpf.h && -f "$MULTIARCH_INC/asm/types.h" ]] || missing+=(linux-libc-dev)
	if ((${#missing[@]})); then
		log "installing missing packages: ${missing[*]}"
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
	fi
}

# compile SRC OUT [EXTRA_FLAGS...]
compile() {
	local src="$1" out="$2"
	shift 2
	log "compiling $src -> $OUT_DIR/$out"
	# -fdebug-prefix-map keeps the output identical wherever the tree lives.
	(cd "$SRC_DIR" && clang -O2 -g -target bpf \
		-I"$MULTIARCH_INC" \
		-fdebug-prefix-map="$SRC_DIR"=. \
		-fno-ident \
		"$@" -c "$src" -o "$OUT_DIR/$out")
}

ensure_tools
compile bpf_sockops.c bpf_sockops.o
compile bpf_sockops.c bpf_sockops_nopin.o -DNO_PIN
compile bpf_sockops_invalid.c bpf_sockops_invalid.o
compile bpf_skmsg.c bpf_skmsg.o
log "done: $OUT_DIR"
