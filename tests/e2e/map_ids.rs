//! `map-ids --json` agrees with the kernel (PROG_QUERY + prog info + map info + the pin).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::kernel::{self, ATTACH_SOCK_OPS, F_ALLOW_MULTI, PROG_TYPE_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};

fn hex(tag: &[u8; 8]) -> String {
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn map_ids_matches_kernel() {
    let Some(env) = TestEnv::new("map_ids") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let v = env.json(&["map-ids"]);

    assert_eq!(v["cgroup"], env.cgroup_path().display().to_string(), "{v}");
    assert_eq!(v["pin_root"], env.pins.path().display().to_string(), "{v}");

    // Programs: exactly what PROG_QUERY reports on the test cgroup.
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    let progs = v["programs"]
        .as_array()
        .unwrap_or_else(|| panic!("no programs: {v}"));
    assert_eq!(progs.len(), 1, "programs: {v}");
    let p = &progs[0];
    let info = kernel::prog_info(prog);
    assert_eq!(id(&p["id"]), prog, "{p}");
    assert_eq!(p["name"], info.name.as_str(), "{p}");
    assert_eq!(p["type"], "sock_ops", "{p}");
    assert_eq!(info.prog_type, PROG_TYPE_SOCK_OPS);
    assert_eq!(p["tag"], hex(&info.tag).as_str(), "{p}");
    assert_eq!(p["attach_type"], "cgroup_sock_ops", "{p}");
    let (_, flags) = kernel::query(env.cgroup_path(), ATTACH_SOCK_OPS).unwrap();
    assert_eq!(
        flags, F_ALLOW_MULTI,
        "kernel attach flags of the default mode"
    );
    assert_eq!(p["attach_flags"].as_u64(), Some(u64::from(flags)), "{p}");
    let json_map_ids: BTreeSet<u32> = p["map_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("{p}"))
        .iter()
        .map(id)
        .collect();
    let kernel_map_ids: BTreeSet<u32> = kernel::prog_map_ids(prog).into_iter().collect();
    assert_eq!(json_map_ids, kernel_map_ids, "program {prog}'s map ids");

    // Maps: every map of the program, each matching map info; the pinned one with its path.
    let maps = v["maps"]
        .as_array()
        .unwrap_or_else(|| panic!("no maps: {v}"));
    let listed: BTreeSet<u32> = maps.iter().map(|m| id(&m["id"])).collect();
    assert_eq!(
        listed, kernel_map_ids,
        "maps listed vs the program's maps (nothing else is pinned)"
    );
    let pinned_id = env.pinned_map_id();
    for m in maps {
        let mid = id(&m["id"]);
        let mi = kernel::map_info(mid).unwrap_or_else(|| panic!("map {mid} is not live"));
        assert_eq!(m["name"], mi.name.as_str(), "{m}");
        assert_eq!(m["key_size"].as_u64(), Some(u64::from(mi.key_size)), "{m}");
        assert_eq!(
            m["value_size"].as_u64(),
            Some(u64::from(mi.value_size)),
            "{m}"
        );
        assert_eq!(
            m["max_entries"].as_u64(),
            Some(u64::from(mi.max_entries)),
            "{m}"
        );
        assert_eq!(m["flags"].as_u64(), Some(u64::from(mi.map_flags)), "{m}");
        let used_by: Vec<u32> = m["used_by"]
            .as_array()
            .unwrap_or_else(|| panic!("{m}"))
            .iter()
            .map(id)
            .collect();
        assert_eq!(used_by, vec![prog], "{m}");
        if mid == pinned_id {
            assert_eq!(mi.name, MAP_NAME);
            assert_eq!(m["type"], "sockhash", "{m}");
            assert_eq!(
                m["pinned"],
                env.pins.join(MAP_NAME).display().to_string(),
                "{m}"
            );
        } else {
            assert!(m["pinned"].is_null(), "only {MAP_NAME} is pinned: {m}");
        }
    }
    assert!(
        listed.contains(&pinned_id),
        "the pinned map {pinned_id} is not listed: {v}"
    );
}

#[test]
fn map_ids_lists_pinned_map_without_program() {
    let Some(env) = TestEnv::new("map_ids_detached") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    env.run_expect(&["detach"], &[0]);
    let pinned_id = env.pinned_map_id();
    let v = env.json(&["map-ids"]);
    assert_eq!(v["programs"].as_array().map(Vec::len), Some(0), "{v}");
    let maps: Vec<&Value> = v["maps"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .collect();
    assert_eq!(maps.len(), 1, "only the pinned map: {v}");
    assert_eq!(id(&maps[0]["id"]), pinned_id, "{v}");
    assert_eq!(
        maps[0]["pinned"],
        env.pins.join(MAP_NAME).display().to_string(),
        "{v}"
    );
    assert_eq!(maps[0]["used_by"].as_array().map(Vec::len), Some(0), "{v}");
}
