//! Library tests against the running kernel: each uses its own child cgroup and bpffs pin
//! directory, removed by a `Drop` guard even when the test fails. They need root (or
//! CAP_BPF+CAP_NET_ADMIN+CAP_SYS_ADMIN for mkdir in cgroupfs); without it they fail with the
//! reason unless `RAWBPF_SKIP_KERNEL_TESTS=1` is set.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rawbpf_abi::AttachType;
use rawbpf_syscalls as sys;

use crate::test_hook::Step;
use crate::{Error, LoadOptions, host::cgroup::Cgroup, host::pin_root, report::MapStatus};

/// Kernel tests count this process's fds: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn object(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bpf-prog")
        .join(name)
}

/// A child cgroup and a pin root of one test; both removed on drop.
struct Sandbox {
    cgroup: PathBuf,
    pin_root: PathBuf,
}

impl Sandbox {
    /// `None` when kernel tests are explicitly skipped.
    fn new(tag: &str) -> Option<Sandbox> {
        if std::env::var("RAWBPF_SKIP_KERNEL_TESTS").as_deref() == Ok("1") {
            eprintln!("RAWBPF_SKIP_KERNEL_TESTS set: skipping kernel test {tag}");
            return None;
        }
        assert!(
            crate::privileged(),
            "kernel tests need root (set RAWBPF_SKIP_KERNEL_TESTS=1 to skip)"
        );
        pin_root::mount_bpffs().expect("bpffs at /sys/fs/bpf");
        // Before 5.11 the maps these tests make themselves are charged to RLIMIT_MEMLOCK,
        // per user, next to every other test's: more than the default 64 KiB.
        let inf = libc::RLIM_INFINITY;
        let _ =
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_MEMLOCK, inf, inf);
        let name = format!("rawbpf-unit-{}-{tag}", std::process::id());
        let cgroup = crate::host::cgroup::default_root()
            .expect("a cgroup v2 hierarchy in /proc/self/mounts")
            .join(&name);
        std::fs::create_dir_all(&cgroup).expect("create child cgroup");
        Some(Sandbox {
            cgroup,
            pin_root: Path::new(pin_root::DEFAULT_BPFFS).join(name),
        })
    }

    fn opts(&self, obj: &str) -> LoadOptions {
        LoadOptions {
            cgroup: self.cgroup.clone(),
            pin_root: self.pin_root.clone(),
            // These tests reload the same object and expect a new program each time
            // (without it such a load is `unchanged` and does nothing).
            force: true,
            ..LoadOptions::new(object(obj))
        }
    }

    /// Program IDs attached to the sandbox cgroup for `attach_type`.
    fn attached(&self, at: u32) -> Vec<u32> {
        let cg = Cgroup::open(&self.cgroup).unwrap();
        sys::prog_query(cg.fd(), at)
            .unwrap()
            .prog_ids
            .iter()
            .map(|p| p.0)
            .collect()
    }

    /// The id of the map pinned at `<pin root>/<name>`, read from the kernel (`BPF_OBJ_GET`
    /// + map info), independent of the library under test; `None` when nothing is pinned.
    fn pinned_map(&self, name: &str) -> Option<u32> {
        match sys::obj_get(&pin_root::c_path(&self.pin_root.join(name)).unwrap()) {
            Ok(fd) => Some(sys::map_info(fd.as_fd()).unwrap().id.0),
            Err(e) if e.is_enoent() => None,
            Err(e) => panic!("obj_get {name}: {e}"),
        }
    }

    /// The map ids the program `prog` uses, from the kernel.
    fn prog_maps(prog: u32) -> Vec<u32> {
        let fd = sys::fd_by_id(sys::IdKind::Prog, prog).unwrap();
        sys::prog_info(fd.as_fd())
            .unwrap()
            .map_ids
            .iter()
            .map(|m| m.0)
            .collect()
    }

    /// Pins a map rawbpf did not create at `<pin root>/sock_ops_map`, as another tool or an
    /// older object would have: key 16 bytes, the given type, value size and max_entries.
    fn pin_foreign_map(&self, map_type: u32, value_size: u32, max_entries: u32) -> sys::MapFd {
        std::fs::create_dir_all(&self.pin_root).unwrap();
        let map = sys::map_create(&sys::MapCreate {
            map_type,
            key_size: 16,
            value_size,
            max_entries,
            name: sys::ObjName::new("sock_ops_map"),
            ..Default::default()
        })
        .unwrap();
        let pin = self.pin_root.join("sock_ops_map");
        sys::obj_pin(map.as_fd(), &pin_root::c_path(&pin).unwrap()).unwrap();
        map
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The index entry a load made for this cgroup and pin root.
        if let Ok(meta) = std::fs::metadata(&self.cgroup)
            && let Some(entry) = crate::attach::index::entry(
                std::os::unix::fs::MetadataExt::ino(&meta),
                &self.pin_root,
            )
        {
            let _ = std::fs::remove_dir(entry);
            // The index itself when no one else's entry is left in it.
            let _ = std::fs::remove_dir(crate::attach::index::dir());
        }
        if let Ok(cg) = Cgroup::open(&self.cgroup) {
            for AttachType(at) in AttachType::CGROUP {
                let Ok(q) = sys::prog_query(cg.fd(), at) else {
                    continue;
                };
                for id in q.prog_ids {
                    if let Ok(fd) = sys::fd_by_id(sys::IdKind::Prog, id.0) {
                        let _ = sys::prog_detach(cg.fd(), Some(fd.as_fd()), at);
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.pin_root);
        let _ = std::fs::remove_dir(&self.cgroup);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// fd count, retried briefly so that a transient fd of a concurrent non-kernel test does not
/// count as a leak.
fn settled_fds(expected: usize) -> usize {
    let mut n = open_fds();
    for _ in 0..20 {
        if n <= expected {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        n = open_fds();
    }
    n
}

#[test]
fn reload_reuses_map_and_replaces_program_without_leaking_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("reload") else {
        return;
    };
    let opts = sb.opts("bpf_sockops.o");

    let first = crate::load(&opts).unwrap();
    let map = first
        .maps
        .iter()
        .find(|m| m.name == "sock_ops_map")
        .unwrap();
    assert_eq!(map.status, MapStatus::CreatedPinned);
    let map_id = map.id;
    let mut prog_id = first.programs[0].id;
    assert_eq!(sb.attached(3), vec![prog_id]);
    assert_eq!(sb.pinned_map("sock_ops_map"), Some(map_id));
    assert!(Sandbox::prog_maps(prog_id).contains(&map_id));

    let fds = open_fds();
    for _ in 0..5 {
        let r = crate::load(&opts).unwrap();
        let m = r.maps.iter().find(|m| m.name == "sock_ops_map").unwrap();
        assert_eq!((m.id, m.status), (map_id, MapStatus::Reused));
        let attach = r.programs[0].attach.as_ref().unwrap();
        assert_eq!(attach.replaced_id, Some(prog_id));
        prog_id = r.programs[0].id;
        assert_eq!(sb.attached(3), vec![prog_id]);
        assert_eq!(sb.pinned_map("sock_ops_map"), Some(map_id));
        assert!(Sandbox::prog_maps(prog_id).contains(&map_id));
    }
    assert_eq!(settled_fds(fds), fds, "fds leaked by load");

    let d = crate::detach(&crate::DetachOptions {
        cgroup: sb.cgroup.clone(),
        pin_root: sb.pin_root.clone(),
        unpin: true,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(d.detached.len(), 1);
    assert_eq!(d.detached[0].id, prog_id);
    assert_eq!(d.unpinned.len(), 1);
    assert!(sb.attached(3).is_empty());
    assert!(!sb.pin_root.exists());
    assert_eq!(settled_fds(fds), fds, "fds leaked by detach");
}

#[test]
fn verifier_failure_leaves_previous_program_and_map() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("verifier") else {
        return;
    };
    let good = crate::load(&sb.opts("bpf_sockops.o")).unwrap();
    let fds = open_fds();
    let err = crate::load(&sb.opts("bpf_sockops_invalid.o")).unwrap_err();
    assert_eq!(err.exit_code(), crate::ExitCode::Verifier, "{err}");
    assert!(
        err.verifier_log()
            .unwrap()
            .contains("invalid unbounded variable-offset")
    );
    assert_eq!(sb.attached(3), vec![good.programs[0].id]);
    // The pin, read from the kernel rather than through `map_ids` under test.
    assert_eq!(sb.pinned_map("sock_ops_map"), Some(good.maps[0].id));
    assert!(Sandbox::prog_maps(good.programs[0].id).contains(&good.maps[0].id));
    assert_eq!(settled_fds(fds), fds, "fds leaked by a failed load");
}

#[test]
fn conflicting_pin_is_refused_with_every_field() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("conflict") else {
        return;
    };
    let other = sb.pin_foreign_map(1, 4, 1024);
    let err = crate::load(&sb.opts("bpf_sockops.o")).unwrap_err();
    assert_eq!(err.exit_code(), crate::ExitCode::MapConflict);
    let Error::PinnedMapConflict { mismatches, .. } = &err else {
        panic!("{err}")
    };
    let fields: Vec<&str> = mismatches.iter().map(|m| m.field).collect();
    assert_eq!(fields, ["type", "value_size", "max_entries"]);
    // The conflicting pin is untouched.
    let other_id = sys::map_info(other.as_fd()).unwrap().id.0;
    assert_eq!(sb.pinned_map("sock_ops_map"), Some(other_id));
    // Nothing was attached, nothing else pinned.
    assert!(sb.attached(3).is_empty());
    assert!(!sb.pin_root.join(pin_root::ATTACHED_DIR).exists());
}

#[test]
fn sk_msg_attaches_to_the_shared_pinned_map() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("skmsg") else {
        return;
    };
    let ops = crate::load(&sb.opts("bpf_sockops.o")).unwrap();
    let msg = crate::load(&sb.opts("bpf_skmsg.o")).unwrap();
    assert_eq!(msg.maps[0].id, ops.maps[0].id);
    assert_eq!(sb.pinned_map("sock_ops_map"), Some(ops.maps[0].id));
    assert!(Sandbox::prog_maps(msg.programs[0].id).contains(&ops.maps[0].id));
    let a = msg.programs[0].attach.as_ref().unwrap();
    assert_eq!(a.attach_type, "sk_msg_verdict");
    let map_fd =
        sys::obj_get(&pin_root::c_path(&sb.pin_root.join("sock_ops_map")).unwrap()).unwrap();
    let at = AttachType::SK_MSG_VERDICT.0;
    // The map record pins it on every kernel; 5.19+ also says so when asked.
    let record = crate::attach::map_records::path(&sb.pin_root, ops.maps[0].id, at, "bpf_redir");
    let recorded = sys::obj_get(&pin_root::c_path(&record).unwrap()).unwrap();
    assert_eq!(
        sys::prog_info(recorded.as_fd()).unwrap().id.0,
        msg.programs[0].id
    );
    match sys::prog_query(map_fd.as_fd(), at) {
        Ok(q) => assert_eq!(
            q.prog_ids.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![msg.programs[0].id]
        ),
        Err(e) => assert_eq!(
            e.errno,
            libc::EINVAL,
            "only a kernel before 5.19 cannot say"
        ),
    }
}

/// Runs `load` with a failure injected at `step`.
fn load_failing_at(opts: &LoadOptions, step: Step) -> Error {
    crate::test_hook::FAIL_AT.with(|f| f.set(Some(step)));
    let r = crate::load(opts);
    crate::test_hook::FAIL_AT.with(|f| f.set(None));
    r.unwrap_err()
}

/// The program ID an attach record pins (the `data` directory beside the records aside).
fn recorded_id(sb: &Sandbox) -> Option<u32> {
    let dir = sb.pin_root.join(pin_root::ATTACHED_DIR);
    let entry = std::fs::read_dir(dir).ok()?.flatten().find(|e| {
        e.file_type().is_ok_and(|t| t.is_file())
            && !e.file_name().to_string_lossy().contains("%link")
    })?;
    let fd = sys::obj_get(&pin_root::c_path(&entry.path()).unwrap()).ok()?;
    Some(sys::prog_info(fd.as_fd()).unwrap().id.0)
}

#[test]
fn failures_after_attach_roll_everything_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("rollback") else {
        return;
    };
    let opts = sb.opts("bpf_sockops.o");

    // First load fails after pinning: nothing attached, no pin, no pin root left behind.
    let fds = open_fds();
    load_failing_at(&opts, Step::AfterPin);
    assert!(sb.attached(3).is_empty());
    assert!(!sb.pin_root.exists(), "pin root left behind");
    assert_eq!(settled_fds(fds), fds);

    let good = crate::load(&opts).unwrap();
    let (prog, map) = (good.programs[0].id, good.maps[0].id);
    for step in [Step::AfterAttach, Step::AfterPin, Step::AfterRecords] {
        load_failing_at(&opts, step);
        assert_eq!(
            sb.attached(3),
            vec![prog],
            "{step:?}: previous program not restored"
        );
        assert_eq!(
            recorded_id(&sb),
            Some(prog),
            "{step:?}: record not restored"
        );
        assert_eq!(
            sb.pinned_map("sock_ops_map"),
            Some(map),
            "{step:?}: pinned map (from the kernel)"
        );
    }
    let again = crate::load(&opts).unwrap();
    assert_eq!(
        again.programs[0].attach.as_ref().unwrap().replaced_id,
        Some(prog)
    );
}

/// The attach record names of the sandbox (the `data` directory beside them aside), with
/// the link pins beside them (`<record>%link`).
fn record_names(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(sb.pin_root.join(pin_root::ATTACHED_DIR))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// [`record_names`] without the link pins.
fn records_only(sb: &Sandbox) -> Vec<String> {
    record_names(sb)
        .into_iter()
        .filter(|n| !n.contains("%link"))
        .collect()
}

#[test]
fn a_failed_rename_puts_the_old_program_and_its_record_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("rename_rollback") else {
        return;
    };
    let good = crate::load(&sb.opts("bpf_sockops.o")).unwrap();
    let prog = good.programs[0].id;
    // The record and the link pinned beside it.
    let before = record_names(&sb);
    assert!(
        before.len() == 2
            && before[0].ends_with("-bpf_add_to_sockhash")
            && before[1] == format!("{}%link", before[0]),
        "{before:?}"
    );

    // The same object with its program renamed (same length, symbol and BTF name).
    let mut bytes = std::fs::read(object("bpf_sockops.o")).unwrap();
    let (from, to) = (b"bpf_add_to_sockhash\0", b"bpf_add_to_sockhas2\0");
    for i in 0..bytes.len() - from.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + to.len()].copy_from_slice(to);
        }
    }
    let dir = std::env::temp_dir().join(format!("rawbpf-unit-{}-renamed", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let renamed = dir.join("renamed.o");
    std::fs::write(&renamed, &bytes).unwrap();
    let opts = LoadOptions {
        object: renamed,
        force: false,
        ..sb.opts("bpf_sockops.o")
    };
    for step in [Step::AfterAttach, Step::AfterRecords] {
        load_failing_at(&opts, step);
        assert_eq!(
            sb.attached(3),
            vec![prog],
            "{step:?}: old program not restored"
        );
        assert_eq!(record_names(&sb), before, "{step:?}: records");
        assert_eq!(recorded_id(&sb), Some(prog), "{step:?}: record's program");
    }
    let r = crate::load(&opts).unwrap();
    let attach = r.programs[0].attach.clone().unwrap();
    assert_eq!(attach.replaced_id, Some(prog));
    assert_eq!(attach.replaced_name.as_deref(), Some("bpf_add_to_sockhash"));
    assert_eq!(sb.attached(3), vec![r.programs[0].id]);
    let after = records_only(&sb);
    assert!(
        after.len() == 1 && after[0].ends_with("-bpf_add_to_sockhas2"),
        "{after:?}"
    );
    // The renamed program took the old name's link over: one link pin, of the new name,
    // running the new program.
    let link_pin = format!("{}%link", after[0]);
    assert_eq!(record_names(&sb), vec![after[0].clone(), link_pin.clone()]);
    let link_path = sb.pin_root.join(pin_root::ATTACHED_DIR).join(link_pin);
    let link = sys::obj_get(&pin_root::c_path(&link_path).unwrap()).unwrap();
    assert_eq!(
        sys::link_info(link.as_fd()).unwrap().prog_id.0,
        r.programs[0].id
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failed_replace_incompatible_puts_the_old_pin_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("replace") else {
        return;
    };
    let other = sb.pin_foreign_map(18, 8, 1024);
    let old_id = sys::map_info(other.as_fd()).unwrap().id.0;
    let pin = sb.pin_root.join("sock_ops_map");
    let pinned_id = || {
        let fd = sys::obj_get(&pin_root::c_path(&pin).unwrap()).unwrap();
        sys::map_info(fd.as_fd()).unwrap().id.0
    };
    let opts = LoadOptions {
        replace_incompatible: true,
        ..sb.opts("bpf_sockops.o")
    };
    for step in [Step::AfterPin, Step::AfterAttach, Step::AfterRecords] {
        load_failing_at(&opts, step);
        assert_eq!(
            pinned_id(),
            old_id,
            "{step:?}: the old pin was not put back"
        );
        assert!(sb.attached(3).is_empty(), "{step:?}");
    }
    let r = crate::load(&opts).unwrap();
    assert_eq!(r.maps[0].status, MapStatus::Recreated);
    assert_eq!(pinned_id(), r.maps[0].id);
    assert_ne!(r.maps[0].id, old_id);
}

#[test]
fn failed_loads_leave_no_directories_and_keep_program_pins() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sb) = Sandbox::new("dirs") else {
        return;
    };
    // iproute2 pins create tc/ and tc/globals/ (and tc/<sha1>/): a failed first load removes
    // them all, and so the pin root.
    let mesh = LoadOptions {
        object: Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/objects/iproute2_sockmesh.o"),
        ..sb.opts("bpf_sockops.o")
    };
    load_failing_at(&mesh, Step::AfterPin);
    assert!(
        !sb.pin_root.exists(),
        "directories left behind by a failed load"
    );

    // --pin-progs: a failed first load leaves no progs/ (nor pin root); a failed reload puts
    // the previous load's program pin back.
    let opts = LoadOptions {
        compat: crate::CompatOptions {
            pin_progs: true,
            ..Default::default()
        },
        ..sb.opts("bpf_sockops.o")
    };
    load_failing_at(&opts, Step::AfterPin);
    assert!(!sb.pin_root.exists(), "progs/ left behind by a failed load");
    let good = crate::load(&opts).unwrap();
    let pin = PathBuf::from(good.programs[0].pin_path.as_ref().unwrap());
    let pinned_id = || {
        let fd = sys::obj_get(&pin_root::c_path(&pin).unwrap()).unwrap();
        sys::prog_info(fd.as_fd()).unwrap().id.0
    };
    assert_eq!(pinned_id(), good.programs[0].id);
    for step in [Step::AfterPin, Step::AfterRecords] {
        load_failing_at(&opts, step);
        assert_eq!(
            pinned_id(),
            good.programs[0].id,
            "{step:?}: program pin not restored"
        );
    }
}

