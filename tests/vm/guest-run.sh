#!/usr/bin/env bash
# Runs inside a multi-kernel test guest (see tests/vm/init): every test binary of the manifest,
# each from its package directory as `cargo test` would, then the leftover check of tests/run.sh.
# Exit status: the number of failed binaries (0 when all passed).
set -uo pipefail
manifest=$1
echo "rawbpf-vm: $(uname -r), memlock $(ulimit -l) KiB, cgroup2 at $(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts)"
failed=0
while read -r dir bin; do
  name=$(basename "$bin")
  start=$(date +%s)
  if (cd "$dir" && "$bin" --test-threads="$(nproc)" 2>&1); then
    echo "rawbpf-vm: PASS $name ($(($(date +%s) - start)) s)"
  else
    echo "rawbpf-vm: FAIL $name ($(($(date +%s) - start)) s)"
    failed=$((failed + 1))
  fi
done <"$manifest"
left=$(find /sys/fs/cgroup /sys/fs/bpf -maxdepth 1 -name 'rawbpf-*test*' 2>/dev/null)
if [ -n "$left" ]; then
  echo "rawbpf-vm: FAIL tests left kernel state behind: $left"
  failed=$((failed + 1))
fi
exit "$failed"
