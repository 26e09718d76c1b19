//! `detach` removes rawbpf's program from the cgroup and keeps the pin; `--unpin` also drops
//! the map; a second `detach` has nothing to do (exit 3).

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv, TestPinRoot, cli};

#[test]
fn detach_keeps_pin_then_unpin_frees_map() {
    let Some(env) = TestEnv::new("detach") else {
        return;
    };
    let loaded = env.load(SOCKOPS_O, &[]);
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    let map_id = env.pinned_map_id();

    let v = env.json(&["detach"]);
    let detached: Vec<u64> = v["detached"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter_map(|d| d["id"].as_u64())
        .collect();
    assert_eq!(detached, vec![u64::from(loaded.prog_id)], "{v}");
    assert!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty(),
        "program {prog} is still attached after detach"
    );
    assert_eq!(
        env.pinned_map_id(),
        map_id,
        "the pin survives detach with the same map"
    );

    env.run_expect(&["detach"], &[3]);
    assert_eq!(
        env.pinned_map_id(),
        map_id,
        "a no-op detach leaves the pin alone"
    );

    // Nothing attached any more, but a pin to remove: exit 0 (3 means nothing done at all).
    env.run_expect(&["detach", "--unpin"], &[0]);
    assert_eq!(
        kernel::pinned_map_id(&env.pins.join(MAP_NAME)),
        None,
        "pin left after --unpin"
    );
    assert!(
        !env.pins.path().exists(),
        "detach --unpin removes the emptied pin root; it holds {:?}",
        env.pins.contents()
    );
    // Nothing holds the map any more: its id goes away (freed after the program's RCU grace
    // period, hence the poll).
    let gone =
        kernel::poll(|| (!kernel::live_map_ids_named(MAP_NAME).contains(&map_id)).then_some(()));
    assert!(
        gone.is_some(),
        "map {map_id} is still live after detach --unpin ({:?})",
        kernel::map_info(map_id)
    );
}

#[test]
fn detach_unpin_with_program_attached() {
    let Some(env) = TestEnv::new("detach_unpin") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    env.run_expect(&["detach", "--unpin"], &[0]);
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert_eq!(kernel::pinned_map_id(&env.pins.join(MAP_NAME)), None);
    assert!(
        !env.pins.path().exists(),
        "detach --unpin removes the emptied pin root; it holds {:?}",
        env.pins.contents()
    );
    let gone =
        kernel::poll(|| (!kernel::live_map_ids_named(MAP_NAME).contains(&map_id)).then_some(()));
    assert!(
        gone.is_some(),
        "map {map_id} is still live: {:?}",
        kernel::map_info(map_id)
    );
    env.run_expect(&["detach"], &[3]);
}

/// The sk_msg program's map record (what finds it on kernels before 5.19) goes with
/// `detach --unpin`: the pin root is left empty, and the program it pinned is released.
#[test]
fn unpin_removes_the_socket_map_records() {
    let Some(env) = TestEnv::new("detach_maprec") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let skmsg_o = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
    let v = env.json(&["load", skmsg_o]);
    let skmsg = crate::harness::report::id(&v["programs"][0]["id"]);
    let map_id = env.pinned_map_id();
    let record = env
        .pins
        .join(&format!("attached-progs/map{map_id}-7-bpf_redir"));
    assert_eq!(kernel::pinned_prog_id(&record), Some(skmsg), "{v}");

    env.run_expect(&["detach", "--unpin"], &[0]);
    assert!(
        env.pins.contents().is_empty(),
        "left in the pin root: {:?}",
        env.pins.contents()
    );
}

