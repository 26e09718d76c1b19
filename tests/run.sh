#!/usr/bin/env bash
# Runs every rawbpf test against the real kernel. This is the README's test command, and
# exactly what CI runs (.ci/run). Needs root: the tests load BPF programs, pin maps and make
# child cgroups (each removed again, even when a test fails).
#
# Steps: check formatting, clippy (-D warnings) and rustdoc (-D warnings); set up bpffs;
# rebuild the BPF objects from source with clang (installed with apt if missing) and check
# they parse to the same programs and maps as the committed ones, and that the compatibility
# test objects rebuild to the committed ones; then
# `cargo test` for the whole workspace (unit, parser, syscall and end-to-end kernel tests);
# then check that no test left a cgroup or a pin behind; then run the test binaries again inside
# Debian's kernels under QEMU (tests/kernels.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'tests/run.sh: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "needs root (the tests load BPF programs and create cgroups): sudo tests/run.sh"
  exit 1
fi

# The kernel tests are the point of this run: the explicit opt-out for machines without
# bpf(2) is not honoured in CI, where a skipped kernel test would hide a gap.
if [ -n "${CI:-}" ] && [ -n "${RAWBPF_SKIP_KERNEL_TESTS:-}" ]; then
  say "CI must run the kernel tests: unset RAWBPF_SKIP_KERNEL_TESTS"
  exit 1
fi

if ! grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; then
  say "mounting bpffs at /sys/fs/bpf"
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf
fi

# The reload-cost tests count bpf() commands with strace.
if ! command -v strace >/dev/null 2>&1; then
  say "installing strace (the reload-cost tests count bpf() calls with it)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null
fi

# The crash tests pause the binary at a step of `load`: only a build with the crash-test
# hook (a cargo feature, never in a release) can do that.
hook=(--features rawbpf-cli/test-hook)

# 0. The style the project enforces: formatting, clippy with warnings as errors, rustdoc.
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets "${hook[@]}" -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --workspace --quiet

cargo build --locked --workspace
# The README's main command is `cargo run ... -- load ...`: it must find the one binary to
# run (it attaches to the root cgroup, so the tests run only its form, not the load).
cargo run --locked --quiet -- --version >/dev/null

# A sockops program attached to the cgroup root with flags 0 (single mode) makes the kernel
# refuse every sockops attach below it, so every kernel test would fail: say it once, here.
# The cgroup v2 root: /sys/fs/cgroup on v2-only hosts, /sys/fs/cgroup/unified on hybrid ones.
cgroot=$(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts | grep -xE '/sys/fs/cgroup(/unified)?' | head -n 1)
export cgroot
target/debug/rawbpf --json map-ids --cgroup "$cgroot" --pin-root /sys/fs/bpf/rawbpf |
  python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["programs"]:
    if p["attach_type"] == "cgroup_sock_ops" and p["attach_flags"] == 0:
        sys.exit("tests/run.sh: sockops program %d (%s) is attached to %s with flags 0 "
                 "(single mode): the kernel refuses sockops attaches in every child cgroup, so the kernel tests "
                 "cannot run. Detach it first: `rawbpf detach` if rawbpf attached it, else "
                 "`rawbpf detach --prog-id %d`." % (p["id"], p["name"], os.environ["cgroot"], p["id"]))
'

# 1. The committed objects are what their sources build to.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bpf-prog/build.sh "$tmp"
for obj in bpf-prog/*.o; do
  name=$(basename "$obj")
  target/debug/rawbpf --json inspect "$obj" >"$tmp/$name.committed.json"
  target/debug/rawbpf --json inspect "$tmp/$name" >"$tmp/$name.rebuilt.json"
  python3 - "$tmp/$name.committed.json" "$tmp/$name.rebuilt.json" "$name" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("programs", "maps", "data", "license")
diff = [k for k in keys if a.get(k) != b.get(k)]
if diff:
    sys.exit(f"{sys.argv[3]}: rebuilt object differs from the committed one in {diff}")
print(f"tests/run.sh: {sys.argv[3]}: rebuilt object parses to the same programs and maps", file=sys.stderr)
PY
done

# The compatibility test objects (iproute2/legacy maps, CO-RE, externs, ...) rebuild to the
# committed ones (CO-RE objects by section list: their BTF follows the running kernel's).
tests/objects/build.sh --check

# Test state already on the host (a run killed before its cleanup) is named, not blamed on
# this run: the check below fails only on what this run's tests left.
test_state() { find "$cgroot" /sys/fs/bpf -maxdepth 1 -name 'rawbpf-*test*' 2>/dev/null | sort; }
before=$(test_state)
if [ -n "$before" ]; then
  say "test state from an earlier, interrupted run is on this host (not this run's; remove it by hand):"
  printf '  %s\n' $before >&2
fi

# 2. Every Rust test, kernel tests included (they fail, never skip, when bpf(2) is unusable).
cargo test --locked --workspace "${hook[@]}"

# 3. Nothing left behind by this run.
left=$(comm -13 <(printf '%s\n' "$before") <(test_state) | sed '/^$/d')
if [ -n "$left" ]; then
  say "tests left kernel state behind:"
  printf '  %s\n' $left >&2
  exit 1
fi
# 4. The same test binaries on the kernels users run (Debian's 5.10, 6.1, 6.12 and newest,
# booted under QEMU; tests/kernels.sh). RAWBPF_KERNELS picks others, e.g. "5.10 newest";
# RAWBPF_KERNELS=none skips the matrix on a workstation, never in CI.
kernels=${RAWBPF_KERNELS:-5.10 6.1 6.12 newest}
if [ "$kernels" = none ]; then
  if [ -n "${CI:-}" ]; then
    say "CI must run the kernel matrix: unset RAWBPF_KERNELS"
    exit 1
  fi
  say "RAWBPF_KERNELS=none: the multi-kernel matrix was not run"
else
  # shellcheck disable=SC2086 # a list of kernel names
  tests/kernels.sh $kernels
fi
say "all tests passed"
