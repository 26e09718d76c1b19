//! `status` shows the kernel's state: bpffs, the pin root, the program attached to the
//! cgroup and the maps with their IDs and entry counts.

use crate::harness::kernel;
use crate::harness::report::id;
use crate::harness::{Connections, MAP_NAME, SOCKOPS_O, TestEnv};

#[test]
fn status_matches_kernel() {
    let Some(env) = TestEnv::new("status") else {
        return;
    };
    // Before anything is loaded: no pin root yet, nothing attached.
    let v = env.json(&["status"]);
    assert_eq!(v["bpffs"]["mounted"], true, "{v}");
    assert!(
        v["bpffs"]["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "/sys/fs/bpf"),
        "{v}"
    );
    assert_eq!(v["pin_root"]["exists"], false, "{v}");
    assert_eq!(v["pin_root"]["on_bpffs"], true, "{v}");
    assert_eq!(v["cgroup"]["programs"], serde_json::json!([]), "{v}");
    assert_eq!(v["maps"], serde_json::json!([]), "{v}");

    env.load(SOCKOPS_O, &[]);
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    let map_id = env.pinned_map_id();
    let conns = Connections::open(&env.cgroup, 2);
    kernel::poll(|| (kernel::map_entries(map_id).len() == 4).then_some(()))
        .unwrap_or_else(|| panic!("map {map_id} never held 4 sockets"));

    let v = env.json(&["status"]);
    let pin = env.pins.join(MAP_NAME).display().to_string();
    assert_eq!(v["pin_root"]["path"], env.pins.path().display().to_string());
    assert_eq!(v["pin_root"]["exists"], true, "{v}");
    assert_eq!(v["pin_root"]["map_pins"], serde_json::json!([pin]), "{v}");
    assert_eq!(v["pin_root"]["attach_records"], 1, "{v}");
    assert_eq!(v["cgroup"]["path"], env.cgroup_path().display().to_string());
    let progs = v["cgroup"]["programs"].as_array().unwrap();
    assert_eq!(progs.len(), 1, "{v}");
    assert_eq!(id(&progs[0]["id"]), prog);
    assert_eq!(progs[0]["attach_type"], "cgroup_sock_ops");
    let maps = v["maps"].as_array().unwrap();
    let m = maps
        .iter()
        .find(|m| id(&m["id"]) == map_id)
        .unwrap_or_else(|| panic!("map {map_id} not in {v}"));
    assert_eq!(m["entries"], 4, "{m}");
    assert_eq!(m["pinned"], pin.as_str(), "{m}");
    let listed: Vec<u32> = maps.iter().map(|m| id(&m["id"])).collect();
    for used in kernel::prog_map_ids(prog) {
        assert!(
            listed.contains(&used),
            "map {used} of program {prog} not in {v}"
        );
    }

    // The human screen names the same things.
    let out = env.run_expect(&["status"], &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "mounted at /sys/fs/bpf".to_string(),
        format!(
            "{}  (1 map pin, 1 attach record)",
            env.pins.path().display()
        ),
        format!("{prog}"),
        format!("{map_id}"),
        pin.clone(),
    ] {
        assert!(text.contains(&want), "no {want:?} in\n{text}");
    }
    drop(conns);
}
