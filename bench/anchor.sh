# Sourced by bench/run.sh inside its mount namespace: the `anchor` section, rawbpf against
# libbpf 1.7 (bench/libbpf-loader.c, built by bench/libbpf-anchor.sh) and bpftool, side by
# side and interleaved, on the same objects. Uses run.sh's t(), log, die, $W, $CG, $PR,
# $BT, $RAWBPF, $RAWBPF_S, $BPFTOOL, $OBJ, $PAIRS, $SCALE_RUNS; writes anchor.*.txt and
# samples labelled anchor.* for bench/report.py.
#
# Workloads (each a whole process, or two for bpftool's load + attach):
#   sockops.full       bpf_sockops.o loaded and attached to the bench cgroup, maps reused
#                      from their pins: `rawbpf load --force` (replaces its attached program),
#                      the libbpf loader (open, load, BPF_PROG_ATTACH multi; detached after,
#                      untimed), `bpftool prog load` + `cgroup attach ... multi` (likewise)
#   sockops.unchanged  rawbpf only: `rawbpf load` of the attached, unchanged object
#   core.NAME          a CO-RE object of tests/objects/ or of bcc's libbpf-tools (Debian
#                      sid's package, bench/libbpf-tools.sh) loaded without attaching:
#                      `rawbpf load --no-attach --no-pin`, the libbpf loader, `bpftool prog
#                      loadall` (pins removed after, untimed)
#   relocs.N           bench/gen-object.sh --core N (N CO-RE relocations): rawbpf and libbpf
#   btf.N              core_vmlinux.o against a target BTF of the kernel's types and N renamed
#                      copies (bench/gen-btf.py; rawbpf --btf, libbpf btf_custom_path): both
#                      read that file, where for the kernel's own BTF libbpf 1.7 mmaps it
# Per workload and tool: wall time (t()), user-space instructions (callgrind: valgrind counts
# what runs in user space, the kernel's work inside bpf() is not in it), peak RSS (GNU time),
# bpf() calls (strace). A tool that cannot load an object is recorded in anchor.failed.txt
# and left out of that object's rows.

LB="$RAWBPF_BENCH_LIBBPF"
LB_PR="/sys/fs/bpf/libbpf-bench-$$" # the libbpf loader's pin_root_path
LB_ID="$W/anchor.stdout"            # the last run's stdout: the program ID the loader attached
BT_ALL="$BT/loadall"                # bpftool prog loadall's pin directory
mkdir -p "$LB_PR"
: >"$W/anchor.failed.txt"

rb_force() { "$RAWBPF" load "$OBJ" --cgroup "$CG" --pin-root "$PR" --force; }
rb_force_s() { "$RAWBPF_S" load "$OBJ" --cgroup "$CG" --pin-root "$PR" --force; }
rb_same() { "$RAWBPF" load "$OBJ" --cgroup "$CG" --pin-root "$PR"; }
rb_same_s() { "$RAWBPF_S" load "$OBJ" --cgroup "$CG" --pin-root "$PR"; }
lb_load() { "$LB" "$OBJ" --pin-root "$LB_PR" --cgroup "$CG" >"$LB_ID"; }
lb_undo() { "$BPFTOOL" cgroup detach "$CG" sock_ops id "$(cat "$LB_ID")"; }
bt_undo() { bt_detach; }
rb_core() { "$RAWBPF" load --no-attach --no-pin "$@"; }
rb_core_s() { "$RAWBPF_S" load --no-attach --no-pin "$@"; }
lb_core() { "$LB" "$@"; }
bt_core() { "$BPFTOOL" prog loadall "$1" "$BT_ALL"; }
bt_core_undo() { rm -rf "$BT_ALL"; }
export LB LB_PR LB_ID BT_ALL
export -f rb_force rb_force_s rb_same rb_same_s lb_load lb_undo bt_undo rb_core rb_core_s \
	lb_core bt_core bt_core_undo

