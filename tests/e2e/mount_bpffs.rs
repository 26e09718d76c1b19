//! bpffs not mounted: `load` says what is wrong and how to mount it (exit 4), and
//! `--mount-bpffs` mounts it and loads. Runs in a private mount namespace
//! (`unshare --mount`), so the host's /sys/fs/bpf is never unmounted.

use std::process::Command;

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{SOCKOPS_O, TestEnv};

#[test]
fn unmounted_bpffs_is_diagnosed_and_mount_bpffs_mounts_it() {
    let Some(env) = TestEnv::new("mount_bpffs") else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_rawbpf");
    let cg = env.cgroup_path().display().to_string();
    // The count of attached programs comes from rawbpf's own BPF_PROG_QUERY: Debian 12's
    // bpftool (7.1) `cgroup show` exits 255 with no rows on 5.10 once a link is attached.
    // The pin root lives on the namespace's own bpffs and goes away with it, and with it
    // the link pin that keeps the program attached.
    let script = format!(
        r#"while grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; do umount /sys/fs/bpf || exit 90; done
"{bin}" load "{SOCKOPS_O}" --cgroup "{cg}" --pin-root /sys/fs/bpf/rawbpf-mount-test
echo "plain=$?"
grep -qs ' /sys/fs/bpf bpf ' /proc/mounts && echo "mounted after plain"
"{bin}" load "{SOCKOPS_O}" --cgroup "{cg}" --pin-root /sys/fs/bpf/rawbpf-mount-test --mount-bpffs >/dev/null
echo "mount_bpffs=$?"
grep -qs ' /sys/fs/bpf bpf ' /proc/mounts && echo "mounted after mount_bpffs"
echo "attached=$("{bin}" --json map-ids --cgroup "{cg}" --pin-root /sys/fs/bpf/rawbpf-mount-test | python3 -c 'import json, sys; print(sum(p["attach_type"] == "cgroup_sock_ops" for p in json.load(sys.stdin)["programs"]))')"
"#
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .expect("run unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ctx = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "namespace script failed: {ctx}");

    assert!(stdout.contains("plain=4"), "no bpffs must be exit 4: {ctx}");
    assert!(
        stderr.contains("mount -t bpf bpf /sys/fs/bpf") && stderr.contains("--mount-bpffs"),
        "the error must say how to mount bpffs: {ctx}"
    );
    assert!(
        !stdout.contains("mounted after plain"),
        "a plain load must not mount: {ctx}"
    );
    assert!(
        stdout.contains("mount_bpffs=0"),
        "--mount-bpffs must load: {ctx}"
    );
    assert!(
        stdout.contains("mounted after mount_bpffs"),
        "bpffs must be mounted: {ctx}"
    );

    // Kernel state: the load attached one sockops program (seen inside the namespace);
    // it ran through a link pinned on the namespace's bpffs, so it went with that bpffs:
    // an attachment never outlives the pin that records it.
    assert!(stdout.contains("attached=1"), "one program attached: {ctx}");
    // (The kernel frees the unmounted bpffs, and so the link, asynchronously.)
    let gone = kernel::poll(|| {
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS)
            .is_empty()
            .then_some(())
    });
    assert!(gone.is_some(), "the program outlived its link pin: {ctx}");
    // The host's bpffs was not touched.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    assert!(mounts.contains(" /sys/fs/bpf bpf "), "host bpffs unmounted");
    assert!(!std::path::Path::new("/sys/fs/bpf/rawbpf-mount-test").exists());
}
