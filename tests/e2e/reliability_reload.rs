//! Guarantee 1 (`docs/guarantees.md`): a failed reload changes nothing. With the good program
//! attached and real sockets in the pinned sockhash, loading the verifier-rejected object
//! exits 6, prints the verifier's complaint, and leaves the same program attached, the same
//! map with the same entries, and the same files under the pin root.

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{Connections, SOCKOPS_INVALID_O, SOCKOPS_O, TestEnv};
use crate::reliability_common::{Snapshot, run_env, stderr};

const CONNS: usize = 4;

#[test]
fn failed_reload_changes_nothing() {
    let Some(env) = TestEnv::new("rel_failed_reload") else {
        return;
    };
    let good = env.load(SOCKOPS_O, &[]);
    let mut conns = Connections::open(&env.cgroup, CONNS);
    let map_id = env.pinned_map_id();
    // Both ends of every connection are in the map once established.
    kernel::poll(|| (kernel::map_entries(map_id).len() == 2 * CONNS).then_some(())).unwrap_or_else(
        || {
            panic!(
                "expected {} sockets in map {map_id}, have {:?}",
                2 * CONNS,
                kernel::map_entries(map_id)
            )
        },
    );
    let before = Snapshot::take(&env);
    assert_eq!(before.attached, vec![good.prog_id]);
    assert_eq!(before.entries.len(), 2 * CONNS);

    for json in [false, true] {
        let mut args = vec!["load", SOCKOPS_INVALID_O];
        if json {
            args.insert(0, "--json");
        }
        let out = run_env(&env, &args, &[6]);
        if json {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["exit_code"], 6);
            assert!(
                v["verifier_log"]
                    .as_str()
                    .is_some_and(|l| l.contains("variable-offset")),
                "{v}"
            );
        } else {
            let err = stderr(&out);
            assert!(
                err.contains("verifier rejected") && err.contains("variable-offset"),
                "stderr should name the rejection and show the verifier's lines:\n{err}"
            );
        }
        let after = Snapshot::take(&env);
        assert_eq!(
            after, before,
            "a failed reload changed the program, the map, its entries or the pins"
        );
    }

    // The good program still works: a new connection lands in the same map.
    conns.close();
    let again = Connections::open(&env.cgroup, 1);
    kernel::poll(|| (kernel::map_entries(map_id).len() == 2).then_some(()))
        .unwrap_or_else(|| panic!("new sockets did not reach map {map_id}"));
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![good.prog_id]
    );
    drop(again);
}