# The processes of one run of a workload, one line each (`bpftool load` is two), so that
# callgrind and GNU time see each process and not a shell around it.
procs() { # WORKLOAD TOOL [OBJECT]
	case "$1.$2" in
	sockops.full.rawbpf) echo "$RAWBPF load $OBJ --cgroup $CG --pin-root $PR --force" ;;
	sockops.full.rawbpf_static) echo "$RAWBPF_S load $OBJ --cgroup $CG --pin-root $PR --force" ;;
	sockops.unchanged.rawbpf) echo "$RAWBPF load $OBJ --cgroup $CG --pin-root $PR" ;;
	sockops.unchanged.rawbpf_static) echo "$RAWBPF_S load $OBJ --cgroup $CG --pin-root $PR" ;;
	sockops.full.libbpf) echo "$LB $OBJ --pin-root $LB_PR --cgroup $CG" ;;
	sockops.full.bpftool)
		echo "$BPFTOOL prog load $OBJ $BT_PROG"
		echo "$BPFTOOL cgroup attach $CG sock_ops pinned $BT_PROG multi" ;;
	*.rawbpf) echo "$RAWBPF load --no-attach --no-pin $3" ;;
	*.rawbpf_static) echo "$RAWBPF_S load --no-attach --no-pin $3" ;;
	*.libbpf) echo "$LB $3" ;;
	*.bpftool) echo "$BPFTOOL prog loadall $3 $BT_ALL" ;; # $3: the object (for btf.N with --btf)
	esac
}

# undo WORKLOAD TOOL: what makes the next run of the workload start from the same state.
undo() {
	case "$1.$2" in
	sockops.full.libbpf) lb_undo ;;
	sockops.full.bpftool) bt_undo ;;
	core.*.bpftool | relocs.*.bpftool) bt_core_undo ;;
	*) : ;;
	esac
}

# measure WORKLOAD TOOL [OBJECT]: one run each under callgrind, GNU time and strace (the
# processes of procs() in turn, each followed by nothing: undo comes after all of them).
measure() {
	local w="$1" tool="$2" obj="${3:-}" ir=0 rss=0 n line
	while read -r line; do
		# shellcheck disable=SC2086 # the line is a command with plain words
		n="$(valgrind --tool=callgrind --callgrind-out-file=/dev/null $line 2>&1 >"$LB_ID" |
			sed -n 's/.*Collected : //p')"
		[[ -n "$n" ]] || die "callgrind $w $tool: no count"
		ir=$((ir + n))
	done < <(procs "$w" "$tool" "$obj")
	undo "$w" "$tool" >/dev/null 2>>"$W/stderr.txt" || die "undo $w $tool (see $W/stderr.txt)"
	echo "$w $tool $ir" >>"$W/anchor.instr.txt"
	while read -r line; do
		# shellcheck disable=SC2086
		/usr/bin/time -f "%M" -o "$W/anchor.rss.tmp" $line >"$LB_ID" 2>>"$W/stderr.txt" ||
			die "rss $w $tool failed"
		n="$(tail -n 1 "$W/anchor.rss.tmp")"
		if ((n > rss)); then rss="$n"; fi
	done < <(procs "$w" "$tool" "$obj")
	undo "$w" "$tool" >/dev/null 2>>"$W/stderr.txt" || die "undo $w $tool (see $W/stderr.txt)"
	echo "$w $tool $rss" >>"$W/anchor.rss.txt"
	: >"$W/strace.anchor.$w.$tool.txt"
	while read -r line; do
		# shellcheck disable=SC2086
		strace -f -qq -e trace=bpf -o "$W/strace.tmp" $line >"$LB_ID" 2>/dev/null ||
			die "strace $w $tool failed"
		cat "$W/strace.tmp" >>"$W/strace.anchor.$w.$tool.txt"
	done < <(procs "$w" "$tool" "$obj")
	undo "$w" "$tool" >/dev/null 2>>"$W/stderr.txt" || die "undo $w $tool (see $W/stderr.txt)"
}

tool_of() { # FUNCTION -> the tool's name in the report
	case "$1" in
	rb_core) echo rawbpf ;;
	rb_core_s) echo rawbpf_static ;;
	lb_core) echo libbpf ;;
	bt_core) echo bpftool ;;
	esac
}

# works FUNCTION OBJECT: can the tool load the object? Records why not (its last words).
works() {
	local fn="$1" obj="$2" err="$W/anchor.err"
	if ! "$fn" "$obj" >/dev/null 2>"$err"; then
		echo "$(basename "$obj" .o) $(tool_of "$fn") $(grep -v '^[[:space:]]*$' "$err" | tail -n 1)" \
			>>"$W/anchor.failed.txt"
		[[ "$fn" == bt_core ]] && bt_core_undo
		return 1
	fi
	[[ "$fn" == bt_core ]] && bt_core_undo
	return 0
}

log "anchor: rawbpf vs libbpf $("$LB" --version) vs bpftool, $PAIRS interleaved rounds"
echo "libbpf $("$LB" --version) (static, from $(paste -sd ' ' "$RAWBPF_BENCH_LIBBPF_PKGS"))" >>"$W/machine.txt"

