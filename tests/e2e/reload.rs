//! Reloads keep the pinned map: one `sock_ops_map` id through detach/load and load-over-load
//! cycles, exactly one sockops program attached after each load.

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{SOCKOPS_O, TestEnv};

const CYCLES: usize = 10;

/// Asserts the kernel state after a load: one sockops program on the cgroup (the one the
/// load reported), using the pinned map `map_id`. Returns the attached program id.
fn assert_loaded(env: &TestEnv, reported_prog: u32, map_id: u32, step: &str) -> u32 {
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    assert_eq!(
        prog, reported_prog,
        "{step}: attached program vs the id `load` printed"
    );
    assert_eq!(
        env.pinned_map_id(),
        map_id,
        "{step}: id of the pinned {}",
        crate::harness::MAP_NAME
    );
    assert!(
        kernel::prog_map_ids(prog).contains(&map_id),
        "{step}: attached program {prog} uses maps {:?}, not the pinned map {map_id}",
        kernel::prog_map_ids(prog)
    );
    prog
}

#[test]
fn load_detach_load_keeps_map() {
    let Some(env) = TestEnv::new("reload_detach") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &[]);
    assert_eq!(first.map_status, "created_pinned");
    assert_eq!(first.replaced_id, None);
    let map_id = env.pinned_map_id();
    assert_eq!(first.map_id, map_id, "JSON map id vs the pin");
    assert_loaded(&env, first.prog_id, map_id, "first load");

    for cycle in 1..=CYCLES {
        env.run_expect(&["detach"], &[0]);
        assert!(
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty(),
            "cycle {cycle}: a sockops program is still attached after detach"
        );
        assert_eq!(
            env.pinned_map_id(),
            map_id,
            "cycle {cycle}: pinned map after detach"
        );

        let r = env.load(SOCKOPS_O, &[]);
        assert_eq!(r.map_status, "reused", "cycle {cycle}");
        assert_eq!(r.map_id, map_id, "cycle {cycle}: JSON map id");
        assert!(r.attached, "cycle {cycle}: JSON says not attached");
        assert_eq!(
            r.replaced_id, None,
            "cycle {cycle}: nothing to replace after detach"
        );
        assert_loaded(&env, r.prog_id, map_id, &format!("cycle {cycle}"));
    }
}

#[test]
fn load_over_load_replaces_program_keeps_map() {
    let Some(env) = TestEnv::new("reload_replace") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &[]);
    assert_eq!(
        first.replaced_id, None,
        "nothing to replace on the first load"
    );
    let map_id = env.pinned_map_id();
    let mut prev = assert_loaded(&env, first.prog_id, map_id, "first load");

    for cycle in 1..=CYCLES {
        // --force: the same object again would otherwise be `unchanged` (tests/e2e/reload_cost.rs).
        let r = env.load(SOCKOPS_O, &["--force"]);
        assert_eq!(r.map_status, "reused", "cycle {cycle}");
        assert_eq!(r.map_id, map_id, "cycle {cycle}: JSON map id");
        assert_eq!(
            r.replaced_id,
            Some(prev),
            "cycle {cycle}: replaced_id vs the previous program"
        );
        let prog = assert_loaded(&env, r.prog_id, map_id, &format!("cycle {cycle}"));
        assert_ne!(prog, prev, "cycle {cycle}: the program was not replaced");
        prev = prog;
    }
}

/// `--no-pin` over a pinned map moves the attached program onto a new, empty map: the
/// kernel shows the new program off the pinned map, and the report says so.
#[test]
fn no_pin_over_a_pinned_map_says_what_happens() {
    let Some(env) = TestEnv::new("reload_nopin") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let pinned = env.pinned_map_id();
    let v = env.json(&["load", SOCKOPS_O, "--no-pin"]);
    let prog = crate::harness::report::id(&v["programs"][0]["id"]);
    assert!(
        !kernel::prog_map_ids(prog).contains(&pinned),
        "still on the pinned map"
    );
    assert_eq!(env.pinned_map_id(), pinned, "the pin itself stays");
    let pin = env
        .pins
        .join(crate::harness::MAP_NAME)
        .display()
        .to_string();
    let warned = v["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .is_some_and(|s| s.contains("--no-pin") && s.contains(&pin))
    });
    assert!(warned, "{v}");
}
