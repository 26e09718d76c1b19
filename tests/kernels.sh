#!/usr/bin/env bash
# The multi-kernel matrix: runs rawbpf's test binaries, kernel tests included, inside Debian's
# own kernels booted under QEMU (TCG: software emulation, no KVM needed).
#
# Usage: tests/kernels.sh [5.10 | 6.1 | 6.12 | newest]...   (default: all four)
#
#   5.10    Debian 11 bullseye   linux-image-amd64 of bullseye
#   6.1     Debian 12 bookworm
#   6.12    Debian 13 trixie
#   newest  Debian sid, the newest kernel Debian ships
#
# Each kernel is fetched through a private apt configuration and unpacked with dpkg -x (never
# installed; see tests/vm/fetch-kernel.sh), cached in $RAWBPF_KERNEL_CACHE
# (/var/cache/rawbpf-kernels). The guest mounts this machine's root read-only over 9p, so the
# test binaries built here run there unchanged, on the layout of a cgroup-v2-only host
# (tests/vm/init). Two guests run at a time. Console logs: target/vm/<kernel>/console.log.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
say() { printf 'tests/kernels.sh: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (it reads the whole root over 9p and the guests load BPF)"; exit 1; }

declare -A suite_of=([5.10]=bullseye [6.1]=bookworm [6.12]=trixie [newest]=sid)
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(5.10 6.1 6.12 newest)
for k in "${kernels[@]}"; do
  [ -n "${suite_of[$k]:-}" ] || { say "unknown kernel '$k': pick from 5.10 6.1 6.12 newest"; exit 2; }
done

# Tools: QEMU, a static busybox for the guest's PID 1, cpio, kmod (module dependencies).
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v depmod >/dev/null || need+=(kmod)
command -v file >/dev/null || need+=(file)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
busybox=$(command -v busybox)
file -L "$busybox" | grep -q 'statically linked' || busybox=/bin/busybox

# The test binaries, built once on this machine (with the crash-test hook, as tests/run.sh
# builds them); the guest runs them from the same paths.
out=$repo/target/vm
mkdir -p "$out"
cargo test --locked --workspace --features rawbpf-cli/test-hook --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]), m["executable"])
' >"$out/manifest"
[ -s "$out/manifest" ] || { say "cargo test --no-run listed no test binaries"; exit 1; }

# Modules the guest loads before it can see the host (Debian builds these as modules on some
# kernels, in by default on others), and tcp_diag: a real host autoloads it the first time
# `ss` asks (the guest has no modprobe), and without it `ss` falls back to /proc/net/tcp,
# whose `sk:` is the socket's address, not the cookie the map tests compare it with; veth,
# for the XDP and tcx tests' veth pairs (autoloaded on a real host by `ip link add`).
guest_modules=(virtio_pci 9pnet_virtio 9p tcp_diag veth)

# build_initramfs KERNEL_DIR VERSION DEST
build_initramfs() {
  local kdir=$1 ver=$2 dest=$3 root
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,dev,proc,sys,modules}
  cp "$busybox" "$root/bin/busybox"
  cp tests/vm/init "$root/init"
  echo "$repo" >"$root/repo"
  echo "$repo/tests/vm/guest-run.sh" >"$root/guest-run"
  echo "$out/manifest" >"$root/manifest"
  # Merged-/usr kernels keep their modules under usr/lib; depmod and modprobe look in lib/.
  [ -e "$kdir/lib" ] || ln -s usr/lib "$kdir/lib"
  [ -f "$kdir/lib/modules/$ver/modules.dep" ] || depmod -b "$kdir" "$ver" 2>/dev/null
  : >"$root/modules.order"
  local m path base
  for m in "${guest_modules[@]}"; do
    # Not found: built in (sid's packages omit modules.builtin, so modprobe cannot tell).
    { modprobe -d "$kdir" -S "$ver" --show-depends "$m" 2>/dev/null || true; } |
      awk '$1 == "insmod" { print $2 }' |
      while read -r path; do
        base=$(basename "$path"); base=${base%.xz}; base=${base%.zst}
        grep -qx "$base" "$root/modules.order" && continue
        case $path in
          *.xz) xz -dc "$path" >"$root/modules/$base" ;;
          *.zst) zstd -qdc "$path" >"$root/modules/$base" ;;
          *) cp "$path" "$root/modules/$base" ;;
        esac
        echo "$base" >>"$root/modules.order"
      done
  done
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dest"
  rm -rf "$root"
}

# run_kernel NAME: fetch, boot, run the tests; exit status 0 when every test binary passed.
run_kernel() {
  local k=$1 kdir vmlinuz ver dir
  dir=$out/$k
  rm -rf "$dir" && mkdir -p "$dir"
  kdir=$(tests/vm/fetch-kernel.sh "${suite_of[$k]}") || return 1
  vmlinuz=$(ls "$kdir"/boot/vmlinuz-* "$kdir"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -n 1 || true)
  [ -n "$vmlinuz" ] || { say "$k: no vmlinuz in $kdir"; return 1; }
  ver=$(basename "$(ls -d "$kdir"/usr/lib/modules/* "$kdir"/lib/modules/* 2>/dev/null | head -n 1 || true)")
  build_initramfs "$kdir" "$ver" "$dir/initramfs.gz"
  local start=$SECONDS
  timeout "${RAWBPF_VM_TIMEOUT:-2400}" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
    -nodefaults -no-reboot -display none -serial "file:$dir/console.log" \
    -kernel "$vmlinuz" -initrd "$dir/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -device virtio-rng-pci >"$dir/qemu.log" 2>&1 || true
  local secs=$((SECONDS - start)) rc
  rc=$(sed -n 's/.*RAWBPF-VM-EXIT \([0-9]*\).*/\1/p' "$dir/console.log" | tail -n 1)
  grep -h 'rawbpf-vm: \(FAIL\|PASS\)' "$dir/console.log" | sed "s/^/  $k: /" >&2 || true
  if [ "$rc" = 0 ]; then
    say "$k ($ver): all test binaries passed in $secs s"
  else
    say "$k ($ver): FAILED (exit ${rc:-none: the guest did not finish}) after $secs s; log: $dir/console.log"
    return 1
  fi
}

failed=()
running=0
declare -A pid_of
for k in "${kernels[@]}"; do
  (run_kernel "$k" || { say "$k: failed (see above)"; exit 1; }) &
  pid_of[$k]=$!
  running=$((running + 1))
  if [ "$running" -ge "${RAWBPF_VM_PARALLEL:-2}" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
for k in "${kernels[@]}"; do
  wait "${pid_of[$k]}" || failed+=("$k")
done
if [ ${#failed[@]} -gt 0 ]; then
  say "failed on: ${failed[*]}"
  exit 1
fi
say "passed on: ${kernels[*]}"
