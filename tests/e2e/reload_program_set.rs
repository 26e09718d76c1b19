//! A reload whose program set differs from what rawbpf recorded (`docs/guarantees.md`,
//! "Renamed and removed programs"): a program renamed in the source replaces its old self in
//! place (one program attached, the sockhash and its sockets kept, the old record gone), one
//! removed from the source is detached, `--keep-old-programs` keeps the old behaviour (both
//! run), an ambiguous pairing is refused with exit 2 and changes nothing, and a renamed
//! `sk_msg` program leaves no record of its old name. `detach` then leaves nothing.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{Connections, SOCKOPS_O, TestEnv, features};
use crate::reliability_common::{Snapshot, record_names, run_env};

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
const PAIR_O: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/objects/sockops_pair.o"
);
/// `BPF_SK_MSG_VERDICT`.
const ATTACH_SK_MSG: u32 = 7;
const OLD: &str = "bpf_add_to_sockhash";
const NEW: &str = "bpf_add_to_sockhas2";
const CONNS: usize = 3;

/// A copy of `src` in `dir` with every `from\0` replaced by `to\0` (same length): the same
/// object with its program renamed in the source (symbol, BTF function name).
pub fn renamed(src: &str, from: &str, to: &str, dir: &Path) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(src).unwrap();
    let (from, to) = (
        [from.as_bytes(), b"\0"].concat(),
        [to.as_bytes(), b"\0"].concat(),
    );
    let mut n = 0;
    for i in 0..bytes.len() - from.len() {
        if bytes[i..i + from.len()] == from[..] {
            bytes[i..i + to.len()].copy_from_slice(&to);
            n += 1;
        }
    }
    assert!(n > 0, "{} not in {src}", String::from_utf8_lossy(&from));
    let out = dir.join(format!(
        "renamed-{}",
        Path::new(src).file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&out, &bytes).unwrap();
    out
}

/// The renamed copy of `bpf_sockops.o` (`OLD` → `NEW`).
pub fn renamed_sockops(dir: &Path) -> PathBuf {
    renamed(SOCKOPS_O, OLD, NEW, dir)
}

fn records(env: &TestEnv) -> Vec<String> {
    record_names(&env.pins.join("attached-progs"))
}

fn sockops_attached(env: &TestEnv) -> Vec<u32> {
    let mut v = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    v.sort_unstable();
    v
}

/// `detach` leaves no program on the cgroup and no record.
fn detach_leaves_nothing(env: &TestEnv) {
    run_env(env, &["detach"], &[0]);
    assert_eq!(sockops_attached(env), Vec::<u32>::new(), "after detach");
    assert_eq!(records(env), Vec::<String>::new(), "records after detach");
}

#[test]
fn a_renamed_program_replaces_its_old_self() {
    let Some(env) = TestEnv::new("set_renamed") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let conns = Connections::open(&env.cgroup, CONNS);
    kernel::poll(|| (kernel::map_entries(map_id).len() == 2 * CONNS).then_some(()))
        .unwrap_or_else(|| panic!("sockets never reached map {map_id}"));
    let entries = Snapshot::take(&env).entries;

    let dir = tempfile::tempdir().unwrap();
    let obj = renamed_sockops(dir.path());
    let v = env.json(&["load", &obj.display().to_string()]);
    let new = id(&v["programs"][0]["id"]);
    assert_eq!(
        sockops_attached(&env),
        vec![new],
        "exactly the new program runs"
    );
    assert_ne!(new, first.prog_id, "a new program");
    let attach = &v["programs"][0]["attach"];
    assert_eq!(attach["replaced_id"], first.prog_id, "{v}");
    assert_eq!(attach["replaced_name"], OLD, "{v}");
    assert_eq!(env.pinned_map_id(), map_id, "the sockhash is kept");
    assert!(kernel::prog_map_ids(new).contains(&map_id));
    assert_eq!(
        Snapshot::take(&env).entries,
        entries,
        "its sockets are kept"
    );
    let recs = records(&env);
    assert!(
        recs.len() == 1 && recs[0].ends_with(&format!("-{NEW}")),
        "one record, of the new name: {recs:?}"
    );
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v}");

    // The set is consistent now: the same object again is unchanged.
    let again = env.json(&["load", &obj.display().to_string()]);
    assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
    assert_eq!(sockops_attached(&env), vec![new]);
    drop(conns);
    detach_leaves_nothing(&env);
}