/// `--unpin` removes only the pins rawbpf made: a map another tool pinned in the pin root
/// stays (and is listed as kept), and `--dry-run` reports the same and changes nothing.
#[test]
fn unpin_keeps_other_tools_pins_and_dry_run_changes_nothing() {
    let Some(env) = TestEnv::new("detach_owned") else {
        return;
    };
    let loaded = env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    // Another tool's map, pinned next to rawbpf's.
    let foreign = rawbpf_syscalls::map_create(&rawbpf_syscalls::MapCreate {
        map_type: 2, // ARRAY
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        name: rawbpf_syscalls::ObjName::new("foreign"),
        ..Default::default()
    })
    .unwrap();
    let foreign_pin = env.pins.join("foreign");
    let c = std::ffi::CString::new(foreign_pin.display().to_string()).unwrap();
    rawbpf_syscalls::obj_pin(std::os::fd::AsFd::as_fd(&foreign), &c).unwrap();
    let foreign_id = kernel::pinned_map_id(&foreign_pin).unwrap();
    let ours = env.pins.join(MAP_NAME).display().to_string();
    let theirs = foreign_pin.display().to_string();

    let dry = env.json(&["detach", "--unpin", "--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(
        dry["detached"][0]["id"].as_u64(),
        Some(u64::from(loaded.prog_id)),
        "{dry}"
    );
    assert_eq!(dry["unpinned"], serde_json::json!([ours]), "{dry}");
    assert_eq!(dry["kept"], serde_json::json!([theirs]), "{dry}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![loaded.prog_id],
        "a dry run detached"
    );
    assert_eq!(env.pinned_map_id(), map_id, "a dry run unpinned");

    let real = env.json(&["detach", "--unpin"]);
    assert_eq!(real["dry_run"], false, "{real}");
    assert_eq!(real["unpinned"], serde_json::json!([ours]), "{real}");
    assert_eq!(real["kept"], serde_json::json!([theirs]), "{real}");
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert_eq!(kernel::pinned_map_id(&env.pins.join(MAP_NAME)), None);
    assert_eq!(
        kernel::pinned_map_id(&foreign_pin),
        Some(foreign_id),
        "another tool's pin went"
    );
    assert!(!env.pins.join("pinned-maps").exists());
}

/// A cgroup removed with rawbpf's program on it leaves a record that keeps the program
/// alive: `status` lists it as stale and `detach --unpin` removes it, freeing the program.
#[test]
fn records_of_removed_cgroups_are_shown_and_freed() {
    let Some(env) = TestEnv::new("detach_stale") else {
        return;
    };
    let gone = env.cgroup_path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let args: Vec<String> = [
        "--json",
        "load",
        SOCKOPS_O,
        "--cgroup",
        &gone.display().to_string(),
        "--pin-root",
        &env.pins.path().display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let v = crate::harness::cli::parse_json(&args, &crate::harness::cli::rawbpf(&args));
    let prog = crate::harness::report::id(&v["programs"][0]["id"]);
    std::fs::remove_dir(&gone).unwrap();
    let records: Vec<_> = std::fs::read_dir(env.pins.join("attached-progs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| !p.to_string_lossy().contains("%link"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        kernel::pinned_prog_id(&records[0]),
        Some(prog),
        "the record pins it"
    );

    let status = env.json(&["status"]);
    assert_eq!(
        status["pin_root"]["stale_records"],
        serde_json::json!([records[0].display().to_string()]),
        "{status}"
    );

    let d = env.json(&["detach", "--unpin"]);
    assert!(
        d["unpinned"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str() == Some(&records[0].display().to_string())),
        "{d}"
    );
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
    // Nothing holds the program any more: the kernel frees it.
    let freed = kernel::poll(|| {
        rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Prog, prog)
            .is_err()
            .then_some(())
    });
    assert!(
        freed.is_some(),
        "program {prog} still alive after detach --unpin"
    );
}

/// `detach --cgroup CG` without `--pin-root` finds the records a load made under another
/// pin root through rawbpf's index, detaches, and removes the index entry; `map-ids` and
/// `status` find it the same way.
#[test]
fn detach_finds_the_pin_root_the_load_used() {
    let Some(env) = TestEnv::new("detach_index") else {
        return;
    };
    let loaded = env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let cg = env.cgroup_path().display().to_string();
    let pins = env.pins.path().display().to_string();
    // map-ids and status look where the load put the records, too.
    for cmd in ["map-ids", "status"] {
        let args: Vec<String> = ["--json", cmd, "--cgroup", &cg]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let v = crate::harness::cli::parse_json(&args, &crate::harness::cli::rawbpf(&args));
        let root = if cmd == "status" {
            &v["pin_root"]["path"]
        } else {
            &v["pin_root"]
        };
        assert_eq!(root.as_str(), Some(pins.as_str()), "{cmd}: {v}");
        let pinned = v["maps"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["id"].as_u64() == Some(u64::from(map_id)))
            .map(|m| m["pinned"].clone());
        assert_eq!(
            pinned.and_then(|p| p.as_str().map(String::from)),
            Some(env.pins.join(MAP_NAME).display().to_string()),
            "{cmd}: {v}"
        );
    }
    let args: Vec<String> = ["--json", "detach", "--cgroup", &cg]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let v = crate::harness::cli::parse_json(&args, &crate::harness::cli::rawbpf(&args));
    assert_eq!(
        v["detached"][0]["id"].as_u64(),
        Some(u64::from(loaded.prog_id)),
        "{v}"
    );
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    let records = env.pins.join("attached-progs");
    assert_eq!(
        std::fs::read_dir(&records)
            .map(Iterator::count)
            .unwrap_or(0),
        0
    );
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(env.cgroup_path()).unwrap());
    let left: Vec<_> = std::fs::read_dir("/sys/fs/bpf/rawbpf-index")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&format!("{inode}-")))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "index entries left: {left:?}");
}

