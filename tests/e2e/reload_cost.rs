//! Reloads cost nothing they need not (`docs/performance.md`, "Reloads"):
//!
//! * a reload of an unchanged object (same instructions, maps and data as the attached
//!   program) creates nothing: no BTF, map or program, no attach, no pin — and reports
//!   `unchanged`; `--force` loads anyway;
//! * a reload of a changed object creates the program and only the maps it cannot reuse
//!   (the pinned map, and the frozen `.rodata` map when its bytes are the same);
//! * a reload never leaves the cgroup without the program, not even for an instant: a
//!   thread queries the cgroup in a tight loop during 20 reloads.
//!
//! What a load creates is counted from its bpf(2) calls (`strace -f -e trace=bpf`): kernel
//! IDs are global, so counting them would race with the other tests. The state after each
//! step is read from the kernel.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::harness::cli::{RAWBPF, describe};
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{SOCKOPS_O, TestEnv};

/// Commands that create a kernel object (and so consume an ID) or change what is attached
/// or pinned.
const CHANGING: &[&str] = &[
    "BPF_BTF_LOAD",
    "BPF_MAP_CREATE",
    "BPF_PROG_LOAD",
    "BPF_PROG_ATTACH",
    "BPF_PROG_DETACH",
    "BPF_LINK_CREATE",
    "BPF_LINK_UPDATE",
    "BPF_LINK_DETACH",
    "BPF_OBJ_PIN",
    "BPF_MAP_UPDATE_ELEM",
    "BPF_MAP_FREEZE",
];

/// `bpf_sockops.o` with one change, written to `dir/bpf_sockops.o` (the same file name,
/// so the internal map names are the same): `code` replaces the instructions (`r0 = 0;
/// exit` becomes `r0 = 1; exit`), `data` one byte of the `.rodata` format string.
pub(crate) fn variant(dir: &Path, code: bool, data: bool) -> String {
    let mut bytes = std::fs::read(SOCKOPS_O).unwrap();
    let find = |bytes: &[u8], pat: &[u8]| {
        let hits: Vec<usize> = bytes
            .windows(pat.len())
            .enumerate()
            .filter(|(_, w)| *w == pat)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 1, "expected one {pat:?} in {SOCKOPS_O}");
        hits[0]
    };
    if code {
        let at = find(
            &bytes,
            &[0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0],
        );
        bytes[at + 4] = 1;
    }
    if data {
        let at = find(&bytes, b"sockops: op %d %x:%d\0");
        bytes[at] = b'S';
    }
    let path = dir.join("bpf_sockops.o");
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Runs `rawbpf --json <args> --cgroup … --pin-root …` under strace; returns its JSON and
/// how often it issued each bpf command.
fn traced(env: &TestEnv, args: &[&str]) -> (Value, BTreeMap<String, usize>) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut full = vec!["--json".to_string()];
    full.extend(env.args(args));
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=bpf", "-o"])
        .arg(log.path())
        .arg(RAWBPF)
        .args(&full)
        .output()
        .unwrap_or_else(|e| {
            panic!("run strace (needed to count bpf(2) calls; apt-get install strace): {e}")
        });
    assert_eq!(out.status.code(), Some(0), "{}", describe(&full, &out));
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(&full, &out)));
    let mut calls = BTreeMap::new();
    for line in std::fs::read_to_string(log.path()).unwrap().lines() {
        // A call refused with EPERM on a kernel that charges memlock (before 5.11) created
        // nothing; rawbpf raises the limit and makes it again.
        if line.contains("= -1 EPERM") {
            continue;
        }
        if let Some(rest) = line.split("bpf(").nth(1) {
            let cmd: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            *calls.entry(cmd).or_insert(0) += 1;
        }
    }
    (v, calls)
}

fn count(calls: &BTreeMap<String, usize>, cmd: &str) -> usize {
    calls.get(cmd).copied().unwrap_or(0)
}

/// The program's id, status and `replaced_id` from a `load` document.
fn program(v: &Value) -> (u32, String, Option<u32>) {
    let p = &v["programs"][0];
    (
        id(&p["id"]),
        p["status"].as_str().unwrap_or_default().to_string(),
        p["attach"]["replaced_id"].as_u64().map(|i| i as u32),
    )
}

fn map_ids(prog: u32) -> BTreeSet<u32> {
    kernel::prog_map_ids(prog).into_iter().collect()
}

