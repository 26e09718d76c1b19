//! Without privileges `load` fails with exit 4 and leaves nothing behind.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::harness::cli::{self, NOBODY, RAWBPF};
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};

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
    assert_nothing_left(&env);
}

/// Nothing attached to the test cgroup, nothing under the pin root.
fn assert_nothing_left(env: &TestEnv) {
    let attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    assert!(attached.is_empty(), "still attached: {attached:?}");
    assert!(
        env.pins.contents().is_empty(),
        "pins left behind: {:?}",
        env.pins.contents()
    );
}

/// With CAP_BPF alone a networking program (`tc`) is refused by the kernel before the
/// verifier runs: EPERM with an empty log. That is exit 4 with the likely causes, not a
/// verifier rejection (exit 6).
#[test]
fn load_refused_without_a_verdict_is_an_environment_error() {
    if !kernel::require_kernel("load_refused") {
        return;
    }
    let obj = crate::compat_common::object("rodata_knobs.o");
    let args: Vec<String> = ["--json", "load", &obj, "--no-pin", "--no-attach"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // uid 0 with CAP_BPF only (the bounding set limits what exec grants root).
    let out = cli::rawbpf_with(
        Command::new("setpriv")
            .args(["--bounding-set", "-all,+bpf", "--inh-caps", "-all", "--"])
            .arg(RAWBPF)
            .args(&args),
    );
    cli::assert_exit(&args, &out, &[4]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", cli::describe(&args, &out)));
    let msg = doc["error"].as_str().unwrap_or_default();
    assert!(
        msg.contains("BPF_PROG_LOAD: operation not permitted") && msg.contains("CAP_NET_ADMIN"),
        "{doc}"
    );
    assert!(doc.get("verifier_log").is_none(), "{doc}");
}

/// Runs `rawbpf --json <cmd>` as uid 0 with the systemd unit's capability set only; its JSON.
fn unit_json(cmd: Vec<String>) -> serde_json::Value {
    let mut args = vec!["--json".to_string()];
    args.extend(cmd);
    let out = cli::rawbpf_with(
        Command::new("setpriv")
            .args([
                "--bounding-set",
                "-all,+bpf,+net_admin,+perfmon",
                "--inh-caps",
                "-all",
                "--",
            ])
            .arg(RAWBPF)
            .args(&args),
    );
    cli::parse_json(&args, &out)
}

/// The systemd unit's capability set (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON; no
/// CAP_SYS_ADMIN, so the kernel opens nothing by ID): every command does its job, reading
/// rawbpf's own programs through their records, and says what it cannot show.
#[test]
fn the_units_capabilities_are_enough_for_every_command() {
    let Some(env) = TestEnv::new("privilege_unit") else {
        return;
    };
    let as_unit_args = unit_json;
    let as_unit = |cmd: &[&str]| as_unit_args(env.args(cmd));
    let loaded = as_unit(&["load", SOCKOPS_O]);
    let prog = crate::harness::report::id(&loaded["programs"][0]["id"]);
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog]
    );
    let map = env.pinned_map_id();

    // Unchanged: the .rodata map is opened through its pin beside the attach record (the
    // kernel opens nothing by ID without CAP_SYS_ADMIN), so nothing is loaded again.
    let maps = kernel::prog_map_ids(prog);
    assert_eq!(maps.len(), 2, "sockhash and .rodata: {maps:?}");
    let again = as_unit(&["load", SOCKOPS_O]);
    assert_eq!(
        crate::harness::report::id(&again["programs"][0]["id"]),
        prog
    );
    assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
    assert_eq!(again["warnings"], serde_json::json!([]), "{again}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog]
    );
    assert_eq!(kernel::prog_map_ids(prog), maps);
    assert_eq!(env.pinned_map_id(), map);

    let ids = as_unit(&["map-ids"]);
    let p = &ids["programs"][0];
    assert_eq!(crate::harness::report::id(&p["id"]), prog, "{ids}");
    assert_eq!(p["name"], kernel::prog_info(prog).name.as_str(), "{ids}");
    let m = ids["maps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| crate::harness::report::id(&m["id"]) == map)
        .unwrap_or_else(|| panic!("pinned map {map} not listed: {ids}"));
    assert_eq!(m["used_by"], serde_json::json!([prog]), "{ids}");

    let status = as_unit(&["status"]);
    assert_eq!(
        crate::harness::report::id(&status["cgroup"]["programs"][0]["id"]),
        prog,
        "{status}"
    );
    let dump = as_unit_args(
        ["map", "dump", crate::harness::MAP_NAME, "--pin-root"]
            .iter()
            .map(|s| s.to_string())
            .chain([env.pins.path().display().to_string()])
            .collect(),
    );
    assert!(
        dump["warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "hex without a word why: {dump}"
    );

    as_unit(&["detach", "--unpin"]);
    assert_nothing_left(&env);
}

/// Under the unit's capability set the data map pins beside an attach record are trusted
/// only when they hold the map they name: a pin of another map there, or none (a record
/// of an older rawbpf), means "load again" with the reason, and that load pins the new
/// program's own maps, so the next reload is unchanged.
#[test]
fn data_map_pins_are_checked_and_repaired() {
    let Some(env) = TestEnv::new("privilege_data_pins") else {
        return;
    };
    let as_unit = |cmd: &[&str]| unit_json(env.args(cmd));
    let data = env.pins.join("attached-progs/data");
    let c = |p: &std::path::Path| std::ffi::CString::new(p.display().to_string()).unwrap();
    let first = crate::harness::report::id(&as_unit(&["load", SOCKOPS_O])["programs"][0]["id"]);
    let sockhash = env.pinned_map_id();
    let rodata_of = |prog: u32| -> u32 {
        let ids: Vec<u32> = kernel::prog_map_ids(prog)
            .into_iter()
            .filter(|&id| id != sockhash)
            .collect();
        assert_eq!(
            ids.len(),
            1,
            "one .rodata map besides the sockhash: {ids:?}"
        );
        ids[0]
    };
    // The one data pin, checked to hold `rodata`.
    let the_pin = |rodata: u32| -> std::path::PathBuf {
        let names = crate::reliability_common::names_in(&data);
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].ends_with(&format!("%{rodata}")), "{names:?}");
        let pin = data.join(&names[0]);
        assert_eq!(kernel::pinned_map_id(&pin), Some(rodata));
        pin
    };
    let loaded_again = |before: u32| -> u32 {
        let v = as_unit(&["load", SOCKOPS_O]);
        let prog = crate::harness::report::id(&v["programs"][0]["id"]);
        assert_eq!(v["programs"][0]["status"], "loaded", "{v}");
        assert_ne!(prog, before);
        assert!(
            v["warnings"].as_array().is_some_and(|w| w
                .iter()
                .any(|w| w.as_str().is_some_and(|s| s.contains("CAP_SYS_ADMIN")))),
            "{v}"
        );
        assert_eq!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            vec![prog]
        );
        prog
    };

    let pin = the_pin(rodata_of(first));

    // Another map (the sockhash) pinned under the .rodata map's name is not trusted.
    std::fs::remove_file(&pin).unwrap();
    let hash = rawbpf_syscalls::obj_get(&c(&env.pins.join(MAP_NAME))).unwrap();
    rawbpf_syscalls::obj_pin(std::os::fd::AsFd::as_fd(&hash), &c(&pin)).unwrap();
    let second = loaded_again(first);
    the_pin(rodata_of(second));

    // No data pins (an older rawbpf's record): loaded again, then unchanged.
    std::fs::remove_dir_all(&data).unwrap();
    let third = loaded_again(second);
    the_pin(rodata_of(third));
    let v = as_unit(&["load", SOCKOPS_O]);
    assert_eq!(v["programs"][0]["status"], "unchanged", "{v}");
    assert_eq!(crate::harness::report::id(&v["programs"][0]["id"]), third);

    as_unit(&["detach", "--unpin"]);
    assert_nothing_left(&env);
}