#[test]
fn a_renamed_program_replaces_its_old_self_in_single_mode() {
    let Some(env) = TestEnv::new("set_renamed_single") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &["--attach-mode", "single"]);
    let dir = tempfile::tempdir().unwrap();
    let obj = renamed_sockops(dir.path());
    let r = env.load(&obj.display().to_string(), &["--attach-mode", "single"]);
    assert_eq!(sockops_attached(&env), vec![r.prog_id]);
    assert_ne!(r.prog_id, first.prog_id);
    assert_eq!(r.replaced_id, Some(first.prog_id));
    let recs = records(&env);
    assert!(
        recs.len() == 1 && recs[0].ends_with(&format!("-{NEW}")),
        "{recs:?}"
    );
    detach_leaves_nothing(&env);
}

#[test]
fn a_removed_program_is_detached() {
    let Some(env) = TestEnv::new("set_removed") else {
        return;
    };
    let v = env.json(&["load", PAIR_O]);
    let kept = id(&v["programs"][0]["id"]);
    let dropped = id(&v["programs"][1]["id"]);
    assert_eq!(v["programs"][1]["name"], "bpf_count_established");
    let mut both = vec![kept, dropped];
    both.sort_unstable();
    assert_eq!(sockops_attached(&env), both);
    let map_id = env.pinned_map_id();

    // bpf_sockops.o: the same map, only bpf_add_to_sockhash (other instructions).
    let r = env.json(&["load", SOCKOPS_O]);
    let new = id(&r["programs"][0]["id"]);
    assert_eq!(r["programs"][0]["attach"]["replaced_id"], kept, "{r}");
    assert_eq!(
        sockops_attached(&env),
        vec![new],
        "the dropped program is detached"
    );
    assert_eq!(env.pinned_map_id(), map_id);
    let removed = r["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{r}");
    assert_eq!(removed[0]["id"], dropped);
    assert_eq!(removed[0]["name"], "bpf_count_established");
    let recs = records(&env);
    assert!(
        recs.len() == 1 && recs[0].ends_with(&format!("-{OLD}")),
        "{recs:?}"
    );
    detach_leaves_nothing(&env);
}

/// `--program` loads part of the object, so a recorded program it lacks may only have been
/// left out: it stays attached, and the warning names it.
#[test]
fn a_partial_load_leaves_old_programs_attached() {
    let Some(env) = TestEnv::new("set_partial") else {
        return;
    };
    let v = env.json(&["load", PAIR_O]);
    let counting = id(&v["programs"][1]["id"]);
    let dir = tempfile::tempdir().unwrap();
    // The pair with its second program renamed, of which only the first is loaded.
    let obj = renamed(
        PAIR_O,
        "bpf_count_established",
        "bpf_count_establishe2",
        dir.path(),
    );
    let r = env.json(&["load", &obj.display().to_string(), "--program", OLD]);
    let new = id(&r["programs"][0]["id"]);
    let mut want = vec![new, counting];
    want.sort_unstable();
    assert_eq!(
        sockops_attached(&env),
        want,
        "the unselected program was touched"
    );
    assert_eq!(r["removed"], serde_json::json!([]), "{r}");
    let warned = r["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .is_some_and(|s| s.contains(&format!("--prog-id {counting}")))
    });
    assert!(warned, "{r}");
    detach_leaves_nothing(&env);
}