#[test]
fn a_map_type_the_kernel_lacks_is_named_not_einval() {
    let Some(_sb) = Sandbox::new("lacks") else {
        return;
    };
    let _serial = SERIAL.lock();
    let def = rawbpf_elf::MapDef {
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        // No kernel has map type 9999: the kernel says EINVAL, its BTF says why.
        ..crate::map::test_def("future_map", rawbpf_elf::MapType(9999))
    };
    let err = crate::map::create::create(&def, None).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::KernelLacks {
                kernel_enum: "bpf_map_type",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), crate::ExitCode::Environment);
}

#[test]
fn a_lacking_map_type_is_named_before_the_kfunc_that_needs_it() {
    // What an arena object meets before 6.9: its kfunc is missing, and so is its map type,
    // which the refusal names instead (type 9999 stands for a type this kernel lacks).
    let defs = [
        crate::map::test_def("counts", rawbpf_elf::MapType::HASH),
        crate::map::test_def("future_map", rawbpf_elf::MapType(9999)),
    ];
    let err = crate::prepare::object::lacking_map_type(&defs).unwrap();
    let text = err.to_string();
    assert!(
        text.starts_with("map future_map: this kernel (") && text.contains("it needs a newer"),
        "{text}"
    );
    assert!(crate::prepare::object::lacking_map_type(&defs[..1]).is_none());
    // With the release that introduced the type, the refusal says it.
    let arena = crate::host::kernel_types::lacks(
        "map arena".into(),
        "bpf_map_type",
        "arena maps".into(),
        rawbpf_elf::MapType::ARENA.since(),
    );
    assert!(
        arena
            .to_string()
            .ends_with("; arena maps need Linux 6.9 or later"),
        "{arena}"
    );
}

