//! The default cgroup is the host's cgroup2 mount, whatever the layout: in a private mount
//! namespace (`unshare --mount`) the test removes every cgroup2 mount (rawbpf must then say so,
//! exit 4), mounts cgroup2 at /sys/fs/cgroup only, as v2-only hosts have it, and checks that
//! rawbpf picks that path and attaches through it. The host's mounts are never changed.

use std::process::Command;

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{SOCKOPS_O, TestEnv};

#[test]
fn default_cgroup_is_the_cgroup2_mount_of_a_v2_only_layout() {
    let Some(env) = TestEnv::new("cgroup_default") else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_rawbpf");
    let pins = env.pins.path().display().to_string();
    let name = env
        .cgroup_path()
        .file_name()
        .expect("test cgroup has a name")
        .to_string_lossy()
        .into_owned();
    // The test cgroup seen through the v2-only mount: the same hierarchy, another path.
    let script = format!(
        r#"for m in $(awk '$3 == "cgroup2" {{ print $2 }}' /proc/self/mounts); do umount -l "$m" || exit 90; done
"{bin}" map-ids --pin-root "{pins}"
echo "unmounted=$?"
mount -t cgroup2 none /sys/fs/cgroup || exit 91
"{bin}" --json map-ids --pin-root "{pins}" > /tmp/rawbpf-cgroup-default-$$.json || exit 92
python3 -c 'import json,sys; print("default=" + json.load(open(sys.argv[1]))["cgroup"])' /tmp/rawbpf-cgroup-default-$$.json
rm -f /tmp/rawbpf-cgroup-default-$$.json
"{bin}" load "{SOCKOPS_O}" --cgroup "/sys/fs/cgroup/{name}" --pin-root "{pins}" >/dev/null
echo "load=$?"
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
    assert!(
        stdout.contains("unmounted=4"),
        "no cgroup2 mount must be exit 4: {ctx}"
    );
    assert!(
        stderr.contains("mount -t cgroup2"),
        "the error must say how to mount cgroup2: {ctx}"
    );
    assert!(
        stdout.lines().any(|l| l == "default=/sys/fs/cgroup"),
        "the default must be the v2-only mount: {ctx}"
    );
    assert!(
        stdout.contains("load=0"),
        "load through /sys/fs/cgroup: {ctx}"
    );
    // Kernel state, seen through the host's path: the program is on the test cgroup.
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).len(),
        1,
        "{ctx}"
    );
}