/// Under the unit's capability set an `sk_msg` program attached to the pinned sockhash is
/// found through its map record (the kernel opens no program by ID; attach type 7 is
/// `BPF_SK_MSG_VERDICT`): an unchanged reload
/// leaves it attached, and `detach OBJ` detaches it.
#[test]
fn the_units_capabilities_reload_and_detach_map_programs() {
    let Some(env) = TestEnv::new("privilege_skmsg") else {
        return;
    };
    if !crate::harness::features::sockmap_prog_query() {
        return;
    }
    let as_unit = |cmd: &[&str]| unit_json(env.args(cmd));
    let skmsg_o = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
    as_unit(&["load", SOCKOPS_O]);
    let map = env.pinned_map_id();
    let v = as_unit(&["load", skmsg_o]);
    let prog = crate::harness::report::id(&v["programs"][0]["id"]);
    let on_map = || -> Vec<u32> {
        let fd = rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Map, map).unwrap();
        rawbpf_syscalls::prog_query(std::os::fd::AsFd::as_fd(&fd), 7)
            .unwrap()
            .prog_ids
            .iter()
            .map(|p| p.0)
            .collect()
    };
    assert_eq!(on_map(), vec![prog]);
    let maps = kernel::prog_map_ids(prog);

    let again = as_unit(&["load", skmsg_o]);
    assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
    assert_eq!(
        crate::harness::report::id(&again["programs"][0]["id"]),
        prog
    );
    assert_eq!(on_map(), vec![prog]);
    assert_eq!(kernel::prog_map_ids(prog), maps);

    // A forced reload swaps it, knowing what it replaced (what a rollback would put back).
    let forced = as_unit(&["load", skmsg_o, "--force"]);
    let (old, prog) = (
        prog,
        crate::harness::report::id(&forced["programs"][0]["id"]),
    );
    assert_eq!(
        forced["programs"][0]["attach"]["replaced_id"], old,
        "{forced}"
    );
    assert_eq!(on_map(), vec![prog]);

    let d = as_unit(&["detach", skmsg_o]);
    assert_eq!(
        crate::harness::report::id(&d["detached"][0]["id"]),
        prog,
        "{d}"
    );
    assert!(on_map().is_empty(), "still attached to the sockhash");
    as_unit(&["detach", "--unpin"]);
    assert_nothing_left(&env);
}

