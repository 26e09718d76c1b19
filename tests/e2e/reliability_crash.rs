//! Guarantee 4 (`docs/guarantees.md`): crashes. `rawbpf load` is SIGKILLed at seeded random
//! steps (every step of `rawbpf::test_hook::Step::ALL` at least once), from a fresh or an
//! already loaded state, through the test hook `RAWBPF_TEST_PAUSE_AT`. After each kill: at
//! most one program is attached and it is pinned by an attach record; a map pin, if any,
//! names a complete, compatible map. The next plain `rawbpf load` then succeeds and leaves
//! exactly one program attached, the map pin (reused when it was there), one final record
//! and no temporary files. The same holds for a reload that renames the program (it
//! replaces the old one in place) and for one whose object dropped a program (it is
//! detached): killed at every step, the next load leaves only the object's programs and
//! only their records.

use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rawbpf::test_hook::{PAUSE_ENV, PAUSED_MARKER, Step};

use crate::harness::cli::assert_no_panic;
use crate::harness::kernel::{self, ATTACH_SOCK_OPS, MAP_TYPE_SOCKHASH};
use crate::harness::{LoadReport, MAP_NAME, SOCKOPS_O, TestEnv, cli};
use crate::reliability_common::{command, link_pin_names, names_in, record_names, run_env};
use crate::seeded::{Rng, seed};

/// At least 50 kills, a multiple of the number of steps.
const RUNS: usize = 56;

/// Runs `rawbpf load --force` (so that every step is reached even when the object is
/// already attached) paused at `step` and SIGKILLs it there. Returns the stderr it wrote.
fn kill_at(env: &TestEnv, step: Step) -> String {
    kill_loading(env, SOCKOPS_O, step)
}

/// [`kill_at`] for the object `obj`.
fn kill_loading(env: &TestEnv, obj: &str, step: Step) -> String {
    let args = env.args(&["load", obj, "--force"]);
    let mut child = command()
        .args(&args)
        .env(PAUSE_ENV, step.name())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn rawbpf: {e}"));
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).unwrap_or(0);
        if n == 0 {
            let status = child.wait().unwrap();
            panic!("rawbpf exited ({status}) before pausing at {step:?}; stderr:\n{seen}");
        }
        seen.push_str(&line);
        if line.trim_end() == format!("{PAUSED_MARKER} {}", step.name()) {
            break;
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "paused at {step:?}"
    );
    seen
}

/// Every program attached to the test cgroup is pinned by a record (final or pending), and
/// there is at most one.
fn assert_attached_are_recorded(env: &TestEnv, ctx: &str) {
    let attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    assert!(attached.len() <= 1, "{ctx}: attached {attached:?}");
    assert_each_recorded(env, ctx);
}

/// Every program attached to the test cgroup is pinned by a record (final or pending).
fn assert_each_recorded(env: &TestEnv, ctx: &str) {
    let attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    let dir = env.pins.join("attached-progs");
    let recorded: Vec<u32> = record_names(&dir)
        .iter()
        .filter_map(|n| {
            let c = std::ffi::CString::new(dir.join(n).display().to_string()).ok()?;
            let fd = rawbpf_syscalls::obj_get(&c).ok()?;
            rawbpf_syscalls::prog_info(fd.as_fd()).ok().map(|i| i.id.0)
        })
        .collect();
    for id in &attached {
        assert!(
            recorded.contains(id),
            "{ctx}: program {id} is attached but no record pins it (records {:?})",
            record_names(&dir)
        );
    }
}

/// A map pin, if present, names a complete sockhash of the object's definition.
fn assert_pin_complete(env: &TestEnv, ctx: &str) -> Option<u32> {
    let id = kernel::pinned_map_id(&env.pins.join(MAP_NAME))?;
    let info = kernel::map_info(id).unwrap_or_else(|| panic!("{ctx}: pinned map {id} gone"));
    assert_eq!(
        (
            info.map_type,
            info.key_size,
            info.value_size,
            info.max_entries
        ),
        (MAP_TYPE_SOCKHASH, 16, 8, 65535),
        "{ctx}: the pin names an incompatible map"
    );
    Some(id)
}

