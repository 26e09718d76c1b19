#!/usr/bin/env bash
# Leak soak for docs/guarantees.md ("No leaks"): many load/detach cycles, then checks that
# nothing stays behind.
#
#  1. In-process: the e2e test reliability_leak::load_detach_cycles_leak_nothing with
#     RAWBPF_LEAK_CYCLES=N (default 1000): rawbpf::load + rawbpf::detach N times in one
#     process; its open fd count must not change, the pinned map keeps one id, and after a
#     final `detach --unpin` none of the programs, maps or BTF objects it saw is alive.
#  2. Through the CLI: N `rawbpf load` / `rawbpf detach` pairs against a child cgroup and pin
#     root of this script; afterwards every program and map id the loads reported is gone.
#
# Usage: bench/leak-cycles.sh [N]     (root, cgroup v2 at /sys/fs/cgroup/unified, python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-1000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "== 1. $N in-process cycles (cargo test)"
(cd "$ROOT" && RAWBPF_LEAK_CYCLES="$N" cargo test -q -p rawbpf-cli --features test-hook --test e2e -- \
	--exact reliability_leak::load_detach_cycles_leak_nothing --nocapture)

echo "== 2. $N CLI cycles"
(cd "$ROOT" && cargo build -q -p rawbpf-cli)
RAWBPF="$CARGO_TARGET_DIR/debug/rawbpf"
OBJ="$ROOT/bpf-prog/bpf_sockops.o"
CG="/sys/fs/cgroup/unified/rawbpf-leak-$$"
PINS="/sys/fs/bpf/rawbpf-leak-$$"
REPORTS="$(mktemp)" # the --json load reports, one per line
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir "$CG"
cleanup() {
	"$RAWBPF" detach --cgroup "$CG" --pin-root "$PINS" --unpin >/dev/null 2>&1 || true
	rmdir "$CG" 2>/dev/null || true
	rm -rf "$PINS" "$REPORTS"
}
trap cleanup EXIT

for i in $(seq 1 "$N"); do
	"$RAWBPF" --json load "$OBJ" --cgroup "$CG" --pin-root "$PINS" | tr -d '\n' >>"$REPORTS"
	echo >>"$REPORTS"
	"$RAWBPF" detach --cgroup "$CG" --pin-root "$PINS" >/dev/null
	if ((i % 100 == 0)); then echo "  $i cycles"; fi
done
"$RAWBPF" detach --cgroup "$CG" --pin-root "$PINS" --unpin >/dev/null

# Every program and map id the loads reported must be gone (objects are freed after an RCU
# grace period: retried for up to 5 s). Kernel ids are allocated cyclically, so a freed id is
# not handed out again during the run.
python3 - "$REPORTS" <<'PY'
import ctypes, json, os, struct, sys, time

progs, maps = set(), set()
for line in open(sys.argv[1]):
    if line.strip():
        doc = json.loads(line)
        progs.update(p["id"] for p in doc["programs"])
        maps.update(m["id"] for m in doc["maps"])
libc = ctypes.CDLL(None, use_errno=True)
SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]


def alive(cmd, ident):
    attr = struct.pack("<I", ident) + b"\0" * 124  # union bpf_attr: prog_id / map_id first
    fd = libc.syscall(SYS_BPF, cmd, ctypes.c_char_p(attr), len(attr))
    if fd >= 0:
        os.close(fd)
        return True
    return False


left = []
for _ in range(100):
    # BPF_PROG_GET_FD_BY_ID = 13, BPF_MAP_GET_FD_BY_ID = 14
    left = [("prog", i) for i in progs if alive(13, i)]
    left += [("map", i) for i in maps if alive(14, i)]
    if not left:
        break
    time.sleep(0.05)
print(f"  {len(progs)} programs and {len(maps)} maps reported; alive afterwards: {left}")
sys.exit(1 if left else 0)
PY
echo "done: nothing leaked"
