//! `map-ids --json` agrees with the kernel (PROG_QUERY + prog info + map info + the pin),
//! for programs attached to the cgroup and to the pinned sockhash.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::os::fd::AsFd;

use serde_json::Value;

use crate::harness::features;
use crate::harness::kernel::{self, ATTACH_SOCK_OPS, F_ALLOW_MULTI, PROG_TYPE_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
/// `BPF_SK_SKB_STREAM_PARSER`, `BPF_SK_SKB_STREAM_VERDICT`, `BPF_SK_MSG_VERDICT`,
/// `BPF_SK_SKB_VERDICT`.
const SOCKMAP_ATTACH_TYPES: [u32; 4] = [4, 5, 7, 38];
/// `BPF_SK_MSG_VERDICT`.
const ATTACH_SK_MSG: u32 = 7;

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
    // The kernel keeps 15 bytes of the name; the full one comes from the program's BTF.
    assert_eq!(p["kernel_name"], info.name.as_str(), "{p}");
    assert_eq!(info.name, "bpf_add_to_sock");
    // (A kernel that refused the object's BTF keeps no func info: the kernel's name then.)
    let full = if info.btf_id != 0 {
        "bpf_add_to_sockhash"
    } else {
        "bpf_add_to_sock"
    };
    assert_eq!(p["name"], full, "{p}");
    assert_eq!(p["owner"], "rawbpf", "{p}");
    assert_eq!(p["type"], "sock_ops", "{p}");
    assert_eq!(info.prog_type, PROG_TYPE_SOCK_OPS);
    assert_eq!(p["tag"], hex(&info.tag).as_str(), "{p}");
    assert_eq!(p["attach_type"], "cgroup_sock_ops", "{p}");
    assert_eq!(p["target"], "cgroup", "{p}");
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

/// `BPF_PROG_QUERY` on the map pinned at `pin` for `attach_type`, independently of rawbpf.
fn map_query(pin: &std::path::Path, attach_type: u32) -> Vec<u32> {
    let path = CString::new(pin.display().to_string()).unwrap();
    let fd = rawbpf_syscalls::obj_get(&path).unwrap();
    rawbpf_syscalls::prog_query(fd.as_fd(), attach_type)
        .unwrap_or_else(|e| panic!("prog_query {attach_type} on {}: {e}", pin.display()))
        .prog_ids
        .iter()
        .map(|p| p.0)
        .collect()
}

#[test]
fn map_ids_lists_programs_attached_to_the_pinned_sockhash() {
    let Some(env) = TestEnv::new("map_ids_skmsg") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let loaded = env.json(&["load", SKMSG_O]);
    let pinned_id = env.pinned_map_id();
    let pin = env.pins.join(MAP_NAME);

    // What the kernel says is attached: one sockops program on the cgroup, one sk_msg
    // program on the sockhash, nothing else on the sockhash.
    let sockops = kernel::the_sockops_prog(env.cgroup_path());
    let skmsg = if features::sockmap_prog_query() {
        let on_map = map_query(&pin, ATTACH_SK_MSG);
        assert_eq!(on_map.len(), 1, "sk_msg programs on {MAP_NAME}: {on_map:?}");
        for at in SOCKMAP_ATTACH_TYPES
            .into_iter()
            .filter(|&a| a != ATTACH_SK_MSG)
        {
            assert_eq!(map_query(&pin, at), Vec::<u32>::new(), "attach type {at}");
        }
        on_map[0]
    } else {
        // Before 5.19 the kernel cannot be asked: the program is the one the load
        // attached.
        id(&loaded["programs"][0]["id"])
    };
    // rawbpf's map record pins it, on every kernel.
    let record = env.pins.join(&format!(
        "attached-progs/map{pinned_id}-{ATTACH_SK_MSG}-bpf_redir"
    ));
    assert_eq!(kernel::pinned_prog_id(&record), Some(skmsg), "{loaded}");

    let v = env.json(&["map-ids"]);
    // Without the kernel's answer, map-ids says the map's list is rawbpf's records only.
    let warned = v["warnings"].as_array().is_some_and(|w| {
        w.iter()
            .any(|w| w.as_str().is_some_and(|s| s.contains(MAP_NAME)))
    });
    assert_eq!(warned, !features::sockmap_prog_query(), "{v}");
    let progs = v["programs"]
        .as_array()
        .unwrap_or_else(|| panic!("no programs: {v}"));
    let listed: Vec<(u32, &str, &str)> = progs
        .iter()
        .map(|p| {
            (
                id(&p["id"]),
                p["target"].as_str().unwrap_or_else(|| panic!("{p}")),
                p["attach_type"].as_str().unwrap_or_else(|| panic!("{p}")),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (sockops, "cgroup", "cgroup_sock_ops"),
            (skmsg, "map sock_ops_map", "sk_msg_verdict"),
        ],
        "{v}"
    );
    let p = &progs[1];
    let info = kernel::prog_info(skmsg);
    assert_eq!(p["name"], info.name.as_str(), "{p}");
    assert_eq!(p["owner"], "rawbpf", "{p}");
    assert_eq!(p["type"], "sk_msg", "{p}");
    assert_eq!(p["tag"], hex(&info.tag).as_str(), "{p}");
    assert_eq!(p["attach_flags"].as_u64(), Some(0), "{p}");
    let json_map_ids: BTreeSet<u32> = p["map_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("{p}"))
        .iter()
        .map(id)
        .collect();
    let kernel_map_ids: BTreeSet<u32> = kernel::prog_map_ids(skmsg).into_iter().collect();
    assert_eq!(json_map_ids, kernel_map_ids, "program {skmsg}'s map ids");
    assert!(kernel_map_ids.contains(&pinned_id), "{kernel_map_ids:?}");

    // Every map of both programs is listed, used by the programs that use it.
    let maps = v["maps"]
        .as_array()
        .unwrap_or_else(|| panic!("no maps: {v}"));
    let used_by = |mid: u32| -> BTreeSet<u32> {
        let m = maps
            .iter()
            .find(|m| id(&m["id"]) == mid)
            .unwrap_or_else(|| panic!("map {mid} not listed: {v}"));
        m["used_by"]
            .as_array()
            .unwrap_or_else(|| panic!("{m}"))
            .iter()
            .map(id)
            .collect()
    };
    for prog in [sockops, skmsg] {
        for mid in kernel::prog_map_ids(prog) {
            assert!(
                used_by(mid).contains(&prog),
                "map {mid} of program {prog}: {v}"
            );
        }
    }
    assert_eq!(used_by(pinned_id), BTreeSet::from([sockops, skmsg]), "{v}");

    // `status` lists the same programs with the same targets.
    let s = env.json(&["status"]);
    let status_progs: Vec<(u32, &str)> = s["cgroup"]["programs"]
        .as_array()
        .unwrap_or_else(|| panic!("{s}"))
        .iter()
        .map(|p| (id(&p["id"]), p["target"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        status_progs,
        vec![(sockops, "cgroup"), (skmsg, "map sock_ops_map")],
        "{s}"
    );

    // The human form says where the sk_msg program is attached.
    let out = env.run_expect(&["map-ids"], &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("prog")
            && l.contains(&skmsg.to_string())
            && l.ends_with("attached sk_msg_verdict to map sock_ops_map  [rawbpf]")),
        "{text}"
    );
}
