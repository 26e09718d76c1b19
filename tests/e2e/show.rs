//! `prog show`, `map show` (host-wide and by ID), `cgroup tree`, and the owner marks of
//! `map-ids` and `status`, against the kernel: rawbpf's program next to one "another tool"
//! attached to the same test cgroup directly with bpf(2), each listed with the owner the
//! records say (rawbpf's, or none) and the full name from BTF.

use std::os::fd::{AsFd, OwnedFd};

use rawbpf_syscalls as sys;
use serde_json::Value;

use crate::harness::cli::{self, parse_json};
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};

/// Loads a no-op sock_ops program named `other_tool` and attaches it (multi) to `env`'s
/// cgroup, as another loader would: no record of rawbpf's names it. The test cgroup's
/// guard detaches it.
fn attach_other_tool(env: &TestEnv) -> (OwnedFd, u32) {
    let prog = kernel::load_foreign_sockops("other_tool");
    let cgroup = std::fs::File::open(env.cgroup_path()).unwrap();
    sys::prog_attach(
        cgroup.as_fd(),
        prog.as_fd(),
        ATTACH_SOCK_OPS,
        sys::AttachFlags::ALLOW_MULTI,
        None,
    )
    .unwrap_or_else(|e| panic!("attach no-op: {e}"));
    let pid = sys::prog_info(prog.as_fd()).unwrap().id.0;
    (prog, pid)
}

/// `rawbpf --json <args>` (no --cgroup/--pin-root added), exit 0, parsed.
fn json(args: &[&str]) -> Value {
    let mut full = vec!["--json".to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    let out = cli::rawbpf(&full);
    parse_json(&full, &out)
}

/// The element of array `v[key]` with `"id": want`.
fn by_id<'a>(v: &'a Value, key: &str, want: u32) -> &'a Value {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {v}"))
        .iter()
        .find(|p| id(&p["id"]) == want)
        .unwrap_or_else(|| panic!("{want} not in {key}: {v}"))
}

/// The full name the kernel's BTF func info gives, where the program has BTF.
fn full_name(prog: u32) -> &'static str {
    if kernel::prog_info(prog).btf_id != 0 {
        "bpf_add_to_sockhash"
    } else {
        "bpf_add_to_sock"
    }
}

/// Checks a program object (`prog show`, `cgroup tree`) of rawbpf's program `mine`.
fn check_mine(p: &Value, mine: u32, env: &TestEnv) {
    assert_eq!(p["owner"], "rawbpf", "{p}");
    assert_eq!(p["name"], full_name(mine), "{p}");
    assert_eq!(
        p["kernel_name"],
        kernel::prog_info(mine).name.as_str(),
        "{p}"
    );
    let recs = p["records"].as_array().unwrap_or_else(|| panic!("{p}"));
    assert_eq!(recs.len(), 1, "{p}");
    let r = &recs[0];
    assert_eq!(r["kind"], "cgroup", "{r}");
    assert_eq!(r["attach_type"], "cgroup_sock_ops", "{r}");
    assert_eq!(r["cgroup"], env.cgroup_path().display().to_string(), "{r}");
    assert_eq!(r["pin_root"], env.pins.path().display().to_string(), "{r}");
    let path = r["path"].as_str().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        kernel::pinned_prog_id(std::path::Path::new(path)),
        Some(mine)
    );
}

/// Checks the other tool's program object.
fn check_other(p: &Value, other: u32) {
    assert!(p["owner"].is_null(), "{p}");
    assert_eq!(p["records"].as_array().map(Vec::len), Some(0), "{p}");
    assert_eq!(p["name"], "other_tool", "{p}");
    assert_eq!(id(&p["id"]), other, "{p}");
}