#[test]
fn sigkill_at_every_step_then_plain_load_recovers() {
    let Some(env) = TestEnv::new("rel_crash") else {
        return;
    };
    let mut rng = Rng::new(seed(0x5eed_cafe));
    let mut hits = vec![0usize; Step::ALL.len()];
    for run in 0..RUNS {
        // Every step once in the first round, then random ones.
        let s = if run < Step::ALL.len() {
            run
        } else {
            rng.below(Step::ALL.len())
        };
        let step = Step::ALL[s];
        if rng.below(3) == 0 {
            run_env(&env, &["detach", "--unpin"], &[0, 3]);
        }
        let ctx = format!("run {run}, killed at {step:?}");
        kill_at(&env, step);
        hits[s] += 1;

        assert_attached_are_recorded(&env, &ctx);
        let pinned = assert_pin_complete(&env, &ctx);

        let args = {
            let mut a = vec!["--json".to_string()];
            a.extend(env.args(&["load", SOCKOPS_O]));
            a
        };
        let out = cli::rawbpf(&args);
        assert_no_panic(&args, &out);
        let r = LoadReport::from_json(&cli::parse_json(&args, &out));
        if let Some(id) = pinned {
            assert_eq!(r.map_id, id, "{ctx}: the surviving pin was not reused");
        }
        assert_eq!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            vec![r.prog_id],
            "{ctx}: after the recovery load"
        );
        assert_eq!(env.pinned_map_id(), r.map_id, "{ctx}");
        assert!(kernel::prog_map_ids(r.prog_id).contains(&r.map_id), "{ctx}");
        assert_eq!(
            names_in(env.pins.path()),
            vec![
                "attached-progs".to_string(),
                "pinned-maps".to_string(),
                MAP_NAME.to_string()
            ],
            "{ctx}: stray files in the pin root"
        );
        // The pinned map is marked as rawbpf's (what lets `detach --unpin` remove it): the
        // mark comes before the pin, so no kill leaves the pin unmarked (a kill between the
        // two leaves a mark of a map never pinned, which `--unpin` tidies).
        let marks = names_in(&env.pins.join("pinned-maps"));
        assert!(
            marks.contains(&format!("{MAP_NAME}-{}", r.map_id))
                && marks.iter().all(|m| m.starts_with(&format!("{MAP_NAME}-"))),
            "{ctx}: marks {marks:?}"
        );
        let records = record_names(&env.pins.join("attached-progs"));
        assert!(
            records.len() == 1 && !records[0].starts_with("pending-"),
            "{ctx}: records {records:?}"
        );
        // The attachment is a link, pinned beside the record, running the new program.
        let dir = env.pins.join("attached-progs");
        let links = link_pin_names(&dir);
        assert_eq!(
            links,
            vec![format!("{}%link", records[0])],
            "{ctx}: link pins"
        );
        let c = std::ffi::CString::new(dir.join(&links[0]).display().to_string()).unwrap();
        let link = rawbpf_syscalls::obj_get(&c).unwrap();
        let info = rawbpf_syscalls::link_info(link.as_fd()).unwrap();
        assert_eq!(
            info.prog_id.0, r.prog_id,
            "{ctx}: the link runs the loaded program"
        );
        assert_attached_are_recorded(&env, &ctx);
    }
    assert!(hits.iter().all(|&h| h > 0), "steps hit: {hits:?}");
    println!(
        "kills per step: {:?}",
        Step::ALL.iter().zip(&hits).collect::<Vec<_>>()
    );
}

/// A reload of the object with its program renamed, SIGKILLed at every step: each program
/// attached is recorded at every step, and the next load of the renamed object leaves
/// exactly the new program attached, the same map, and one final record, of the new name.
#[test]
fn sigkill_during_a_rename_then_reload_recovers() {
    let Some(env) = TestEnv::new("rel_crash_rename") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let renamed = crate::reload_program_set::renamed_sockops(dir.path());
    let renamed = renamed.display().to_string();
    for step in Step::ALL {
        let ctx = format!("rename killed at {step:?}");
        run_env(&env, &["detach"], &[0, 3]);
        let first = env.load(SOCKOPS_O, &[]);
        kill_loading(&env, &renamed, step);
        assert_attached_are_recorded(&env, &ctx);

        let r = env.load(&renamed, &[]);
        assert_eq!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            vec![r.prog_id],
            "{ctx}: after the recovery load"
        );
        assert_ne!(
            r.prog_id, first.prog_id,
            "{ctx}: the old program still runs"
        );
        assert_eq!(r.map_id, first.map_id, "{ctx}: the map was not reused");
        let records = record_names(&env.pins.join("attached-progs"));
        assert!(
            records.len() == 1 && records[0].ends_with("-bpf_add_to_sockhas2"),
            "{ctx}: records {records:?}"
        );
        assert_attached_are_recorded(&env, &ctx);
    }
}