#[test]
fn keep_old_programs_attaches_beside_them() {
    let Some(env) = TestEnv::new("set_keep") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &[]);
    let dir = tempfile::tempdir().unwrap();
    let obj = renamed_sockops(dir.path());
    let v = env.json(&["load", &obj.display().to_string(), "--keep-old-programs"]);
    let second = id(&v["programs"][0]["id"]);
    let mut want = vec![first.prog_id, second];
    want.sort_unstable();
    assert_eq!(sockops_attached(&env), want, "both run");
    assert!(v["programs"][0]["attach"]["replaced_id"].is_null(), "{v}");
    assert_eq!(v["removed"], serde_json::json!([]));
    let warned = v["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .is_some_and(|s| s.contains(OLD) && s.contains(&format!("--prog-id {}", first.prog_id)))
    });
    assert!(warned, "{v}");
    assert_eq!(records(&env).len(), 2);
    detach_leaves_nothing(&env);
}

#[test]
fn an_ambiguous_rename_is_refused_and_changes_nothing() {
    let Some(env) = TestEnv::new("set_ambiguous") else {
        return;
    };
    env.json(&["load", PAIR_O]);
    let before = Snapshot::take(&env);
    assert_eq!(before.attached.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let obj = renamed_sockops(dir.path());
    let out = run_env(&env, &["--json", "load", &obj.display().to_string()], &[2]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains(OLD) && err.contains("bpf_count_established") && err.contains(NEW),
        "{err}"
    );
    assert!(
        err.contains("--keep-old-programs") && !err.contains('\n'),
        "{err}"
    );
    assert_eq!(
        Snapshot::take(&env),
        before,
        "the refused load changed something"
    );

    // The option it names does what it says.
    env.json(&["load", &obj.display().to_string(), "--keep-old-programs"]);
    assert_eq!(sockops_attached(&env).len(), 3);
    detach_leaves_nothing(&env);
}

/// The programs attached to socket map `map_id` for `sk_msg`: from the kernel where it can
/// say (5.19+), else from the record `name` (and then the test shows only the records).
fn skmsg_attached(env: &TestEnv, map_id: u32, name: &str) -> Vec<u32> {
    if !features::sockmap_prog_query() {
        let record = env.pins.join(&format!(
            "attached-progs/map{map_id}-{ATTACH_SK_MSG}-{name}"
        ));
        return kernel::pinned_prog_id(&record).into_iter().collect();
    }
    let fd = rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Map, map_id).unwrap();
    rawbpf_syscalls::prog_query(fd.as_fd(), ATTACH_SK_MSG)
        .unwrap_or_else(|e| panic!("prog_query on map {map_id}: {e}"))
        .prog_ids
        .iter()
        .map(|p| p.0)
        .collect()
}

#[test]
fn a_renamed_sk_msg_program_leaves_no_old_record() {
    let Some(env) = TestEnv::new("set_skmsg") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let v = env.json(&["load", SKMSG_O]);
    let old = id(&v["programs"][0]["id"]);
    assert_eq!(skmsg_attached(&env, map_id, "bpf_redir"), vec![old]);

    let dir = tempfile::tempdir().unwrap();
    let obj = renamed(SKMSG_O, "bpf_redir", "bpf_redi2", dir.path());
    let v = env.json(&["load", &obj.display().to_string()]);
    let new = id(&v["programs"][0]["id"]);
    assert_eq!(skmsg_attached(&env, map_id, "bpf_redi2"), vec![new], "{v}");
    // Before 5.19 the kernel cannot say which program it replaced: the old name's record does.
    assert_eq!(v["programs"][0]["attach"]["replaced_id"], old, "{v}");
    assert_eq!(
        v["programs"][0]["attach"]["replaced_name"], "bpf_redir",
        "{v}"
    );
    assert_eq!(env.pinned_map_id(), map_id);
    let map_records: Vec<String> = records(&env)
        .into_iter()
        .filter(|r| r.starts_with("map"))
        .collect();
    assert_eq!(
        map_records,
        vec![format!("map{map_id}-{ATTACH_SK_MSG}-bpf_redi2")],
        "only the new name's record"
    );
    run_env(&env, &["detach", &obj.display().to_string()], &[0]);
    if features::sockmap_prog_query() {
        assert_eq!(skmsg_attached(&env, map_id, "bpf_redi2"), Vec::<u32>::new());
    }
    detach_leaves_nothing(&env);
}
