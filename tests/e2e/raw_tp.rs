//! Raw tracepoints through a pinned bpf_link (`load` of `raw_tp/NAME`,
//! `docs/guarantees.md`): the program is attached with `BPF_RAW_TRACEPOINT_OPEN` and the
//! link pinned beside its record under the test's pin root (removed, with the link, even on
//! failure); system calls are counted by the program; a reload opens a new link and the old
//! one goes (no `BPF_LINK_UPDATE` for raw tracepoint links); `detach` leaves no link or
//! record, and the counter stops. Raw tracepoint links exist since 5.8: every supported
//! kernel has them.

use std::ffi::CString;
use std::os::fd::AsFd;
use std::path::PathBuf;

use rawbpf_syscalls::{self as sys, LinkTarget};

use crate::compat_common::object;
use crate::harness::{TestEnv, cli, kernel};
use crate::reliability_common::{link_pin_names, record_names};

fn counter(env: &TestEnv) -> u64 {
    let id = kernel::pinned_map_id(&env.pins.join("rawtp_hits")).expect("counter map pinned");
    let entries = kernel::map_entries(id);
    let v = &entries.first().expect("slot 0").1;
    u64::from_ne_bytes(v[..8].try_into().expect("8-byte value"))
}

fn run_ok(args: &[String]) -> std::process::Output {
    let out = cli::rawbpf(args);
    cli::assert_exit(args, &out, &[0]);
    out
}

/// Makes a few hundred system calls.
fn syscalls() {
    for _ in 0..200 {
        let _ = std::fs::metadata("/");
    }
}

/// The one record and its one link pin under the test's pin root: (record, link info).
fn the_link(env: &TestEnv) -> (PathBuf, sys::LinkInfo) {
    let dir = env.pins.join("attached-progs");
    let records = record_names(&dir);
    assert_eq!(records, vec!["rawtp-sys_enter-rawtp_count".to_string()]);
    let links = link_pin_names(&dir);
    assert_eq!(links, vec![format!("{}%link", records[0])]);
    let c = CString::new(dir.join(&links[0]).display().to_string()).unwrap();
    let link = sys::obj_get(&c).expect("open link pin");
    (
        dir.join(&records[0]),
        sys::link_info(link.as_fd()).expect("link info"),
    )
}

/// Whether the kernel lists link `id` (`BPF_LINK_GET_NEXT_ID`).
fn link_listed(id: u32) -> bool {
    sys::ids(sys::IdKind::Link).any(|i| i.ok() == Some(id))
}

#[test]
fn raw_tp_attaches_through_a_pinned_link_reloads_and_detaches() {
    let Some(env) = TestEnv::new("rawtp_link") else {
        return;
    };
    let obj = object("rawtp_count.o");
    let load = env.args(&["--json", "load", &obj]);
    let out = run_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    let first = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    assert_eq!(
        r["programs"][0]["attach"]["target"],
        "raw tracepoint sys_enter"
    );

    let (record, info) = the_link(&env);
    assert_eq!(info.target, LinkTarget::RawTracepoint);
    assert_eq!(info.prog_id.0, first);
    assert!(link_listed(info.id.0));
    assert_eq!(kernel::pinned_prog_id(&record), Some(first));
    let before = counter(&env);
    syscalls();
    assert!(
        counter(&env) >= before + 200,
        "counter {before} -> {}",
        counter(&env)
    );

    // A reload: a new link runs the new program, the old link is gone.
    let out = run_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    let second = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    assert_ne!(second, first);
    let (record, after) = the_link(&env);
    assert_ne!(after.id, info.id, "a new link");
    assert_eq!(after.prog_id.0, second);
    assert_eq!(kernel::pinned_prog_id(&record), Some(second));
    assert!(
        kernel::poll(|| (!link_listed(info.id.0)).then_some(())).is_some(),
        "old link {} gone",
        info.id.0
    );
    let count = counter(&env);
    syscalls();
    assert!(counter(&env) >= count + 200);

    // Detach: no link, no record, and the counter stops.
    run_ok(&env.args(&["detach"]));
    let dir = env.pins.join("attached-progs");
    assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
    assert!(
        kernel::poll(|| (!link_listed(after.id.0)).then_some(())).is_some(),
        "link gone"
    );
    let stopped = counter(&env);
    syscalls();
    assert_eq!(counter(&env), stopped);
}

#[test]
fn no_attach_loads_a_raw_tp_program_without_a_link() {
    let Some(env) = TestEnv::new("rawtp_noatt") else {
        return;
    };
    let obj = object("rawtp_count.o");
    let args = env.args(&["load", &obj, "--no-attach"]);
    run_ok(&args);
    let dir = env.pins.join("attached-progs");
    assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
}
