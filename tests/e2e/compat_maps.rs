//! Map definitions in the forms old and foreign objects use, checked in the kernel:
//! iproute2 `struct bpf_elf_map` with `PIN_GLOBAL_NS` / `PIN_OBJECT_NS`, legacy
//! `struct bpf_map_def` of 20 and 28 bytes and `maps/<name>` sections, ring buffers and perf
//! event arrays declared with key/value types.

use crate::compat_common::{exists, named, object};
use crate::harness::report::id;
use crate::harness::{Connections, TestEnv, kernel};

/// `BPF_CGROUP_SOCK_OPS`.
const SOCK_OPS: u32 = 3;

/// Keys of a map (a sockhash with 4-byte values cannot be read from user space, so only its
/// keys are counted).
fn key_count(id: u32) -> usize {
    let fd = rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Map, id).unwrap();
    let (fd, info) = rawbpf_syscalls::MapFd::open(fd).unwrap();
    let (mut n, mut key) = (0, None::<Vec<u8>>);
    loop {
        let mut next = vec![0u8; info.key_size as usize];
        if !rawbpf_syscalls::map_get_next_key(&fd, key.as_deref(), &mut next).unwrap() {
            return n;
        }
        n += 1;
        key = Some(next);
    }
}

#[test]
fn iproute2_maps_pin_under_tc_and_service_mesh_programs_run() {
    let Some(env) = TestEnv::new("compat_iproute2") else {
        return;
    };
    let obj = object("iproute2_sockmesh.o");
    let report = env.json(&["load", &obj]);

    // sockops attached to the test cgroup, sk_msg to the sockhash it uses.
    let sockops = named(&report, "programs", "mesh_sockops");
    assert_eq!(
        sockops["attach"]["attach_type"], "cgroup_sock_ops",
        "{report}"
    );
    let skmsg = named(&report, "programs", "mesh_redir");
    assert_eq!(skmsg["attach"]["target"], "map mesh_sock_map", "{report}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), SOCK_OPS),
        [id(&sockops["id"])]
    );

    // PIN_GLOBAL_NS under tc/globals, PIN_OBJECT_NS under tc/<sha1 of the object>.
    let global = env.pins.path().join("tc/globals/mesh_sock_map");
    assert_eq!(
        named(&report, "maps", "mesh_sock_map")["pin_path"],
        global.display().to_string()
    );
    assert_eq!(
        kernel::pinned_map_id(&global),
        Some(id(&named(&report, "maps", "mesh_sock_map")["id"]))
    );
    let counts_pin = named(&report, "maps", "mesh_counts")["pin_path"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = std::path::Path::new(&counts_pin).parent().unwrap();
    assert_eq!(dir.parent().unwrap(), env.pins.path().join("tc"));
    assert_eq!(
        dir.file_name().unwrap().len(),
        40,
        "sha1 hex directory: {counts_pin}"
    );
    assert!(exists(std::path::Path::new(&counts_pin)));

    // Traffic in the cgroup: established sockets land in the sockhash, sockops counted.
    let map = id(&named(&report, "maps", "mesh_sock_map")["id"]);
    let counts = id(&named(&report, "maps", "mesh_counts")["id"]);
    let mut conns = Connections::open(&env.cgroup, 2);
    let seen = kernel::poll(|| (key_count(map) > 0).then_some(()));
    assert!(seen.is_some(), "no socket entered mesh_sock_map");
    let c = kernel::map_entries(counts);
    assert!(
        u64::from_ne_bytes(c[0].1[..8].try_into().unwrap()) > 0,
        "sockops ran: {c:?}"
    );
    conns.close();

    // A second load reuses both pins.
    let again = env.json(&["load", &obj]);
    assert_eq!(
        named(&again, "maps", "mesh_sock_map")["status"],
        "reused",
        "{again}"
    );
    assert_eq!(
        named(&again, "maps", "mesh_counts")["status"],
        "reused",
        "{again}"
    );
    env.run_expect(&["detach"], &[0]);
}

#[test]
fn legacy_map_defs_and_several_programs_per_section() {
    let Some(env) = TestEnv::new("compat_legacy") else {
        return;
    };
    // --pin-progs keeps the (unattached) programs and their maps alive after rawbpf exits.
    let report = env.json(&[
        "load",
        &object("legacy_samples.o"),
        "--no-pin",
        "--pin-progs",
    ]);
    for (name, key, value, max) in [
        ("old_counts", 4, 8, 8),
        ("old_hash", 4, 4, 64),
        ("own_section", 4, 4, 2),
    ] {
        let m = named(&report, "maps", name);
        let info = kernel::map_info(id(&m["id"])).unwrap();
        assert_eq!(
            (info.key_size, info.value_size, info.max_entries),
            (key, value, max),
            "{name}"
        );
    }
    assert_eq!(
        kernel::map_info(id(&named(&report, "maps", "old_hash")["id"]))
            .unwrap()
            .map_flags,
        1
    );
    let progs = report["programs"].as_array().unwrap();
    let names: Vec<&str> = progs.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["sock_first", "sock_second", "sock_third"]);
    for p in progs {
        assert_eq!(p["type"], "socket_filter");
        assert!(p["attach"].is_null());
        assert!(
            p["not_attached"]
                .as_str()
                .unwrap()
                .contains("no automatic attach"),
            "{p}"
        );
        assert_eq!(kernel::prog_info(id(&p["id"])).prog_type, 1);
    }
}

#[test]
fn ringbuf_and_perf_array_declared_with_types_get_kernel_sizes() {
    let Some(env) = TestEnv::new("compat_ringbuf") else {
        return;
    };
    let report = env.json(&[
        "load",
        &object("ringbuf_events.o"),
        "--no-attach",
        "--no-pin",
        "--pin-progs",
    ]);
    let rb = kernel::map_info(id(&named(&report, "maps", "events")["id"])).unwrap();
    assert_eq!(
        (rb.map_type, rb.key_size, rb.value_size, rb.max_entries),
        (27, 0, 0, 4096)
    );
    let perf = kernel::map_info(id(&named(&report, "maps", "perf_events")["id"])).unwrap();
    let possible = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    let cpus: u32 = possible
        .trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => 1,
        })
        .sum();
    assert_eq!(
        (
            perf.map_type,
            perf.key_size,
            perf.value_size,
            perf.max_entries
        ),
        (4, 4, 4, cpus)
    );
    let kprobe = named(&report, "programs", "on_nanosleep");
    assert_eq!(kprobe["type"], "kprobe");
    assert_eq!(kernel::prog_info(id(&kprobe["id"])).prog_type, 2);
}