#[test]
fn show_lists_programs_maps_and_cgroups_with_owners() {
    let Some(env) = TestEnv::new("show") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let mine = kernel::the_sockops_prog(env.cgroup_path());
    let (_other_fd, other) = attach_other_tool(&env);
    let mut attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    attached.sort_unstable();
    let mut both = vec![mine, other];
    both.sort_unstable();
    assert_eq!(attached, both, "the kernel has both programs on the cgroup");

    // prog show: the whole host, rawbpf's found through the index without --pin-root.
    let all = json(&["prog", "show"]);
    check_mine(by_id(&all, "programs", mine), mine, &env);
    check_other(by_id(&all, "programs", other), other);
    let p = by_id(&all, "programs", mine);
    let info = kernel::prog_info(mine);
    assert_eq!(p["type"], "sock_ops", "{p}");
    let kernel_maps: Vec<u32> = info.map_ids.iter().map(|m| m.0).collect();
    let listed_maps: Vec<u32> = p["map_ids"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed_maps, kernel_maps, "{p}");
    assert_eq!(
        p["btf_id"].as_u64().unwrap_or(0),
        u64::from(info.btf_id),
        "{p}"
    );

    // prog show ID, and --pinned on rawbpf's record: that one program only.
    let one = json(&["prog", "show", &other.to_string()]);
    assert_eq!(one["programs"].as_array().map(Vec::len), Some(1), "{one}");
    check_other(&one["programs"][0], other);
    let record = p["records"][0]["path"].as_str().unwrap().to_string();
    let pinned = json(&["prog", "show", "--pinned", &record]);
    assert_eq!(
        pinned["programs"].as_array().map(Vec::len),
        Some(1),
        "{pinned}"
    );
    check_mine(&pinned["programs"][0], mine, &env);

    // map show, host-wide and by ID: the sockhash with rawbpf's pin.
    let sockhash = env.pinned_map_id();
    let pin = env.pins.join(MAP_NAME).display().to_string();
    let maps = json(&["map", "show"]);
    assert!(maps["cgroup"].is_null(), "host-wide: {maps}");
    for m in [
        by_id(&maps, "maps", sockhash).clone(),
        json(&["map", "show", &sockhash.to_string()])["maps"][0].clone(),
    ] {
        assert_eq!(id(&m["id"]), sockhash, "{m}");
        assert_eq!(m["owner"], "rawbpf", "{m}");
        assert_eq!(m["pinned"], pin.as_str(), "{m}");
        assert_eq!(m["type"], "sockhash", "{m}");
        let used: Vec<u32> = m["used_by"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(used, vec![mine], "{m}");
        let n = kernel::map_entries(sockhash).len() as u64;
        assert_eq!(m["entries"].as_u64(), Some(n), "{m}");
    }

    // cgroup tree from the test cgroup: it, with both programs.
    let cg = env.cgroup_path().display().to_string();
    let tree = json(&["cgroup", "tree", &cg]);
    let cgroups = tree["cgroups"]
        .as_array()
        .unwrap_or_else(|| panic!("{tree}"));
    assert_eq!(cgroups.len(), 1, "{tree}");
    assert_eq!(cgroups[0]["path"], cg.as_str(), "{tree}");
    for t in cgroups[0]["programs"].as_array().unwrap() {
        assert_eq!(t["attach_type"], "cgroup_sock_ops", "{t}");
        assert_eq!(t["mode"], "multi", "{t}");
    }
    check_mine(by_id(&cgroups[0], "programs", mine), mine, &env);
    check_other(by_id(&cgroups[0], "programs", other), other);

    // map-ids and status mark the owners; status finds the cgroup from the record.
    let ids = env.json(&["map-ids"]);
    assert_eq!(by_id(&ids, "programs", mine)["owner"], "rawbpf", "{ids}");
    assert!(by_id(&ids, "programs", other)["owner"].is_null(), "{ids}");
    assert_eq!(by_id(&ids, "programs", mine)["name"], full_name(mine));
    let root = env.pins.path().display().to_string();
    let status = json(&["status", "--pin-root", &root]);
    assert_eq!(status["cgroup"]["path"], cg.as_str(), "{status}");
    assert_eq!(status["cgroup"]["from_record"], true, "{status}");
    let s = &status["cgroup"];
    assert_eq!(by_id(s, "programs", mine)["owner"], "rawbpf", "{status}");
    assert!(by_id(s, "programs", other)["owner"].is_null(), "{status}");
}

#[test]
fn prog_show_of_a_missing_program_or_a_map_pin_fails() {
    let Some(env) = TestEnv::new("show_missing") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    // A map's pin is not a program.
    let pin = env.pins.join(MAP_NAME).display().to_string();
    let args: Vec<String> = ["--json", "prog", "show", "--pinned", &pin]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[1]);
    // IDs are below INT_MAX; this one is never live.
    let args: Vec<String> = ["--json", "prog", "show", "2147483646"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[1]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("2147483646")),
        "{v}"
    );
}

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");

/// The `kind`s of a program's records, sorted.
fn record_kinds(p: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = p["records"]
        .as_array()
        .unwrap_or_else(|| panic!("{p}"))
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    kinds.sort();
    kinds
}

#[test]
fn prog_show_names_socket_map_and_pin_records() {
    let Some(env) = TestEnv::new("show_records") else {
        return;
    };
    env.load(SOCKOPS_O, &["--pin-progs"]);
    let loaded = env.json(&["load", SKMSG_O]);
    let sockops = kernel::the_sockops_prog(env.cgroup_path());
    let skmsg = id(&loaded["programs"][0]["id"]);
    let sockhash = env.pinned_map_id();
    let pinned_prog = env.pins.join("progs/bpf_add_to_sockhash");
    assert_eq!(kernel::pinned_prog_id(&pinned_prog), Some(sockops));

    let root = env.pins.path().display().to_string();
    let all = json(&["prog", "show", "--pin-root", &root]);
    let p = by_id(&all, "programs", sockops);
    assert_eq!(record_kinds(p), vec!["cgroup", "pin"], "{p}");
    let pin = p["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "pin")
        .unwrap();
    assert_eq!(pin["path"], pinned_prog.display().to_string(), "{pin}");
    assert!(pin["attach_type"].is_null(), "{pin}");

    let m = by_id(&all, "programs", skmsg);
    assert_eq!(m["owner"], "rawbpf", "{m}");
    assert_eq!(record_kinds(m), vec!["map"], "{m}");
    let r = &m["records"][0];
    assert_eq!(id(&r["map_id"]), sockhash, "{r}");
    assert_eq!(r["attach_type"], "sk_msg_verdict", "{r}");
    let path = r["path"].as_str().unwrap();
    assert_eq!(
        kernel::pinned_prog_id(std::path::Path::new(path)),
        Some(skmsg)
    );

    // The human forms run too (their words are not the contract; exit 0 is).
    let cg = env.cgroup_path().display().to_string();
    for args in [
        vec!["prog", "show", "--pin-root", &root],
        vec!["prog", "ls", "--pinned", path],
        vec!["cgroup", "tree", &cg],
        vec!["map", "show"],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = cli::rawbpf(&args);
        cli::assert_exit(&args, &out, &[0]);
    }
}