/// `detach` without OBJ detaches everything rawbpf recorded under the pin root, the sk_msg
/// program on the pinned sockhash included (a second `detach` then finds nothing), and names
/// the program it leaves running in the cgroup: one attached under another pin root.
#[test]
fn detach_without_object_takes_the_map_programs_and_names_what_stays() {
    let Some(env) = TestEnv::new("detach_all") else {
        return;
    };
    let sockops = env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let skmsg_o = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
    let v = env.json(&["load", skmsg_o]);
    let skmsg = crate::harness::report::id(&v["programs"][0]["id"]);
    // A second deployment of the sockops object in the same cgroup, under its own pin root.
    let elsewhere = TestPinRoot::new("detach_all_elsewhere");
    let other = cli::parse_json(
        &[],
        &cli::rawbpf(&[
            "--json".to_string(),
            "load".into(),
            SOCKOPS_O.into(),
            "--cgroup".into(),
            env.cgroup_path().display().to_string(),
            "--pin-root".into(),
            elsewhere.path().display().to_string(),
            "--no-pin".into(),
            "--force".into(),
        ]),
    );
    let other_id = crate::harness::report::id(&other["programs"][0]["id"]);

    let d = env.json(&["detach"]);
    let detached: Vec<u32> = d["detached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| crate::harness::report::id(&p["id"]))
        .collect();
    assert_eq!(detached, vec![sockops.prog_id, skmsg], "{d}");
    assert_eq!(
        d["detached"][0]["name"], "bpf_add_to_sockhash",
        "the full name, not the kernel's 15 bytes: {d}"
    );
    // The kernel: the sockhash has no sk_msg program, the cgroup only the other one.
    if crate::harness::features::sockmap_prog_query() {
        let map = rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Map, map_id).unwrap();
        let q = rawbpf_syscalls::prog_query(std::os::fd::AsFd::as_fd(&map), 7).unwrap();
        assert!(q.prog_ids.is_empty(), "still on the map: {:?}", q.prog_ids);
    }
    assert!(
        env.pins
            .contents()
            .iter()
            .all(|p| !p.to_string_lossy().contains("attached-progs/map")),
        "map records left: {:?}",
        env.pins.contents()
    );
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![other_id]
    );
    assert_eq!(
        d["left_attached"][0]["id"].as_u64(),
        Some(u64::from(other_id)),
        "{d}"
    );
    env.run_expect(&["detach"], &[3]);

    let mut args = vec!["detach", "--unpin", "--cgroup"];
    let cg = env.cgroup_path().display().to_string();
    let root = elsewhere.path().display().to_string();
    args.extend([cg.as_str(), "--pin-root", root.as_str()]);
    let out = cli::rawbpf(args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert!(out.status.success(), "{out:?}");
    assert!(
        elsewhere.contents().is_empty(),
        "left: {:?}",
        elsewhere.contents()
    );
}
