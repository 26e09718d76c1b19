#!/usr/bin/env bash
# rawbpf benchmark: the loader's own cost against bpftool and a bare process start, its
# bpf() calls, memory and binary; reload costs; scaling with object size; the sockmap fast
# path; libbpf 1.7 as the anchor. One run prints every figure (bench/report.py);
# docs/performance.md explains them.
#
# Usage: bench/run.sh [--pairs N] [--scale-runs N] [--net-rounds N] [--only SECTION,...]
#   sections: load (rawbpf vs bpftool vs /bin/true, syscalls, RSS, binary), reload, scale, net,
#             anchor (rawbpf vs libbpf 1.7 vs bpftool: sockops, CO-RE objects, CO-RE
#             relocations 10..10000; bench/anchor.sh)
#   --pairs N       interleaved rounds of the load/detach, reload and anchor timings (default 30)
#   --scale-runs N  runs per generated object in the scale and anchor sections (default 5)
#   --net-rounds N  with/without fast path rounds of the pingpong benchmark (default 5)
#   --keep DIR      keep the raw measurements in DIR (default: a temporary directory)
#
# Needs root, cgroup v2 at /sys/fs/cgroup/unified, clang, cargo (and gcc for anchor). Installs
# bpftool, strace, GNU time and valgrind with apt-get when missing; uses `perf trace` for the
# kernel's time in bpf() when perf is installed (else strace -T, which inflates it). The anchor
# section builds its libbpf 1.7 loader from Debian sid's packages, fetched and unpacked into
# /var/cache/rawbpf-bench without installing them (bench/libbpf-anchor.sh), and takes the
# objects of bcc's libbpf-tools from sid's libbpf-tools package the same way
# (bench/libbpf-tools.sh).
#
# Isolation: the script re-executes itself in a private mount namespace with a fresh bpffs at
# /sys/fs/bpf, so bpftool's by-name pins (libbpf pins LIBBPF_PIN_BY_NAME maps at
# /sys/fs/bpf/<name>, ignoring `pinmaps`) never meet anyone else's. Everything is attached to
# the child cgroup /sys/fs/cgroup/unified/rawbpf-bench-$$ only; rawbpf pins under
# /sys/fs/bpf/rawbpf-bench-$$, bpftool's program pin lives in /sys/fs/bpf/bpftool-bench-$$, the
# libbpf loader's pin_root_path is /sys/fs/bpf/libbpf-bench-$$.
# The EXIT trap detaches everything from that cgroup, removes it and the pins.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PAIRS=30
SCALE_RUNS=5
NET_ROUNDS=5
ONLY="load,reload,scale,net,anchor"
KEEP=""
while (($#)); do
	case "$1" in
	--pairs) PAIRS="$2"; shift 2 ;;
	--scale-runs) SCALE_RUNS="$2"; shift 2 ;;
	--net-rounds) NET_ROUNDS="$2"; shift 2 ;;
	--only) ONLY="$2"; shift 2 ;;
	--keep) KEEP="$2"; shift 2 ;;
	-h | --help) sed -n '2,28p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
ARGS=(--pairs "$PAIRS" --scale-runs "$SCALE_RUNS" --net-rounds "$NET_ROUNDS" --only "$ONLY")
[[ -n "$KEEP" ]] && ARGS+=(--keep "$KEEP")

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }

[[ $EUID -eq 0 ]] || die "run as root (bpf(2), cgroups, bpffs)"

