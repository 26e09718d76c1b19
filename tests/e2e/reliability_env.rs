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
    // A directory (and, in the unit tests, a device, a FIFO and a file over the bound).
    let out = run(&["inspect", "/tmp"], &[5]);
    one_line(&out, &["not a regular file"]);
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

/// On kernels that charge BPF memory to RLIMIT_MEMLOCK (before 5.11) `rawbpf` raises the
/// limit itself, as libbpf does; on newer kernels the limit does not matter. Either way a
/// load under a zero limit (util-linux `prlimit`) works, pins its map and attaches.
#[test]
fn memlock_limit_is_raised_by_rawbpf() {
    let Some(env) = TestEnv::new("rel_memlock") else {
        return;
    };
    let mut args = vec![
        "--memlock=0:0".to_string(),
        crate::harness::cli::RAWBPF.to_string(),
    ];
    args.extend(env.args(&["load", SOCKOPS_O]));
    let out = std::process::Command::new("prlimit")
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("prlimit (util-linux): {e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    let map = env.pinned_map_id();
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    assert!(
        kernel::prog_map_ids(prog).contains(&map),
        "{map} not used by {prog}"
    );
}

/// A pin root another user could write is refused before anything is created (exit 4, the
/// directory named), whoever made it: owned by `nobody`, mode 0777, or a symlink to a
/// directory of someone else. One rawbpf creates itself is 0700 even under `umask 000`.
#[test]
fn untrusted_pin_roots_are_refused_and_own_ones_are_0700() {
    let Some(env) = TestEnv::new("rel_trust") else {
        return;
    };
    let root = env.pins.path().to_path_buf();
    let elsewhere = crate::harness::TestPinRoot::new("rel_trust_target");
    let attempts: [(&str, &dyn Fn()); 3] = [
        ("owned by nobody", &|| {
            std::fs::create_dir(&root).unwrap();
            std::os::unix::fs::chown(&root, Some(NOBODY), Some(NOBODY)).unwrap();
        }),
        ("mode 0777", &|| {
            std::fs::create_dir(&root).unwrap();
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        }),
        ("a symlink", &|| {
            std::fs::create_dir(elsewhere.path()).unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), &root).unwrap();
        }),
    ];
    for (what, plant) in attempts {
        plant();
        for cmd in [vec!["load", SOCKOPS_O], vec!["detach"]] {
            let out = run_env(&env, &cmd, &[4]);
            let err = stderr(&out);
            assert!(err.contains("not safe for rawbpf's pins"), "{what}: {err}");
        }
        assert!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty(),
            "{what}: attached"
        );
        let inside = std::fs::read_dir(&root).map(Iterator::count).unwrap_or(0);
        assert_eq!(inside, 0, "{what}: something was created in the pin root");
        let _ = std::fs::remove_file(&root);
        let _ = std::fs::remove_dir(&root);
        let _ = std::fs::remove_dir(elsewhere.path());
    }

    // Created by rawbpf under umask 000: 0700, and so is its record directory.
    let mut args = vec![
        "-c".to_string(),
        "umask 000; exec \"$0\" \"$@\"".to_string(),
        crate::harness::cli::RAWBPF.to_string(),
    ];
    args.extend(env.args(&["load", SOCKOPS_O]));
    let out = std::process::Command::new("sh")
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for dir in [
        root.clone(),
        root.join("attached-progs"),
        root.join("attached-progs/data"),
    ] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

/// Out of file descriptors (`prlimit --nofile`), a healthy pinned sockhash is never called
/// a conflict or "not a BPF object": each load either works or says "too many open files",
/// and the pin stays the same map.
#[test]
fn fd_exhaustion_is_reported_as_itself() {
    let Some(env) = TestEnv::new("rel_emfile") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map = env.pinned_map_id();
    let mut refused = 0;
    for n in 3..=24 {
        let mut args = vec![
            format!("--nofile={n}:{n}"),
            crate::harness::cli::RAWBPF.to_string(),
        ];
        args.extend(env.args(&["load", SOCKOPS_O, "--force"]));
        let out = std::process::Command::new("prlimit")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("prlimit (util-linux): {e}"));
        crate::harness::cli::assert_no_panic(&args, &out);
        let err = stderr(&out);
        if err.contains("error while loading shared libraries") {
            continue; // too few even for the dynamic loader: rawbpf never ran
        }
        if !out.status.success() {
            refused += 1;
            assert!(
                err.to_lowercase().contains("too many open files"),
                "nofile={n}: exit {:?}: {err}",
                out.status.code()
            );
        }
        assert_eq!(env.pinned_map_id(), map, "nofile={n}: the pin changed");
    }
    assert!(refused > 0, "no limit was low enough to make a load fail");
}
