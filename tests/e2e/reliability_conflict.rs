//! Guarantee 2 (`docs/guarantees.md`): pinned-map conflicts are explained, never resolved
//! silently. A pin with another max_entries or another value layout (same sizes, other
//! fields) is refused with exit 7, naming the path and each field with both values, and
//! nothing changes; `--replace-incompatible` replaces it; a program, a directory or a
//! symlink at the pin path is refused even then; maps whose definition the kernel adjusts
//! (ring buffer size, fd-only flags, NUMA flag) are reused, and a reused map is never
//! written to.

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rawbpf_syscalls::{self as sys, UpdateFlags};

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{TestEnv, cli, features};
use crate::reliability_common::{compat, record_names, run_env, stderr};

const MAP: &str = "compat_map";

fn open_pin(path: &Path) -> OwnedFd {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    sys::obj_get(&c).unwrap_or_else(|e| panic!("obj_get {}: {e}", path.display()))
}

/// The map pinned at `path`, ready for element commands.
fn open_map(path: &Path) -> sys::MapFd {
    sys::MapFd::open(open_pin(path)).unwrap().0
}

/// (key 7 → value) in the compat map, the state a refused load must keep.
fn put_entry(path: &Path) -> Vec<u8> {
    let fd = open_map(path);
    let value = 0x1122_3344_5566_7788u64.to_ne_bytes().to_vec();
    sys::map_update_elem(&fd, &7u32.to_ne_bytes(), &value, UpdateFlags::Any).unwrap();
    value
}

fn entry(map_id: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    kernel::map_entries(map_id)
}

/// Loads compat_a.o (attached), puts an entry in its map; returns (program id, map id).
fn setup(env: &TestEnv) -> (u32, u32) {
    let v = env.json(&["load", &compat("compat_a.o")]);
    let prog = v["programs"][0]["id"].as_u64().unwrap() as u32;
    let map = v["maps"][0]["id"].as_u64().unwrap() as u32;
    assert_eq!(v["maps"][0]["status"], "created_pinned");
    put_entry(&env.pins.join(MAP));
    (prog, map)
}

fn state(env: &TestEnv) -> (Vec<u32>, Option<u32>, Vec<String>, Vec<std::path::PathBuf>) {
    let id = kernel::pinned_map_id(&env.pins.join(MAP));
    (
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        id,
        id.map(entry)
            .unwrap_or_default()
            .iter()
            .map(|e| format!("{e:?}"))
            .collect(),
        env.pins.contents(),
    )
}

#[test]
fn conflicting_fields_and_layouts_are_named_and_nothing_changes() {
    let Some(env) = TestEnv::new("rel_conflict") else {
        return;
    };
    let (prog, map) = setup(&env);
    let before = state(&env);
    assert_eq!(before.0, vec![prog]);
    let pin = env.pins.join(MAP).display().to_string();

    // max_entries differs.
    let out = run_env(&env, &["load", &compat("compat_c_entries.o")], &[7]);
    let err = stderr(&out);
    assert!(err.contains(&pin), "the error names the path:\n{err}");
    assert!(
        err.contains("max_entries: pinned 1024, object 2048"),
        "the error names the field with both values:\n{err}"
    );
    assert!(err.contains("--replace-incompatible"), "{err}");
    assert_eq!(state(&env), before, "a refused load changed something");

    // Same sizes, other fields: the BTF layouts differ.
    let out = run_env(
        &env,
        &["--json", "load", &compat("compat_b_fields.o")],
        &[7],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains("value_type: pinned struct(8) { a: int(4) @0, b: int(4) @4 }")
            && msg.contains("object struct(8) { b: int(4) @0, a: int(4) @4 }"),
        "the error shows both layouts:\n{msg}"
    );
    assert!(msg.contains(&pin), "{msg}");
    assert_eq!(v["exit_code"], 7);
    assert_eq!(state(&env), before, "a refused load changed something");

    // The same object again is compatible: reused, same id, entry kept.
    let v = env.json(&["load", &compat("compat_a.o")]);
    assert_eq!(v["maps"][0]["status"], "reused");
    assert_eq!(v["maps"][0]["id"].as_u64(), Some(u64::from(map)));
    assert_eq!(entry(map).len(), 1);
}

#[test]
fn replace_incompatible_recreates_the_map() {
    let Some(env) = TestEnv::new("rel_replace") else {
        return;
    };
    let (_, old_map) = setup(&env);
    let v = env.json(&[
        "load",
        &compat("compat_c_entries.o"),
        "--replace-incompatible",
    ]);
    let m = &v["maps"][0];
    assert_eq!(m["status"], "recreated", "{v}");
    let new_map = m["id"].as_u64().unwrap() as u32;
    assert_ne!(new_map, old_map);
    assert_eq!(kernel::pinned_map_id(&env.pins.join(MAP)), Some(new_map));
    assert_eq!(kernel::map_info(new_map).unwrap().max_entries, 2048);
    assert!(entry(new_map).is_empty(), "the new map starts empty");
    let prog = v["programs"][0]["id"].as_u64().unwrap() as u32;
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog],
        "exactly the new program is attached"
    );
    assert!(kernel::prog_map_ids(prog).contains(&new_map));
    // The old map is gone once nothing holds it.
    kernel::poll(|| kernel::map_info(old_map).is_none().then_some(()))
        .unwrap_or_else(|| panic!("the replaced map {old_map} is still alive"));
}