if [[ -z "${RAWBPF_BENCH_NS:-}" ]]; then
	# Tools and builds first, in the normal namespace.
	missing=()
	command -v bpftool >/dev/null || missing+=(bpftool)
	command -v strace >/dev/null || missing+=(strace)
	[[ -x /usr/bin/time ]] || missing+=(time)
	command -v python3 >/dev/null || missing+=(python3)
	want anchor && ! command -v valgrind >/dev/null && missing+=(valgrind)
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
	fi
	command -v clang >/dev/null || die "clang is needed (bpf-prog/build.sh installs it)"
	export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
	log "building rawbpf (release, and release with +crt-static) in $CARGO_TARGET_DIR"
	build_log="$(mktemp)"
	triple="$(rustc -vV | sed -n 's/^host: //p')"
	if ! (cd "$ROOT" && cargo build --release -p rawbpf-cli --bin rawbpf &&
		cargo build --release -p rawbpf --example pingpong --example loadloop &&
		RUSTFLAGS='-C target-feature=+crt-static' \
			cargo build --release -p rawbpf-cli --bin rawbpf --target "$triple") >"$build_log" 2>&1; then
		cat "$build_log" >&2
		die "build failed"
	fi
	rm -f "$build_log"
	export RAWBPF_BENCH_DYN="$CARGO_TARGET_DIR/release/rawbpf"
	export RAWBPF_BENCH_STATIC="$CARGO_TARGET_DIR/$triple/release/rawbpf"
	export RAWBPF_BENCH_PINGPONG="$CARGO_TARGET_DIR/release/examples/pingpong"
	export RAWBPF_BENCH_LOADLOOP="$CARGO_TARGET_DIR/release/examples/loadloop"
	if want anchor; then
		RAWBPF_BENCH_LIBBPF="$("$ROOT/bench/libbpf-anchor.sh")" || die "no libbpf 1.7 loader"
		export RAWBPF_BENCH_LIBBPF
		export RAWBPF_BENCH_LIBBPF_PKGS="$(dirname "$RAWBPF_BENCH_LIBBPF")/.packages"
		RAWBPF_BENCH_LIBBPF_TOOLS="$("$ROOT/bench/libbpf-tools.sh" | tr '\n' ' ')" ||
			die "no libbpf-tools objects"
		export RAWBPF_BENCH_LIBBPF_TOOLS
	fi
	export RAWBPF_BENCH_NS=1
	exec unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "${ARGS[@]}"
fi

# ---- inside the private mount namespace ------------------------------------------------
RAWBPF="$RAWBPF_BENCH_DYN"
RAWBPF_S="$RAWBPF_BENCH_STATIC"
PINGPONG="$RAWBPF_BENCH_PINGPONG"
LOADLOOP="$RAWBPF_BENCH_LOADLOOP"
BPFTOOL="$(command -v bpftool)"
OBJ="$ROOT/bpf-prog/bpf_sockops.o"
SKMSG="$ROOT/bpf-prog/bpf_skmsg.o"
CG="/sys/fs/cgroup/unified/rawbpf-bench-$$"
PR="/sys/fs/bpf/rawbpf-bench-$$"
BT="/sys/fs/bpf/bpftool-bench-$$"
BT_PROG="$BT/prog"
BT_MAP="/sys/fs/bpf/sock_ops_map" # where libbpf pins the by-name map (private bpffs)
if [[ -n "$KEEP" ]]; then
	mkdir -p "$KEEP"
	W="$(cd "$KEEP" && pwd)"
else
	W="$(mktemp -d /tmp/rawbpf-bench.XXXXXX)"
fi
S="$W/samples.txt" # "<label> <t0> <t1>" per timed command ($EPOCHREALTIME seconds)
: >"$S"

detach_all() {
	# Everything attached to the bench cgroup, whoever attached it (bpftool -j lists ids).
	[[ -d "$CG" ]] || return 0
	"$BPFTOOL" -j cgroup show "$CG" 2>/dev/null | python3 -c '
import json, sys
try:
    for p in json.load(sys.stdin):
        print(p["id"], p["attach_type"])
except Exception:
    pass' | while read -r id at; do
		"$BPFTOOL" cgroup detach "$CG" "$at" id "$id" 2>/dev/null || true
	done
}

