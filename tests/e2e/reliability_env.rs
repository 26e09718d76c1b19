//! Guarantee 7 (`docs/guarantees.md`): the environment is diagnosed, not guessed. Each
//! problem is a one-line error that says what is wrong and what to do, with the documented
//! exit code of its class: a missing, unreadable, non-ELF or non-BPF object file (5), a
//! big-endian object (5), a pin root off bpffs (4), a cgroup path that is missing or not
//! cgroup v2 (4), no privileges (4, tested as an unprivileged uid), `detach` with nothing
//! attached (3).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;

use crate::harness::cli::NOBODY;
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{SOCKOPS_O, TestEnv};
use crate::reliability_common::{command, run, run_cmd, run_env, stderr};

/// Asserts a one-line `rawbpf: ...` error containing every one of `words`.
fn one_line(out: &std::process::Output, words: &[&str]) {
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line:\n{err}");
    assert!(err.starts_with("rawbpf: "), "{err}");
    for w in words {
        assert!(err.contains(w), "expected {w:?} in:\n{err}");
    }
}

#[test]
fn object_file_problems_are_exit_5() {
    let Some(env) = TestEnv::new("rel_env_object") else {
        return;
    };
    let missing = "/nonexistent/rawbpf/missing.o";
    let out = run(&["inspect", missing], &[5]);
    one_line(&out, &[missing, "No such file", "check the path"]);
    let out = run_env(&env, &["load", missing], &[5]);
    one_line(&out, &[missing, "No such file", "check the path"]);
    // A directory.
    let out = run(&["inspect", "/tmp"], &[5]);
    one_line(&out, &["not a directory"]);
    // Not an ELF, an ELF for another machine (the rawbpf binary itself).
    let text = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(text.path(), "not an object\n").unwrap();
    let out = run(&["inspect", &text.path().display().to_string()], &[5]);
    one_line(&out, &["not an ELF", "clang -target bpf"]);
    let out = run_env(&env, &["load", crate::harness::cli::RAWBPF], &[5]);
    one_line(&out, &["is not BPF", "clang -target bpf"]);
    // A big-endian object: inspect reads it, load refuses it.
    let be = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../elf/tests/fixtures/multi_prog.be.o"
    );
    run(&["inspect", be], &[0]);
    let out = run_env(&env, &["load", be], &[5]);
    one_line(&out, &["big-endian", "little-endian"]);
    // Unreadable for this user.
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.o");
    std::fs::copy(SOCKOPS_O, &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_cmd(
        command()
            .args(["inspect", &secret.display().to_string()])
            .uid(NOBODY)
            .gid(NOBODY),
        &[5],
    );
    one_line(&out, &["Permission denied", "readable"]);
    assert!(env.pins.contents().is_empty());
}

#[test]
fn pin_root_cgroup_and_privilege_problems_are_exit_4() {
    let Some(env) = TestEnv::new("rel_env_system") else {
        return;
    };
    let cg = env.cgroup_path().display().to_string();
    let pins = env.pins.path().display().to_string();

    // Pin root not on bpffs.
    let out = run(
        &[
            "load",
            SOCKOPS_O,
            "--cgroup",
            &cg,
            "--pin-root",
            "/tmp/rawbpf-not-bpffs",
        ],
        &[4],
    );
    one_line(&out, &["not on a bpffs", "mount -t bpf"]);
    assert!(!Path::new("/tmp/rawbpf-not-bpffs").exists());

    // cgroup paths: missing, not a cgroup at all, a cgroup v1 hierarchy.
    let missing = format!(
        "{}/rawbpf-no-such-cgroup",
        crate::harness::kernel::cgroup_root()
    );
    let mut bad = vec![(missing.as_str(), "--cgroup")];
    bad.push(("/tmp", "cgroup v2"));
    if nix::sys::statfs::statfs("/sys/fs/cgroup/cpu")
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::CGROUP_SUPER_MAGIC)
    {
        bad.push(("/sys/fs/cgroup/cpu", "cgroup v2"));
    }
    for (path, hint) in bad {
        for cmd in [vec!["load", SOCKOPS_O], vec!["detach"], vec!["map-ids"]] {
            let mut args = cmd.clone();
            args.extend(["--cgroup", path, "--pin-root", &pins]);
            let out = run(&args, &[4]);
            one_line(&out, &[path, hint]);
        }
    }

    // No privileges: every command that needs them says so, and nothing is left behind.
    for cmd in [vec!["load", SOCKOPS_O], vec!["detach"], vec!["map-ids"]] {
        let out = run_cmd(command().args(env.args(&cmd)).uid(NOBODY).gid(NOBODY), &[4]);
        one_line(&out, &["root"]);
    }
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert!(env.pins.contents().is_empty());
}

#[test]
fn detach_with_nothing_attached_is_exit_3() {
    let Some(env) = TestEnv::new("rel_env_detach") else {
        return;
    };
    let out = run_env(&env, &["detach"], &[3]);
    one_line(&out, &["nothing", "attached"]);
    let out = run_env(&env, &["detach", "--prog-id", "4000000000"], &[3]);
    one_line(&out, &["not attached"]);
    // After a load and a detach, a second detach has nothing left either.
    env.load(SOCKOPS_O, &[]);
    run_env(&env, &["detach"], &[0]);
    let out = run_env(&env, &["detach"], &[3]);
    one_line(&out, &["nothing"]);
}
