//! Failing loads: verifier rejection keeps the previous program and map, a missing object
//! and a non-cgroup2 `--cgroup` are reported with their exit codes.

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, SOCKOPS_INVALID_O, SOCKOPS_O, TestEnv};

#[test]
fn verifier_rejection_keeps_previous_program() {
    let Some(env) = TestEnv::new("errors_verifier") else {
        return;
    };
    let good = env.load(SOCKOPS_O, &[]);
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    assert_eq!(prog, good.prog_id);
    let map_id = env.pinned_map_id();

    let out = env.run_expect(&["load", SOCKOPS_INVALID_O], &[6]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("variable-offset read from stack"),
        "stderr should carry the verifier's complaint, got:\n{stderr}"
    );
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog],
        "the good program must stay attached"
    );
    assert_eq!(env.pinned_map_id(), map_id, "the pinned map must stay");
    assert!(kernel::prog_map_ids(prog).contains(&map_id));
}

#[test]
fn missing_object_is_reported() {
    let Some(env) = TestEnv::new("errors_missing") else {
        return;
    };
    let missing = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bpf-prog/does_not_exist.o"
    );
    let out = env.run_expect(&["load", missing], &[1, 5]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does_not_exist.o"),
        "stderr should name the path:\n{stderr}"
    );
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert!(
        env.pins.contents().is_empty(),
        "pins left behind: {:?}",
        env.pins.contents()
    );
}

#[test]
fn non_cgroup2_target_is_environment_error() {
    let Some(env) = TestEnv::new("errors_cgroup") else {
        return;
    };
    let mut args = vec!["load".to_string(), SOCKOPS_O.to_string()];
    args.extend(["--cgroup".into(), "/tmp".into()]);
    args.extend(["--pin-root".into(), env.pins.path().display().to_string()]);
    let out = crate::harness::cli::rawbpf(&args);
    crate::harness::cli::assert_exit(&args, &out, &[4]);
    assert_eq!(
        kernel::pinned_map_id(&env.pins.join(MAP_NAME)),
        None,
        "a failed load must not leave the map pinned"
    );
}

/// Usage mistakes are exit 2, with `--json` also as the documented error document, whether
/// clap refuses the argument or it does not fit the object; nothing is created.
#[test]
fn usage_mistakes_are_exit_2_with_a_json_error() {
    let Some(env) = crate::harness::TestEnv::new("errors_usage") else {
        return;
    };
    for args in [
        vec!["--json", "load", "--no-such-flag"],
        vec!["--json", "man", "no-such-command"],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = crate::harness::cli::rawbpf(&args);
        crate::harness::cli::assert_exit(&args, &out, &[2]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::harness::cli::describe(&args, &out)));
        assert_eq!(v["exit_code"], 2, "{v}");
        assert!(v["error"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    }
    let (args, out) = env.run(&["load", crate::harness::SOCKOPS_O, "--program", "nope"]);
    crate::harness::cli::assert_exit(&args, &out, &[2]);
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
}

/// Errors that point the right way: a typo in a map or program name gets the name that
/// exists; a file off bpffs given as a pin is a usage error (exit 2) saying it is no pin,
/// not the kernel's bare EACCES.
#[test]
fn typos_get_did_you_mean_and_a_file_off_bpffs_is_no_pin() {
    let Some(env) = crate::harness::TestEnv::new("errors_hints") else {
        return;
    };
    env.load(crate::harness::SOCKOPS_O, &[]);
    let pin_root = env.pins.path().display().to_string();
    let error = |args: &[&str], code: i32| {
        let mut full = vec!["--json".to_string()];
        if args[0] == "map" {
            full.extend(args.iter().map(|s| s.to_string()));
            full.extend(["--pin-root".to_string(), pin_root.clone()]);
        } else {
            full.extend(env.args(args));
        }
        let out = crate::harness::cli::rawbpf(&full);
        crate::harness::cli::assert_exit(&full, &out, &[code]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::harness::cli::describe(&full, &out)));
        v["error"].as_str().unwrap_or_default().to_string()
    };
    let e = error(&["map", "dump", "sock_ops_mpa"], 1);
    assert!(e.contains("did you mean sock_ops_map?"), "{e}");
    let e = error(
        &[
            "load",
            crate::harness::SOCKOPS_O,
            "--program",
            "bpf_add_to_sockhsh",
        ],
        2,
    );
    assert!(e.contains("did you mean bpf_add_to_sockhash?"), "{e}");
    let e = error(&["load", crate::harness::SOCKOPS_O, "--set", "nope=1"], 2);
    assert!(!e.contains("____fmt"), "an internal name offered: {e}");
    let file = tempfile::NamedTempFile::new().unwrap();
    let e = error(
        &[
            "map",
            "dump",
            "--pinned",
            &file.path().display().to_string(),
        ],
        2,
    );
    assert!(e.contains("not on a BPF filesystem"), "{e}");
}