cleanup() {
	set +e
	detach_all
	if [[ -d "$CG" ]]; then
		while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$CG/cgroup.procs"
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
	fi
	rm -rf "$PR" "$BT" "$BT_MAP"
	umount /sys/fs/bpf 2>/dev/null
	[[ -z "$KEEP" ]] && rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount -t bpf bpf /sys/fs/bpf
mkdir "$CG"
mkdir -p "$BT"

# t LABEL CMD... : runs CMD (output discarded) and records its wall time.
t() {
	local label="$1"
	shift
	local t0="$EPOCHREALTIME"
	"$@" >/dev/null 2>>"$W/stderr.txt" || die "$label failed: $* (see $W/stderr.txt)"
	local t1="$EPOCHREALTIME"
	echo "$label $t0 $t1" >>"$S"
}

# The commands compared. Exported, so that strace and perf can run them through `bash -c`.
export OBJ CG PR BPFTOOL BT_PROG BT_MAP
rb_load() { "$1" load "$OBJ" --cgroup "$CG" --pin-root "$PR"; }
rb_detach() { "$1" detach --cgroup "$CG" --pin-root "$PR"; }
rb_detach_unpin() { "$1" detach --cgroup "$CG" --pin-root "$PR" --unpin; }
bt_load() {
	"$BPFTOOL" prog load "$OBJ" "$BT_PROG" &&
		"$BPFTOOL" cgroup attach "$CG" sock_ops pinned "$BT_PROG" multi
}
bt_detach() { "$BPFTOOL" cgroup detach "$CG" sock_ops pinned "$BT_PROG" && rm -f "$BT_PROG"; }
bt_detach_unpin() { bt_detach && rm -f "$BT_MAP"; }
export -f rb_load rb_detach rb_detach_unpin bt_load bt_detach bt_detach_unpin

{
	echo "nproc $(nproc)"
	echo "kernel $(uname -r)"
	echo "cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "pairs $PAIRS"
	echo "command bench/run.sh ${ARGS[*]}"
	echo "bpftool $("$BPFTOOL" version | head -1)"
	echo "git $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$W/machine.txt"

if want load; then
	log "load/detach: $PAIRS interleaved rounds of /bin/true, rawbpf, rawbpf (static), bpftool"
	for f in "$RAWBPF" "$RAWBPF_S" "$BPFTOOL"; do
		echo "$f $(stat -c %s "$f")" >>"$W/sizes.txt"
		{ echo "== $f"; ldd "$f" 2>&1 || true; } >>"$W/ldd.txt"
	done
	# Warm-up (page cache, pins created), then steady state: pinned maps reused.
	rb_load "$RAWBPF" >/dev/null && rb_detach "$RAWBPF" >/dev/null
	bt_load >/dev/null && bt_detach >/dev/null
	for ((i = 0; i < PAIRS; i++)); do
		t floor /bin/true
		t rawbpf.version "$RAWBPF" --version
		t rawbpf_static.version "$RAWBPF_S" --version
		t rawbpf.load rb_load "$RAWBPF"
		t rawbpf.detach rb_detach "$RAWBPF"
		t rawbpf_static.load rb_load "$RAWBPF_S"
		t rawbpf_static.detach rb_detach "$RAWBPF_S"
		t bpftool.load bt_load
		t bpftool.detach bt_detach
	done
	log "load/detach with fresh maps (pins removed every round)"
	for ((i = 0; i < PAIRS; i++)); do
		t fresh.floor /bin/true
		t fresh.rawbpf.load rb_load "$RAWBPF"
		t fresh.rawbpf.detach rb_detach_unpin "$RAWBPF"
		t fresh.rawbpf_static.load rb_load "$RAWBPF_S"
		t fresh.rawbpf_static.detach rb_detach_unpin "$RAWBPF_S"
		t fresh.bpftool.load bt_load
		t fresh.bpftool.detach bt_detach_unpin
	done

	log "the library alone: rawbpf::load + rawbpf::detach timed inside a process"
	# First call in a fresh process (cold, as in `rawbpf load`), then warm calls in one.
	for ((i = 0; i < PAIRS; i++)); do
		"$LOADLOOP" "$OBJ" "$CG" "$PR" 1 >>"$W/loadloop.cold.txt"
	done
	"$LOADLOOP" "$OBJ" "$CG" "$PR" "$PAIRS" >"$W/loadloop.txt"
	rb_detach_unpin "$RAWBPF" >/dev/null 2>&1 || true

	log "bpf() calls (strace) and kernel time in bpf() (perf trace or strace -T)"
	strace_count() { # NAME FUNCTION ARGS... : bpf() calls of the command and its children
		strace -f -qq -e trace=bpf -o "$W/strace.$1.txt" bash -c '"$@"' _ "${@:2}" >/dev/null 2>&1 ||
			die "strace $1 failed"
	}
	strace_count rawbpf.fresh rb_load "$RAWBPF"
	rb_detach "$RAWBPF" >/dev/null
	strace_count rawbpf.reuse rb_load "$RAWBPF"
	strace_count rawbpf.detach rb_detach "$RAWBPF"
	rb_detach_unpin "$RAWBPF" >/dev/null
	strace_count bpftool.fresh bt_load
	bt_detach >/dev/null
	strace_count bpftool.reuse bt_load
	strace_count bpftool.detach bt_detach
	ktime() { # NAME FUNCTION ARGS... : total milliseconds in bpf() of the command, per run
		local out="$W/ktime.$1.txt"
		if command -v perf >/dev/null && perf trace -s -e bpf -o "$W/perf.tmp" -- true >/dev/null 2>&1; then
			perf trace -s -e bpf -o "$W/perf.tmp" -- bash -c '"$@"' _ "${@:2}" >/dev/null 2>&1 ||
				die "perf trace $1"
			awk '$1 == "bpf" { ms += $4 } END { printf "perf %.4f\n", ms }' "$W/perf.tmp" >>"$out"
		else
			strace -f -qq -T -e trace=bpf -o "$W/strace.tmp" bash -c '"$@"' _ "${@:2}" >/dev/null 2>&1 ||
				die "strace -T $1"
			sed -n 's/.*<\([0-9.]*\)>$/\1/p' "$W/strace.tmp" |
				awk '{ s += $1 } END { printf "strace %.4f\n", s * 1000 }' >>"$out"
		fi
	}
	for ((i = 0; i < 10; i++)); do
		ktime rawbpf rb_load "$RAWBPF"
		rb_detach "$RAWBPF" >/dev/null
		ktime bpftool bt_load
		bt_detach >/dev/null
	done

	log "peak RSS (GNU time)"
	rss() { # NAME CMD...
		/usr/bin/time -f "$1 %M" -a -o "$W/rss.txt" "${@:2}" >/dev/null 2>>"$W/stderr.txt" ||
			die "rss $1 failed"
	}
	for ((i = 0; i < 5; i++)); do
		rss true /bin/true
		rss rawbpf.load "$RAWBPF" load "$OBJ" --cgroup "$CG" --pin-root "$PR"
		rss rawbpf.detach "$RAWBPF" detach --cgroup "$CG" --pin-root "$PR"
		rss rawbpf_static.load "$RAWBPF_S" load "$OBJ" --cgroup "$CG" --pin-root "$PR"
		rss rawbpf_static.detach "$RAWBPF_S" detach --cgroup "$CG" --pin-root "$PR"
		rss rawbpf.inspect "$RAWBPF" inspect "$OBJ"
		rss bpftool.prog_load "$BPFTOOL" prog load "$OBJ" "$BT_PROG"
		rss bpftool.cgroup_attach "$BPFTOOL" cgroup attach "$CG" sock_ops pinned "$BT_PROG" multi
		rss bpftool.cgroup_detach "$BPFTOOL" cgroup detach "$CG" sock_ops pinned "$BT_PROG"
		rm -f "$BT_PROG"
	done
	rb_detach_unpin "$RAWBPF" >/dev/null 2>&1 || true
	rm -f "$BT_MAP"
fi

if want reload; then
	log "reload: first load vs changed reload vs unchanged reload vs --force ($PAIRS rounds)"
	# The changed object: the same file with one instruction different (`r0 = 0; exit` ->
	# `r0 = 1; exit`), under the same file name so its internal map names are the same.
	mkdir -p "$W/v2"
	python3 - "$OBJ" "$W/v2/bpf_sockops.o" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
pat = bytes.fromhex("b700000000000000" "9500000000000000")
if data.count(pat) != 1:
    sys.exit("changed object: expected one `r0 = 0; exit` in " + sys.argv[1])
i = data.find(pat)
data[i + 4] = 1
open(sys.argv[2], "wb").write(data)
EOF
	OBJ2="$W/v2/bpf_sockops.o"
	rl() { "$RAWBPF" --json load "$1" --cgroup "$CG" --pin-root "$PR" "${@:2}"; }
	# One documented round with the JSON reports, for the IDs each step consumes.
	rb_detach_unpin "$RAWBPF" >/dev/null 2>&1 || true
	rl "$OBJ" >"$W/reload.first.json"
	rl "$OBJ2" >"$W/reload.changed.json"
	rl "$OBJ2" >"$W/reload.unchanged.json"
	rl "$OBJ2" --force >"$W/reload.force.json"
	rb_detach_unpin "$RAWBPF" >/dev/null
	for ((i = 0; i < PAIRS; i++)); do
		t reload.first rl "$OBJ"
		t reload.changed rl "$OBJ2"
		t reload.unchanged rl "$OBJ2"
		t reload.force rl "$OBJ2" --force
		t reload.changed rl "$OBJ"
		t reload.unchanged rl "$OBJ"
		rb_detach_unpin "$RAWBPF" >/dev/null
	done
	strace -f -qq -e trace=bpf -o "$W/strace.reload.first.txt" "$RAWBPF" load "$OBJ" --cgroup "$CG" --pin-root "$PR" >/dev/null
	strace -f -qq -e trace=bpf -o "$W/strace.reload.changed.txt" "$RAWBPF" load "$OBJ2" --cgroup "$CG" --pin-root "$PR" >/dev/null
	strace -f -qq -e trace=bpf -o "$W/strace.reload.unchanged.txt" "$RAWBPF" load "$OBJ2" --cgroup "$CG" --pin-root "$PR" >/dev/null
	rb_detach_unpin "$RAWBPF" >/dev/null
fi

if want anchor; then
	. "$ROOT/bench/anchor.sh"
fi

if want scale; then
	log "scale: generating objects (clang) and timing inspect and load, $SCALE_RUNS runs each"
	mkdir -p "$W/gen"
	gen() { RAWBPF="$RAWBPF" "$ROOT/bench/gen-object.sh" "$1" "$2" "$W/gen/m$1-i$2.o" 2>/dev/null; }
	scale_one() { # SERIES MAPS INSNS
		local o="$W/gen/m$2-i$3.o" size t0 t1
		gen "$2" "$3"
		size="$(stat -c %s "$o")"
		for ((r = 0; r < SCALE_RUNS; r++)); do
			t "scale.$1.inspect.$2.$3.$size" "$RAWBPF" inspect "$o"
		done
		for ((r = 0; r < SCALE_RUNS; r++)); do
			t0="$EPOCHREALTIME"
			if ! "$RAWBPF" load "$o" --no-attach --no-pin >/dev/null 2>"$W/scale.err"; then
				echo "$1 $2 maps $3 insns: $(head -1 "$W/scale.err")" >>"$W/scale.failed.txt"
				break
			fi
			t1="$EPOCHREALTIME"
			echo "scale.$1.load.$2.$3.$size $t0 $t1" >>"$S"
		done
	}
	# 1,048,576 (the most rawbpf-elf accepts in one program) is past the kernel's limit of
	# 1,000,000 (BPF_COMPLEXITY_LIMIT_INSNS): inspected, not loadable.
	for n in 1000 10000 100000 1000000 1048576; do scale_one insns 1 "$n"; done
	for m in 1 10 100 1000; do scale_one maps "$m" 1000; done
fi

if want net; then
	log "fast path: pingpong without and with bpf_skmsg.o, $NET_ROUNDS rounds"
	"$RAWBPF" load "$OBJ" --cgroup "$CG" --pin-root "$PR" >/dev/null
	# Per round, TCP and fast path alternate; request/response at 64 B and 4 KiB, the
	# stream (256 MiB in 64 KiB writes) with the 64 B run.
	# Modes: `plain` runs outside the bench cgroup (sockets in no map), `tcp` inside it with
	# only the sockops program (sockets in the sockhash, no sk_msg), `skmsg` with the fast path.
	pp() { # MODE SIZE STREAM_MIB
		local cg=(--cgroup "$CG")
		[[ "$1" == plain ]] && cg=()
		"$PINGPONG" "${cg[@]}" --size "$2" --iters 20000 --stream-mib "$3" |
			sed "s/^/$1 /" >>"$W/net.txt"
	}
	for ((i = 0; i < NET_ROUNDS; i++)); do
		for size in 64 4096; do
			stream=$((size == 64 ? 256 : 0))
			pp plain "$size" "$stream"
			pp tcp "$size" "$stream"
			"$RAWBPF" load "$SKMSG" --cgroup "$CG" --pin-root "$PR" >/dev/null
			pp skmsg "$size" "$stream"
			"$RAWBPF" detach "$SKMSG" --cgroup "$CG" --pin-root "$PR" >/dev/null
		done
	done
	rb_detach_unpin "$RAWBPF" >/dev/null
fi

python3 "$ROOT/bench/report.py" "$W"
