//! Guarantee 3 (`docs/guarantees.md`): races. Eight `rawbpf load` processes started together
//! on one pin root and one cgroup end with one map per pinned name (every process reports
//! the same id), one program attached, no stray pins or temporary files, and every process
//! exits 0. Loads racing with detaches never leave more than one program attached, nor an
//! attached program without its record.

use std::collections::BTreeSet;
use std::process::{Child, Output, Stdio};

use crate::harness::cli::assert_no_panic;
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};
use crate::reliability_common::{command, names_in, record_names};

const RACERS: usize = 8;

fn spawn(env: &TestEnv, args: &[&str]) -> (Vec<String>, Child) {
    let mut full = vec!["--json".to_string()];
    full.extend(env.args(args));
    let child = command()
        .args(&full)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn rawbpf: {e}"));
    (full, child)
}

/// Starts every command at once, then waits for all of them.
fn race(env: &TestEnv, commands: &[&[&str]]) -> Vec<(Vec<String>, Output)> {
    let children: Vec<(Vec<String>, Child)> = commands.iter().map(|c| spawn(env, c)).collect();
    children
        .into_iter()
        .map(|(args, child)| {
            let out = child.wait_with_output().unwrap();
            assert_no_panic(&args, &out);
            (args, out)
        })
        .collect()
}

/// The pin root holds exactly the map pin and one final attach record.
fn assert_clean_pin_root(env: &TestEnv, round: usize) {
    assert_eq!(
        names_in(env.pins.path()),
        vec![
            "attached-progs".to_string(),
            "pinned-maps".to_string(),
            MAP_NAME.to_string()
        ],
        "round {round}: stray files in the pin root"
    );
    // Exactly one mark, of the one pinned map.
    assert_eq!(
        names_in(&env.pins.join("pinned-maps")),
        vec![format!("{MAP_NAME}-{}", env.pinned_map_id())],
        "round {round}: marks"
    );
    let records = record_names(&env.pins.join("attached-progs"));
    assert_eq!(
        records.len(),
        1,
        "round {round}: expected one final record, found {records:?}"
    );
    assert!(
        !records[0].starts_with("pending-") && !records[0].starts_with("tmp-"),
        "round {round}: a temporary record is left: {records:?}"
    );
}

#[test]
fn eight_concurrent_loads_share_one_map_and_one_attachment() {
    let Some(env) = TestEnv::new("rel_race") else {
        return;
    };
    // Round 0: plain loads into an empty pin root (one creates and attaches; the others
    // find it attached and unchanged). Rounds 1 and 2: `--force`, so that every process
    // really attaches and replaces the program of the one before it.
    let plain: &[&str] = &["load", SOCKOPS_O];
    let forced: &[&str] = &["load", SOCKOPS_O, "--force"];
    let mut map_id = None;
    for round in 0..3 {
        let cmd = if round == 0 { plain } else { forced };
        let outs = race(&env, &[cmd; RACERS]);
        let mut maps = BTreeSet::new();
        let mut progs = Vec::new();
        let mut replaced = Vec::new();
        for (args, out) in &outs {
            let v = crate::harness::cli::parse_json(args, out);
            let r = crate::harness::LoadReport::from_json(&v);
            maps.insert(r.map_id);
            progs.push(r.prog_id);
            replaced.push(r.replaced_id);
        }
        assert_eq!(
            maps.len(),
            1,
            "round {round}: processes reported maps {maps:?}"
        );
        let id = *maps.iter().next().unwrap();
        assert_eq!(
            env.pinned_map_id(),
            id,
            "round {round}: the pin vs the reports"
        );
        if let Some(prev) = map_id {
            assert_eq!(id, prev, "round {round}: the pinned map changed");
        }
        map_id = Some(id);

        let attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
        assert_eq!(attached.len(), 1, "round {round}: attached {attached:?}");
        assert!(
            kernel::prog_map_ids(attached[0]).contains(&id),
            "round {round}"
        );
        if round == 0 {
            assert!(
                progs.iter().all(|&p| p == attached[0]),
                "round {round}: every process reports the one attached program: {progs:?}"
            );
        } else {
            // The loads ran one after another: each replaced the one before it, so every
            // program but the survivor was replaced exactly once.
            let distinct: BTreeSet<u32> = progs.iter().copied().collect();
            assert_eq!(distinct.len(), RACERS, "round {round}: {progs:?}");
            assert!(distinct.contains(&attached[0]), "round {round}");
            let replaced: Vec<u32> = replaced
                .iter()
                .map(|r| r.unwrap_or_else(|| panic!("round {round}: a load replaced nothing")))
                .collect();
            let replaced_set: BTreeSet<u32> = replaced.iter().copied().collect();
            assert_eq!(replaced_set.len(), RACERS, "round {round}: {replaced:?}");
            for p in &distinct {
                assert_eq!(
                    replaced_set.contains(p),
                    *p != attached[0],
                    "round {round}: program {p} (replaced {replaced:?})"
                );
            }
        }
        assert_clean_pin_root(&env, round);
    }
}

#[test]
fn loads_racing_detaches_keep_at_most_one_recorded_program() {
    let Some(env) = TestEnv::new("rel_race_detach") else {
        return;
    };
    let load: &[&str] = &["load", SOCKOPS_O, "--force"];
    let detach: &[&str] = &["detach"];
    for round in 0..3 {
        let outs = race(&env, &[load, detach, load, load, detach, load, load, load]);
        for (args, out) in &outs {
            let code = out.status.code();
            let ok = if args.iter().any(|a| a == "detach") {
                code == Some(0) || code == Some(3)
            } else {
                code == Some(0)
            };
            assert!(
                ok,
                "round {round}: {}",
                crate::harness::cli::describe(args, out)
            );
        }
        let attached = kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
        assert!(attached.len() <= 1, "round {round}: attached {attached:?}");
        let records = record_names(&env.pins.join("attached-progs"));
        assert!(
            records.iter().all(|r| !r.starts_with("pending-")),
            "round {round}: pending record left: {records:?}"
        );
        match attached.first() {
            Some(&id) => {
                assert_eq!(records.len(), 1, "round {round}: {records:?}");
                let fd = rawbpf_syscalls::obj_get(
                    &std::ffi::CString::new(
                        env.pins
                            .join("attached-progs")
                            .join(&records[0])
                            .display()
                            .to_string(),
                    )
                    .unwrap(),
                )
                .unwrap();
                let info = rawbpf_syscalls::prog_info(std::os::fd::AsFd::as_fd(&fd)).unwrap();
                assert_eq!(
                    info.id.0, id,
                    "round {round}: the record names another program"
                );
            }
            None => assert!(records.is_empty(), "round {round}: {records:?}"),
        }
        // The data map pins are the one record's, or went with it.
        let data = names_in(&env.pins.join("attached-progs/data"));
        assert!(
            data.iter().all(|d| records
                .first()
                .is_some_and(|r| d.starts_with(&format!("{r}%")))),
            "round {round}: data pins {data:?}, records {records:?}"
        );
    }
}