#[test]
fn max_entries_zero_is_named_as_the_tools_size() {
    let Some(_sb) = Sandbox::new("sized") else {
        return;
    };
    let _serial = SERIAL.lock();
    let def = rawbpf_elf::MapDef {
        key_size: 4,
        value_size: 8,
        max_entries: 0,
        ..crate::map::test_def("stack_counts", rawbpf_elf::MapType::HASH)
    };
    let text = crate::map::create::create(&def, None)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("map stack_counts: max_entries is 0 in the object")
            && text.contains("--map stack_counts.max_entries=N"),
        "{text}"
    );
    // A local-storage map must have 0: not this refusal (it is created).
    let storage = rawbpf_elf::MapDef {
        key_size: 4,
        value_size: 8,
        max_entries: 0,
        map_flags: 1, // BPF_F_NO_PREALLOC, which local storage requires
        ..crate::map::test_def("task_store", rawbpf_elf::MapType::TASK_STORAGE)
    };
    if let Err(e) = crate::map::create::create(&storage, None) {
        assert!(!e.to_string().contains("max_entries is 0"), "{e}");
    }
}

#[test]
fn an_arena_without_an_address_is_refused_before_anything_is_created() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/objects/arena_pages.o"
    );
    let mut obj = rawbpf_elf::Object::parse(&std::fs::read(path).unwrap()).unwrap();
    assert!(crate::prepare::object::check_arena_addresses(&obj).is_ok());
    obj.maps[0].map_extra = 0;
    let err = crate::prepare::object::check_arena_addresses(&obj).unwrap_err();
    let text = err.to_string();
    // A kernel without arena maps gets that said instead.
    if crate::host::kernel_types::enum_has("bpf_map_type", 33) == Some(false) {
        assert!(text.contains("arena maps need Linux 6.9"), "{text}");
    } else {
        assert!(
            text.contains("map arena: an arena without map_extra")
                && text.contains("__ulong(map_extra, ADDR)"),
            "{text}"
        );
    }
}