# The sockops object: warm-up (pins created, rawbpf's program attached), then rounds.
rb_same >/dev/null
lb_load && lb_undo >/dev/null
bt_load >/dev/null && bt_detach >/dev/null
for ((i = 0; i < PAIRS; i++)); do
	t anchor.sockops.full.rawbpf rb_force
	t anchor.sockops.full.rawbpf_static rb_force_s
	t anchor.sockops.unchanged.rawbpf rb_same
	t anchor.sockops.unchanged.rawbpf_static rb_same_s
	t anchor.sockops.full.libbpf lb_load
	lb_undo >/dev/null
	t anchor.sockops.full.bpftool bt_load
	bt_undo >/dev/null
done
for tool in rawbpf rawbpf_static libbpf bpftool; do measure sockops.full "$tool"; done
for tool in rawbpf rawbpf_static; do measure sockops.unchanged "$tool"; done
rb_detach_unpin "$RAWBPF" >/dev/null

# CO-RE objects, loaded without attaching.
core_objs=()
for name in core_vmlinux tracing_btf externs_kernel; do core_objs+=("$ROOT/tests/objects/$name.o"); done
# bcc's libbpf-tools as Debian ships them (bench/libbpf-tools.sh, run before the namespace).
read -r -a lt_objs <<<"${RAWBPF_BENCH_LIBBPF_TOOLS:-}"
core_objs+=("${lt_objs[@]}")
log "anchor: CO-RE objects ${core_objs[*]##*/}, $PAIRS rounds"
declare -A core_tools
for o in "${core_objs[@]}"; do
	n="$(basename "$o" .o)"
	core_tools[$n]=""
	for fn in rb_core rb_core_s lb_core bt_core; do
		works "$fn" "$o" && core_tools[$n]+=" $fn"
	done
done
for ((i = 0; i < PAIRS; i++)); do
	for o in "${core_objs[@]}"; do
		n="$(basename "$o" .o)"
		for fn in ${core_tools[$n]}; do
			t "anchor.core.$n.$(tool_of "$fn")" "$fn" "$o"
			[[ "$fn" == bt_core ]] && bt_core_undo
		done
	done
done
for o in "${core_objs[@]}"; do
	n="$(basename "$o" .o)"
	for fn in ${core_tools[$n]}; do measure "core.$n" "$(tool_of "$fn")" "$o"; done
done

# Growth with the number of CO-RE relocations: rawbpf and libbpf, $SCALE_RUNS rounds.
log "anchor: CO-RE relocations 10 .. 10000 (generating objects with clang), $SCALE_RUNS rounds"
mkdir -p "$W/gen"
for r in 10 100 1000 10000; do
	"$ROOT/bench/gen-object.sh" --core "$r" "$W/gen/core-$r.o" 2>/dev/null || die "gen-object.sh --core $r"
	# The distinct structs the relocations name: each is one candidate search for a loader.
	structs="$(grep -o 'bpf_core_field_offset([a-z]* [A-Za-z0-9_]*' "$W/gen/core-$r.c" | sort -u | wc -l)"
	echo "$r $(stat -c %s "$W/gen/core-$r.o") $structs" >>"$W/anchor.relocs.sizes.txt"
done
for ((i = 0; i < SCALE_RUNS; i++)); do
	for r in 10 100 1000 10000; do
		t "anchor.relocs.$r.rawbpf" rb_core "$W/gen/core-$r.o"
		t "anchor.relocs.$r.libbpf" lb_core "$W/gen/core-$r.o"
	done
done
for r in 10 100 1000 10000; do
	for tool in rawbpf libbpf; do measure "relocs.$r" "$tool" "$W/gen/core-$r.o"; done
done

# Growth with the size of the target BTF: core_vmlinux.o, rawbpf and libbpf.
log "anchor: target BTF of 1, 2, 4, 8 times the kernel's types, $SCALE_RUNS rounds"
btf_obj="$ROOT/tests/objects/core_vmlinux.o"
for c in 0 1 3 7; do
	"$ROOT/bench/gen-btf.py" "$c" "$W/gen/btf-$c.btf" 2>>"$W/anchor.btf.sizes.log"
	echo "$c $(stat -c %s "$W/gen/btf-$c.btf")" >>"$W/anchor.btf.sizes.txt"
done
for ((i = 0; i < SCALE_RUNS; i++)); do
	for c in 0 1 3 7; do
		t "anchor.btf.$c.rawbpf" rb_core "$btf_obj" --btf "$W/gen/btf-$c.btf"
		t "anchor.btf.$c.libbpf" lb_core "$btf_obj" --btf "$W/gen/btf-$c.btf"
	done
done
for c in 0 1 3 7; do
	for tool in rawbpf libbpf; do measure "btf.$c" "$tool" "$btf_obj --btf $W/gen/btf-$c.btf"; done
done
rm -rf "$LB_PR"