/// Under the unit's capability set a reload in `single` mode knows the program it replaces
/// (found through its attach record, not by ID): what a rollback would put back.
#[test]
fn the_units_capabilities_replace_in_single_mode() {
    let Some(env) = TestEnv::new("privilege_single") else {
        return;
    };
    let as_unit = |cmd: &[&str]| unit_json(env.args(cmd));
    let load = ["load", SOCKOPS_O, "--attach-mode", "single", "--force"];
    let first = crate::harness::report::id(&as_unit(&load)["programs"][0]["id"]);
    let again = as_unit(&load);
    let second = crate::harness::report::id(&again["programs"][0]["id"]);
    assert_eq!(
        again["programs"][0]["attach"]["replaced_id"], first,
        "{again}"
    );
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![second]
    );
    as_unit(&["detach", "--unpin"]);
    assert_nothing_left(&env);
}

/// Under the unit's capability set a renamed program replaces its old self, on the cgroup and
/// on the socket map, and the report names what it replaced (found through the old name's
/// record, not by ID).
#[test]
fn the_units_capabilities_replace_renamed_programs() {
    let Some(env) = TestEnv::new("privilege_renamed") else {
        return;
    };
    let as_unit = |cmd: &[&str]| unit_json(env.args(cmd));
    let dir = tempfile::tempdir().unwrap();
    let sockops = crate::reload_program_set::renamed_sockops(dir.path());
    let skmsg_o = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
    let skmsg = crate::reload_program_set::renamed(skmsg_o, "bpf_redir", "bpf_redi2", dir.path());
    let prog = |v: &serde_json::Value| crate::harness::report::id(&v["programs"][0]["id"]);

    let old = prog(&as_unit(&["load", SOCKOPS_O]));
    let v = as_unit(&["load", &sockops.display().to_string()]);
    assert_eq!(v["programs"][0]["attach"]["replaced_id"], old, "{v}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog(&v)]
    );

    let old = prog(&as_unit(&["load", skmsg_o]));
    let v = as_unit(&["load", &skmsg.display().to_string()]);
    assert_eq!(v["programs"][0]["attach"]["replaced_id"], old, "{v}");
    assert_eq!(
        v["programs"][0]["attach"]["replaced_name"], "bpf_redir",
        "{v}"
    );
    as_unit(&["detach", "--unpin"]);
    assert_nothing_left(&env);
}