#[test]
fn unchanged_reload_creates_nothing_and_force_reloads() {
    let Some(env) = TestEnv::new("reload_unchanged") else {
        return;
    };
    let first = env.json(&["load", SOCKOPS_O]);
    let (prog, status, _) = program(&first);
    assert_eq!(status, "loaded", "{first}");
    let maps = map_ids(prog);
    let sockhash = env.pinned_map_id();
    assert_eq!(maps.len(), 2, "sockhash and .rodata: {maps:?}");

    for round in 0..3 {
        let (v, calls) = traced(&env, &["load", SOCKOPS_O]);
        assert_eq!(
            program(&v),
            (prog, "unchanged".into(), None),
            "round {round}: {v}"
        );
        // An unchanged load still queries the kernel: an empty trace would make the zero
        // counts below meaningless.
        assert!(
            count(&calls, "BPF_PROG_QUERY") + count(&calls, "BPF_OBJ_GET") > 0,
            "round {round}: strace saw no bpf(2) calls: {calls:?}"
        );
        for cmd in CHANGING {
            assert_eq!(count(&calls, cmd), 0, "round {round}: {cmd} in {calls:?}");
        }
        assert_eq!(kernel::the_sockops_prog(env.cgroup_path()), prog);
        assert_eq!(map_ids(prog), maps, "round {round}");
        assert_eq!(env.pinned_map_id(), sockhash);
    }
    let out = env.run_expect(&["load", SOCKOPS_O], &[0]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("unchanged, nothing to do"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // --force: a new program, nothing else new (the .rodata map has the same bytes).
    let (v, calls) = traced(&env, &["load", SOCKOPS_O, "--force"]);
    let (forced, status, replaced) = program(&v);
    assert_eq!((status.as_str(), replaced), ("loaded", Some(prog)), "{v}");
    assert_ne!(forced, prog);
    assert_eq!(count(&calls, "BPF_PROG_LOAD"), 1, "{calls:?}");
    assert_eq!(count(&calls, "BPF_MAP_CREATE"), 0, "{calls:?}");
    assert_eq!(kernel::the_sockops_prog(env.cgroup_path()), forced);
    assert_eq!(map_ids(forced), maps, "the forced reload's maps");
}

/// The expected bpf(2) commands of one run, as [`traced`] counts them.
fn expect(calls: &[(&str, usize)]) -> BTreeMap<String, usize> {
    calls.iter().map(|&(c, n)| (c.to_string(), n)).collect()
}

/// One bpf(2) call per thing that must exist, and no call twice (`docs/performance.md`,
/// "bpf(2) calls"): the first load, a load that reuses the pinned map, an unchanged reload
/// and a forced one, command by command.
#[test]
fn loads_make_one_bpf_call_per_thing() {
    let Some(env) = TestEnv::new("reload_calls") else {
        return;
    };
    // First load: the BTF, the pin lookup (ENOENT), two maps (an info each, for the IDs),
    // the .rodata bytes and freeze, the program and its info, the attach (a link), four
    // pins (the sockhash, the attach record, the link beside it, the .rodata map beside it).
    let (v, calls) = traced(&env, &["load", SOCKOPS_O]);
    assert_eq!(program(&v).1, "loaded", "{v}");
    let first = expect(&[
        ("BPF_BTF_LOAD", 1),
        ("BPF_LINK_CREATE", 1),
        ("BPF_MAP_CREATE", 2),
        ("BPF_MAP_FREEZE", 1),
        ("BPF_MAP_UPDATE_ELEM", 1),
        ("BPF_OBJ_GET", 1),
        ("BPF_OBJ_GET_INFO_BY_FD", 3),
        ("BPF_OBJ_PIN", 4),
        ("BPF_PROG_LOAD", 1),
    ]);
    assert_eq!(calls, first, "first load");
    assert_eq!(calls.values().sum::<usize>(), 15);

    // Unchanged: the record, the program with its instructions, the query, the link pin
    // and its info (it must run the recorded program), the pin and its info, the .rodata
    // map through its pin beside the record, its info and its bytes. Nothing created.
    let (v, calls) = traced(&env, &["load", SOCKOPS_O]);
    assert_eq!(program(&v).1, "unchanged", "{v}");
    let unchanged = expect(&[
        ("BPF_MAP_LOOKUP_ELEM", 1),
        ("BPF_OBJ_GET", 4),
        ("BPF_OBJ_GET_INFO_BY_FD", 4),
        ("BPF_PROG_QUERY", 1),
    ]);
    assert_eq!(calls, unchanged, "unchanged reload");

    // Forced: what the check opened is used, not opened again (the reused .rodata map is
    // pinned beside the record already).
    let (v, calls) = traced(&env, &["load", SOCKOPS_O, "--force"]);
    assert_eq!(program(&v).1, "loaded", "{v}");
    let forced = expect(&[
        ("BPF_BTF_LOAD", 1),
        ("BPF_LINK_UPDATE", 1),
        ("BPF_MAP_LOOKUP_ELEM", 1),
        ("BPF_OBJ_GET", 4),
        ("BPF_OBJ_GET_INFO_BY_FD", 5),
        ("BPF_OBJ_PIN", 1),
        ("BPF_PROG_LOAD", 1),
        ("BPF_PROG_QUERY", 1),
    ]);
    assert_eq!(calls, forced, "forced reload");

    // Detached, the map still pinned: the pin is opened and reused, the rest created.
    env.run_expect(&["detach"], &[0]);
    let (v, calls) = traced(&env, &["load", SOCKOPS_O]);
    assert_eq!(v["maps"][0]["status"], "reused", "{v}");
    let reused = expect(&[
        ("BPF_BTF_LOAD", 1),
        ("BPF_LINK_CREATE", 1),
        ("BPF_MAP_CREATE", 1),
        ("BPF_MAP_FREEZE", 1),
        ("BPF_MAP_UPDATE_ELEM", 1),
        ("BPF_OBJ_GET", 1),
        ("BPF_OBJ_GET_INFO_BY_FD", 3),
        ("BPF_OBJ_PIN", 3),
        ("BPF_PROG_LOAD", 1),
    ]);
    assert_eq!(calls, reused, "load reusing the pinned map");
}

#[test]
fn changed_reload_creates_only_what_it_cannot_reuse() {
    let Some(env) = TestEnv::new("reload_changed") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let code_dir = dir.path().join("code");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&code_dir).unwrap();
    std::fs::create_dir_all(&data_dir).unwrap();
    let code = variant(&code_dir, true, false);
    let data = variant(&data_dir, false, true);

    let (prog, ..) = program(&env.json(&["load", SOCKOPS_O]));
    let maps = map_ids(prog);
    let sockhash = env.pinned_map_id();

    // Other instructions, same maps and data: one program, no map.
    let (v, calls) = traced(&env, &["load", &code]);
    let (p2, status, replaced) = program(&v);
    assert_eq!((status.as_str(), replaced), ("loaded", Some(prog)), "{v}");
    assert_eq!(count(&calls, "BPF_PROG_LOAD"), 1, "{calls:?}");
    assert_eq!(count(&calls, "BPF_MAP_CREATE"), 0, "{calls:?}");
    assert_eq!(kernel::the_sockops_prog(env.cgroup_path()), p2);
    assert_eq!(map_ids(p2), maps, "same sockhash, same .rodata map");

    // The same again: unchanged.
    let (v, calls) = traced(&env, &["load", &code]);
    assert_eq!(program(&v), (p2, "unchanged".into(), None), "{v}");
    assert!(
        count(&calls, "BPF_PROG_QUERY") + count(&calls, "BPF_OBJ_GET") > 0,
        "strace saw no bpf(2) calls: {calls:?}"
    );
    assert_eq!(count(&calls, "BPF_PROG_LOAD"), 0, "{calls:?}");

    // Same instructions (same tag), other .rodata bytes: a change; a new .rodata map only.
    let (v, calls) = traced(&env, &["load", &data]);
    let (p3, status, replaced) = program(&v);
    assert_eq!((status.as_str(), replaced), ("loaded", Some(p2)), "{v}");
    assert_eq!(count(&calls, "BPF_PROG_LOAD"), 1, "{calls:?}");
    assert_eq!(count(&calls, "BPF_MAP_CREATE"), 1, "{calls:?}");
    let now = map_ids(p3);
    assert!(now.contains(&sockhash), "{now:?}");
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(
        now.is_disjoint(&(&maps - &BTreeSet::from([sockhash]))),
        "{now:?} vs {maps:?}"
    );
    assert_eq!(env.pinned_map_id(), sockhash);
    let (v, _) = traced(&env, &["load", &data]);
    assert_eq!(program(&v).1, "unchanged", "{v}");
}

/// Reloads `objs` in turn 20 times while a thread asks the kernel which programs the
/// cgroup runs, as often as it can; asserts the answer was always exactly one program.
fn reloads_never_leave_the_cgroup_empty(env: &TestEnv, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let changed = variant(dir.path(), true, false);
    let objs = [SOCKOPS_O.to_string(), changed];
    env.load(&objs[0], extra);

    let stop = AtomicBool::new(false);
    let cgroup = File::open(env.cgroup_path()).unwrap();
    let (queries, wrong) = std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let (mut queries, mut wrong) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let q = rawbpf_syscalls::prog_query(cgroup.as_fd(), ATTACH_SOCK_OPS).unwrap();
                queries += 1;
                if q.prog_ids.len() != 1 && wrong.len() < 10 {
                    wrong.push(q.prog_ids.iter().map(|p| p.0).collect::<Vec<_>>());
                }
            }
            (queries, wrong)
        });
        for i in 0..20 {
            let r = env.load(&objs[(i + 1) % 2], extra);
            assert!(r.replaced_id.is_some(), "reload {i} replaced nothing");
        }
        stop.store(true, Ordering::Relaxed);
        poller.join().unwrap()
    });
    assert!(queries > 0);
    assert!(
        wrong.is_empty(),
        "in {queries} queries during 20 reloads the cgroup ran {wrong:?} instead of one program"
    );
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).len(),
        1
    );
}

#[test]
fn reload_in_multi_mode_never_leaves_the_cgroup_empty() {
    let Some(env) = TestEnv::new("reload_atomic_multi") else {
        return;
    };
    reloads_never_leave_the_cgroup_empty(&env, &[]);
}

#[test]
fn reload_in_single_mode_never_leaves_the_cgroup_empty() {
    let Some(env) = TestEnv::new("reload_atomic_single") else {
        return;
    };
    reloads_never_leave_the_cgroup_empty(&env, &["--attach-mode", "single"]);
}
