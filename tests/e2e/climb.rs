//! Without pinning, every reload creates a new map: the symptom rawbpf's pinning fixes.

use crate::harness::kernel;
use crate::harness::{MAP_NAME, SOCKOPS_NOPIN_O, SOCKOPS_O, TestEnv};

const CYCLES: usize = 5;

/// Loads `obj` (load over load) `CYCLES + 1` times and asserts the sockhash map id the
/// attached program uses strictly increases, and nothing is pinned.
fn assert_map_id_climbs(env: &TestEnv, obj: &str, extra: &[&str]) {
    let mut prev: Option<u32> = None;
    for cycle in 0..=CYCLES {
        let r = env.load(obj, extra);
        assert_eq!(r.map_status, "created", "cycle {cycle}");
        assert_eq!(r.map_pin_path, None, "cycle {cycle}");
        let prog = kernel::the_sockops_prog(env.cgroup_path());
        assert_eq!(prog, r.prog_id, "cycle {cycle}: attached program vs JSON");
        let map = kernel::prog_sockhash_id(prog);
        assert_eq!(
            map, r.map_id,
            "cycle {cycle}: the program's sockhash vs JSON"
        );
        if let Some(p) = prev {
            assert!(map > p, "cycle {cycle}: map id {map} did not grow past {p}");
        }
        prev = Some(map);
        assert_eq!(
            kernel::pinned_map_id(&env.pins.join(MAP_NAME)),
            None,
            "cycle {cycle}: a map is pinned although pinning is off"
        );
    }
}

#[test]
fn no_pin_flag_map_id_climbs() {
    let Some(env) = TestEnv::new("climb_flag") else {
        return;
    };
    assert_map_id_climbs(&env, SOCKOPS_O, &["--no-pin"]);
}

#[test]
fn nopin_object_map_id_climbs() {
    let Some(env) = TestEnv::new("climb_obj") else {
        return;
    };
    assert_map_id_climbs(&env, SOCKOPS_NOPIN_O, &[]);
}