#[test]
fn non_maps_at_the_pin_path_are_refused_even_with_replace() {
    let Some(env) = TestEnv::new("rel_not_map") else {
        return;
    };
    let (prog, _) = setup(&env);
    let pin = env.pins.join(MAP);
    std::fs::remove_file(&pin).unwrap();

    // A program pinned at the map's path (a hard link of the attach record).
    let records = env.pins.join("attached-progs");
    let record = records.join(&record_names(&records)[0]);
    std::fs::hard_link(&record, &pin).unwrap();
    // A directory, and a symlink to a file that is not a BPF object.
    type Prepare<'a> = Box<dyn Fn() + 'a>;
    let cases: [(&str, Prepare); 3] = [
        ("a pinned prog", Box::new(|| {})),
        (
            "a directory",
            Box::new(|| {
                std::fs::remove_file(&pin).unwrap();
                std::fs::create_dir(&pin).unwrap();
            }),
        ),
        (
            "a symbolic link",
            Box::new(|| {
                std::fs::remove_dir(&pin).unwrap();
                std::os::unix::fs::symlink("/proc/version", &pin).unwrap();
            }),
        ),
    ];
    for (what, prepare) in cases {
        prepare();
        let before = (
            kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            env.pins.contents(),
        );
        for extra in [None, Some("--replace-incompatible")] {
            let mut args = vec!["load".to_string(), compat("compat_a.o")];
            args.extend(extra.map(str::to_string));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run_env(&env, &args, &[7]);
            let err = stderr(&out);
            assert!(
                err.contains(what) && err.contains(&pin.display().to_string()),
                "{what}: the error should say what is at the path:\n{err}"
            );
            assert_eq!(
                (
                    kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
                    env.pins.contents()
                ),
                before,
                "{what}: a refused load changed something"
            );
        }
    }
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![prog]
    );
    std::fs::remove_file(&pin).unwrap();
}

#[test]
fn kernel_adjusted_maps_are_reused_and_never_written() {
    let Some(env) = TestEnv::new("rel_kinds") else {
        return;
    };
    let obj = compat("compat_kinds.o");
    if !features::bloom_filter_maps() {
        // Before 5.16 there are no bloom filter maps: the load is refused (the map type
        // named, exit 4) and leaves nothing behind.
        let (args, out) = env.run(&["load", &obj, "--no-attach"]);
        cli::assert_exit(&args, &out, &[4]);
        assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
        return;
    }
    let first = env.json(&["load", &obj, "--no-attach"]);
    let ids: Vec<(String, u64)> = first["maps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["status"], "created_pinned", "{m}");
            (
                m["name"].as_str().unwrap().to_string(),
                m["id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 7, "{first}");
    let ringbuf = ids.iter().find(|(n, _)| n == "kinds_ringbuf").unwrap().1 as u32;
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as u32;
    assert_eq!(
        kernel::map_info(ringbuf).unwrap().max_entries,
        page,
        "1000 bytes of ring buffer become one page"
    );

    // The prog array got its initial value once; clear it: a reuse must not write it again.
    let progs = env.pins.join("kinds_progs");
    let fd = open_map(&progs);
    let mut slot = [0u8; 4];
    assert!(sys::map_lookup_elem(&fd, &0u32.to_ne_bytes(), &mut slot).unwrap());
    assert!(sys::map_delete_elem(&fd, &0u32.to_ne_bytes()).unwrap());

    let second = env.json(&["load", &obj, "--no-attach"]);
    let maps = second["maps"].as_array().unwrap();
    assert_eq!(maps.len(), ids.len(), "{second}");
    for m in maps {
        let name = m["name"].as_str().unwrap();
        assert_eq!(m["status"], "reused", "{name} was not reused: {second}");
        let id = ids.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(m["id"].as_u64(), Some(id), "{name}");
        // The kernel's view: the pin still names the first load's map.
        let pin = m["pin_path"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no pin_path: {m}"));
        assert_eq!(
            kernel::pinned_map_id(Path::new(pin)).map(u64::from),
            Some(id),
            "{name}: the pin"
        );
    }
    assert!(
        !sys::map_lookup_elem(&fd, &0u32.to_ne_bytes(), &mut slot).unwrap(),
        "a reused prog array was written to"
    );
    run_env(&env, &["detach", "--unpin"], &[0]);
}