#[test]
fn libbpf_externs_are_probed_and_other_linux_names_refused() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/objects/usdt_probe.o");
    let parsed = rawbpf_elf::Object::parse(&std::fs::read(path).unwrap()).unwrap();
    let mut obj = parsed.clone();
    crate::prepare::externs::fill_kconfig(&mut obj).unwrap();
    let kconfig = obj.data.iter().find(|d| d.name == ".kconfig").unwrap();
    let at = |name: &str| {
        let e = obj.externs.iter().find(|e| e.name == name).unwrap();
        let rawbpf_elf::ExternKind::Kconfig { offset, .. } = e.kind else {
            panic!("{name}")
        };
        kconfig.bytes[offset as usize]
    };
    let cookie = crate::host::kernel_types::enum_has("bpf_func_id", 174) == Some(true);
    assert_eq!(at("LINUX_HAS_BPF_COOKIE"), u8::from(cookie));
    assert_eq!(
        at("LINUX_HAS_SYSCALL_WRAPPER"),
        u8::from(crate::host::kernel_facts::has_syscall_wrapper())
    );
    // A LINUX_* name libbpf does not provide is refused naming the three it does.
    let mut odd = parsed;
    if let Some(e) = odd
        .externs
        .iter_mut()
        .find(|e| e.name == "LINUX_HAS_SYSCALL_WRAPPER")
    {
        e.name = "LINUX_HAS_SOMETHING".into();
    }
    let text = crate::prepare::externs::fill_kconfig(&mut odd)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("extern LINUX_HAS_SOMETHING: not one of the externs libbpf provides"),
        "{text}"
    );
}
