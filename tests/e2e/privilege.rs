//! Without privileges `load` fails with exit 4 and leaves nothing behind.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::harness::cli::{self, RAWBPF};
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{SOCKOPS_O, TestEnv};

/// `nobody`/`nogroup`.
const NOBODY: u32 = 65534;

#[test]
fn unprivileged_load_fails_cleanly() {
    let Some(env) = TestEnv::new("privilege") else {
        return;
    };
    let args = env.args(&["load", SOCKOPS_O]);
    let out = cli::rawbpf_with(Command::new(RAWBPF).args(&args).uid(NOBODY).gid(NOBODY));
    cli::assert_exit(&args, &out, &[4]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("root") || stderr.contains("CAP_BPF"),
        "stderr should say what privilege is missing: {}",
        cli::describe(&args, &out)
    );
    assert!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty(),
        "a program got attached by an unprivileged load"
    );
    assert!(
        env.pins.contents().is_empty(),
        "pins left behind: {:?}",
        env.pins.contents()
    );
}