/// A reload of `bpf_sockops.o` over `sockops_pair.o` (the source dropped a program),
/// SIGKILLed at every step: each attached program stays recorded, and the next load leaves
/// exactly the remaining program attached and one final record.
#[test]
fn sigkill_during_a_removal_then_reload_recovers() {
    let Some(env) = TestEnv::new("rel_crash_removal") else {
        return;
    };
    let pair = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/objects/sockops_pair.o"
    );
    for step in Step::ALL {
        let ctx = format!("removal killed at {step:?}");
        run_env(&env, &["detach"], &[0, 3]);
        env.json(&["load", pair]);
        kill_loading(&env, SOCKOPS_O, step);
        assert_each_recorded(&env, &ctx);

        let r = env.load(SOCKOPS_O, &[]);
        assert_eq!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            vec![r.prog_id],
            "{ctx}: after the recovery load"
        );
        let records = record_names(&env.pins.join("attached-progs"));
        assert!(
            records.len() == 1 && records[0].ends_with("-bpf_add_to_sockhash"),
            "{ctx}: records {records:?}"
        );
    }
}

/// A load moving a record of an earlier rawbpf (program attached with `BPF_PROG_ATTACH`,
/// no link pin) to a link, SIGKILLed between pinning the new link and detaching the old
/// program: both run then, each pinned by a record. The next load keeps the old program,
/// detaches the crashed run's link, and moves the record to a link again: one program,
/// run by one pinned link.
#[test]
fn sigkill_while_moving_an_old_record_to_a_link_recovers() {
    let Some(env) = TestEnv::new("crash_migrate") else {
        return;
    };
    let old = env.load(SOCKOPS_O, &[]);
    let dir = env.pins.join("attached-progs");
    let records = record_names(&dir);
    let record = dir.join(&records[0]);
    // What an earlier rawbpf left: the program attached with BPF_PROG_ATTACH, no link pin.
    let cg = std::fs::File::open(env.cgroup_path()).unwrap();
    let c = std::ffi::CString::new(record.display().to_string()).unwrap();
    let prog = rawbpf_syscalls::obj_get(&c).unwrap();
    rawbpf_syscalls::prog_attach(
        cg.as_fd(),
        prog.as_fd(),
        ATTACH_SOCK_OPS,
        rawbpf_syscalls::AttachFlags::ALLOW_MULTI,
        None,
    )
    .unwrap();
    for l in link_pin_names(&dir) {
        std::fs::remove_file(dir.join(l)).unwrap();
    }
    let attached = || kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    kernel::poll(|| (attached() == vec![old.prog_id]).then_some(()))
        .unwrap_or_else(|| panic!("old-style attachment: {:?}", attached()));

    kill_at(&env, Step::LinkPinned);
    assert_eq!(
        attached().len(),
        2,
        "old and new both run: {:?}",
        attached()
    );
    // Each of the two is pinned by a record: the old by the final one, the new by the
    // pending one (and run by the pinned link).
    let pinned: Vec<u32> = record_names(&dir)
        .iter()
        .filter_map(|n| kernel::pinned_prog_id(&dir.join(n)))
        .collect();
    for id in attached() {
        assert!(
            pinned.contains(&id),
            "{id} attached, records pin {pinned:?}"
        );
    }
    assert_eq!(link_pin_names(&dir).len(), 1, "the new link is pinned");

    let r = env.load(SOCKOPS_O, &[]);
    assert_ne!(r.prog_id, old.prog_id);
    assert_eq!(attached(), vec![r.prog_id], "one program after recovery");
    assert_eq!(record_names(&dir), records, "one final record");
    let links = link_pin_names(&dir);
    assert_eq!(links, vec![format!("{}%link", records[0])]);
    let c = std::ffi::CString::new(dir.join(&links[0]).display().to_string()).unwrap();
    let link = rawbpf_syscalls::obj_get(&c).unwrap();
    assert_eq!(
        rawbpf_syscalls::link_info(link.as_fd()).unwrap().prog_id.0,
        r.prog_id
    );
}
