//! Tests against the running kernel's bpf(2). They need root (or CAP_BPF + CAP_NET_ADMIN +
//! CAP_SYS_ADMIN for bpffs and cgroups) and FAIL with the reason when bpf(2) is not usable:
//! a skipped kernel test that prints "ok" would hide a gap.
//!
//! Every test pins in its own directory on bpffs and attaches to its own child cgroup
//! under the cgroup2 mount; `Drop` guards remove both even when the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use rawbpf_abi::{AttachType, MapType, ProgType};
use rawbpf_syscalls::{
    AttachFlags, IdKind, MIN_LOG_SIZE, MapCreate, MapFd, MapId, ObjKind, ObjName, ProgId, ProgLoad,
    UpdateFlags, btf_load, fd_by_id, ids, map_create, map_delete_elem, map_freeze,
    map_get_next_key, map_info, map_lookup_elem, map_update_elem, next_id, obj_get, obj_info_kind,
    obj_pin, prog_attach, prog_detach, prog_get_fd_by_id, prog_info, prog_load, prog_query,
    prog_query_with_capacity,
};

const BPF_MAP_TYPE_HASH: u32 = MapType::HASH.0;
const BPF_MAP_TYPE_ARRAY: u32 = MapType::ARRAY.0;
const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = MapType::PERCPU_ARRAY.0;
const BPF_PROG_TYPE_SOCK_OPS: u32 = ProgType::SOCK_OPS.0;
const BPF_CGROUP_SOCK_OPS: u32 = AttachType::CGROUP_SOCK_OPS.0;
const BPFFS: &str = "/sys/fs/bpf";
/// The cgroup2 mount in /proc/self/mounts: `/sys/fs/cgroup` on v2-only hosts,
/// `/sys/fs/cgroup/unified` on hybrid ones.
fn cgroup2_root() -> String {
    let table = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mounts: Vec<&str> = table
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&"cgroup2")).then(|| f[1])
        })
        .collect();
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .find(|w| mounts.contains(w))
        .or_else(|| mounts.first().copied())
        .unwrap_or("/sys/fs/cgroup")
        .to_string()
}

/// `r0 = 1; exit`.
const RET_ONE: [u8; 16] = [
    0xb7, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // mov r0, 1
    0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // exit
];

/// `exit` without setting r0: the verifier rejects it with `R0 !read_ok`.
const BARE_EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A name unique to this test process and call.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Unwrap a kernel result or fail the test saying that bpf(2) is needed.
#[track_caller]
fn kernel<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!(
            "{what}: {e}\n(these tests need a working bpf(2): Linux with BPF enabled, run as \
             root or with CAP_BPF/CAP_NET_ADMIN/CAP_SYS_ADMIN)"
        ),
    }
}

fn array_map(name: &str, value_size: u32, max_entries: u32) -> MapFd {
    kernel(
        map_create(&MapCreate {
            map_type: BPF_MAP_TYPE_ARRAY,
            key_size: 4,
            value_size,
            max_entries,
            map_flags: 0,
            name: ObjName::new(name),
            inner_map_fd: None,
            numa_node: None,
            btf_fd: None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            map_extra: 0,
        }),
        "BPF_MAP_CREATE array",
    )
}

fn prog_spec<'a>(name: &str, insns: &'a [u8]) -> ProgLoad<'a> {
    ProgLoad {
        prog_type: BPF_PROG_TYPE_SOCK_OPS,
        expected_attach_type: 0,
        name: ObjName::new(name),
        insns,
        license: c"GPL",
        kern_version: 0,
        prog_flags: 0,
        prog_btf_fd: None,
        func_info: &[],
        line_info: &[],
        attach_btf_id: 0,
    }
}

fn load_ret_one(name: &str) -> OwnedFd {
    kernel(
        prog_load(&prog_spec(name, &RET_ONE), 0, None),
        "BPF_PROG_LOAD r0=1",
    )
}

/// `ld_imm64 r1, map_fd; r0 = 1; exit`.
fn insns_using_map(map: BorrowedFd<'_>) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let mut v = vec![0x18, 0x11, 0, 0];
    v.extend_from_slice(&map.as_raw_fd().to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&RET_ONE);
    v
}

/// Serialises the bpffs mount check across test threads.
static MOUNT: Mutex<()> = Mutex::new(());

fn bpffs_mounted() -> bool {
    std::fs::read_to_string("/proc/self/mounts")
        .map(|m| {
            m.lines()
                .any(|l| l.split(' ').nth(1) == Some(BPFFS) && l.split(' ').nth(2) == Some("bpf"))
        })
        .unwrap_or(false)
}

/// A fresh directory on bpffs, removed with everything pinned in it on drop.
struct PinDir(PathBuf);

impl PinDir {
    fn new() -> PinDir {
        {
            let _g = MOUNT.lock().unwrap_or_else(|e| e.into_inner());
            if !bpffs_mounted() {
                let st = std::process::Command::new("mount")
                    .args(["-t", "bpf", "bpf", BPFFS])
                    .status();
                assert!(
                    matches!(st, Ok(s) if s.success()),
                    "mount -t bpf bpf {BPFFS} failed: {st:?}"
                );
            }
        }
        let dir = Path::new(BPFFS).join(unique("rawbpf-systest"));
        kernel(std::fs::create_dir(&dir), "mkdir on bpffs");
        PinDir(dir)
    }

    fn path(&self, name: &str) -> CString {
        kernel(
            CString::new(self.0.join(name).into_os_string().into_encoded_bytes()),
            "path",
        )
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh child cgroup of the v2 hierarchy; on drop, every program still attached for
/// the types in `types` is detached and the cgroup removed.
struct Cgroup {
    path: PathBuf,
    dir: File,
    types: Vec<u32>,
}

impl Cgroup {
    fn new(types: &[u32]) -> Cgroup {
        let path = Path::new(&cgroup2_root()).join(unique("rawbpf-systest"));
        kernel(std::fs::create_dir(&path), "mkdir child cgroup");
        let dir = kernel(File::open(&path), "open child cgroup");
        Cgroup {
            path,
            dir,
            types: types.to_vec(),
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for &t in &self.types {
            if let Ok(q) = prog_query(self.dir.as_fd(), t) {
                for id in q.prog_ids {
                    if let Ok(p) = prog_get_fd_by_id(id) {
                        let _ = prog_detach(self.dir.as_fd(), Some(p.as_fd()), t);
                    }
                }
            }
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[test]
fn array_map_info_and_elements() {
    let map = array_map("rawbpf_arr", 8, 4);
    let info = kernel(map_info(map.as_fd()), "map_info");
    assert_eq!(info.map_type, BPF_MAP_TYPE_ARRAY);
    assert_eq!(
        (info.key_size, info.value_size, info.max_entries),
        (4, 8, 4)
    );
    assert_eq!(info.name, "rawbpf_arr");
    assert_ne!(info.id, MapId(0));
    assert_eq!(obj_info_kind(map.as_fd()), ObjKind::Map);

    let key = 1u32.to_ne_bytes();
    let val = 0x1122_3344_5566_7788u64.to_ne_bytes();
    kernel(
        map_update_elem(&map, &key, &val, UpdateFlags::Any),
        "update",
    );
    let mut out = [0u8; 8];
    assert!(kernel(map_lookup_elem(&map, &key, &mut out), "lookup"));
    assert_eq!(out, val);
    // Out of range key: ENOENT is Ok(false).
    assert!(!kernel(
        map_lookup_elem(&map, &9u32.to_ne_bytes(), &mut out),
        "lookup 9"
    ));
    // NoExist on an array is EEXIST.
    let e = map_update_elem(&map, &key, &val, UpdateFlags::NoExist).unwrap_err();
    assert_eq!(e.errno, libc::EEXIST);

    // Too-short buffers are refused before the kernel writes past them.
    let e = map_lookup_elem(&map, &key, &mut [0u8; 4]).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL);
    let e = map_update_elem(&map, &[0u8; 2], &val, UpdateFlags::Any).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL);

    // Iteration over the array: keys 0..4.
    let mut keys = Vec::new();
    let mut next = [0u8; 4];
    let mut cur: Option<[u8; 4]> = None;
    while kernel(
        map_get_next_key(&map, cur.as_ref().map(|k| &k[..]), &mut next),
        "next_key",
    ) {
        keys.push(u32::from_ne_bytes(next));
        cur = Some(next);
    }
    assert_eq!(keys, vec![0, 1, 2, 3]);

    // Frozen: user-space writes are EPERM, reads still work.
    kernel(map_freeze(map.as_fd()), "freeze");
    let e = map_update_elem(&map, &key, &val, UpdateFlags::Any).unwrap_err();
    assert_eq!(e.errno, libc::EPERM, "{e}");
    assert_eq!(
        e.to_string(),
        "BPF_MAP_UPDATE_ELEM: operation not permitted (errno 1)"
    );
    assert!(kernel(
        map_lookup_elem(&map, &key, &mut out),
        "lookup frozen"
    ));
}

#[test]
fn hash_map_delete_round_trip() {
    let map = kernel(
        map_create(&MapCreate {
            map_type: BPF_MAP_TYPE_HASH,
            key_size: 4,
            value_size: 4,
            max_entries: 8,
            map_flags: 0,
            name: ObjName::new("rawbpf_hash"),
            inner_map_fd: None,
            numa_node: None,
            btf_fd: None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            map_extra: 0,
        }),
        "BPF_MAP_CREATE hash",
    );
    let mut next = [0u8; 4];
    assert!(!kernel(
        map_get_next_key(&map, None, &mut next),
        "first key of empty"
    ));
    let k = 7u32.to_ne_bytes();
    kernel(
        map_update_elem(&map, &k, &5u32.to_ne_bytes(), UpdateFlags::NoExist),
        "insert",
    );
    assert!(kernel(map_get_next_key(&map, None, &mut next), "first key"));
    assert_eq!(next, k);
    assert!(kernel(map_delete_elem(&map, &k), "delete"));
    assert!(!kernel(map_delete_elem(&map, &k), "delete again"));
    let mut v = [0u8; 4];
    assert!(!kernel(map_lookup_elem(&map, &k, &mut v), "lookup deleted"));
    let e = map_update_elem(&map, &k, &v, UpdateFlags::Exist).unwrap_err();
    assert_eq!(e.errno, libc::ENOENT);
}

#[test]
fn percpu_values_are_one_slot_per_cpu() {
    let map = kernel(
        map_create(&MapCreate {
            map_type: BPF_MAP_TYPE_PERCPU_ARRAY,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            map_flags: 0,
            name: ObjName::new("rawbpf_pcpu"),
            inner_map_fd: None,
            numa_node: None,
            btf_fd: None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            map_extra: 0,
        }),
        "BPF_MAP_CREATE percpu array",
    );
    let cpus = kernel(rawbpf_syscalls::possible_cpus(), "possible cpus");
    assert_eq!(map.value_len().unwrap(), 8 * cpus);
    let key = 0u32.to_ne_bytes();
    let e = map_lookup_elem(&map, &key, &mut [0u8; 4]).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL);
    let mut vals = vec![0u8; 8 * cpus];
    for (i, slot) in vals.chunks_mut(8).enumerate() {
        slot[..4].copy_from_slice(&(i as u32 + 10).to_ne_bytes());
    }
    kernel(
        map_update_elem(&map, &key, &vals, UpdateFlags::Any),
        "update percpu",
    );
    let mut out = vec![0u8; 8 * cpus];
    assert!(kernel(
        map_lookup_elem(&map, &key, &mut out),
        "lookup percpu"
    ));
    assert_eq!(out, vals);
}

#[test]
fn pin_get_and_ids() {
    let dir = PinDir::new();
    let map = array_map("rawbpf_pin", 4, 1);
    let id = kernel(map_info(map.as_fd()), "map_info").id;
    let path = dir.path("map");
    kernel(obj_pin(map.as_fd(), &path), "BPF_OBJ_PIN");
    let got = kernel(obj_get(&path), "BPF_OBJ_GET");
    assert_eq!(kernel(map_info(got.as_fd()), "map_info pinned").id, id);

    let e = obj_get(&dir.path("missing")).unwrap_err();
    assert!(e.is_enoent(), "{e}");
    assert_eq!(e.errno, libc::ENOENT);
    // Pinning twice at one path is EEXIST.
    assert_eq!(obj_pin(map.as_fd(), &path).unwrap_err().errno, libc::EEXIST);

    let all: Vec<u32> = ids(IdKind::Map)
        .map(|r| kernel(r, "BPF_MAP_GET_NEXT_ID"))
        .collect();
    assert!(all.contains(&id.0), "{id:?} not in {all:?}");
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    // IDs are below INT_MAX; the kernel refuses larger start ids, next_id answers None.
    assert_eq!(
        kernel(next_id(IdKind::Map, i32::MAX as u32 - 1), "next_id at end"),
        None
    );
    assert_eq!(
        kernel(next_id(IdKind::Map, u32::MAX), "next_id past end"),
        None
    );

    let by_id = kernel(fd_by_id(IdKind::Map, id.0), "BPF_MAP_GET_FD_BY_ID");
    assert_eq!(kernel(map_info(by_id.as_fd()), "map_info by id").id, id);
    // A handle opened from an fd takes the sizes the kernel reports.
    let (opened, info) = kernel(MapFd::open(got), "MapFd::open");
    assert_eq!(info.id, id);
    assert_eq!(
        (opened.map_type(), opened.key_size(), opened.value_size()),
        (BPF_MAP_TYPE_ARRAY, 4, 4)
    );
    let mut v = [0u8; 4];
    assert!(kernel(
        map_lookup_elem(&opened, &0u32.to_ne_bytes(), &mut v),
        "lookup opened"
    ));
    let e = map_lookup_elem(&opened, &0u32.to_ne_bytes(), &mut [0u8; 3]).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL);
    assert!(fd_by_id(IdKind::Map, u32::MAX).unwrap_err().is_enoent());
}

#[test]
fn load_trivial_program() {
    let prog = load_ret_one("rawbpf_ret1");
    assert_eq!(obj_info_kind(prog.as_fd()), ObjKind::Prog);
    let info = kernel(prog_info(prog.as_fd()), "prog_info");
    assert_eq!(info.prog_type, BPF_PROG_TYPE_SOCK_OPS);
    assert_eq!(info.name, "rawbpf_ret1");
    assert!(info.map_ids.is_empty());
    assert!(info.gpl_compatible);
    assert_eq!(info.xlated_prog_len, 16);
    // The translated instructions in the info call itself, or in a second call when the
    // buffer was too small; the same bytes as the separate command.
    let xlated = kernel(
        rawbpf_syscalls::prog_xlated_insns(prog.as_fd(), info.xlated_prog_len),
        "xlated",
    );
    assert_eq!(xlated, RET_ONE);
    for capacity in [16, 8, 4096] {
        let (again, insns) = kernel(
            rawbpf_syscalls::prog_info_and_xlated(prog.as_fd(), capacity),
            "prog_info_and_xlated",
        );
        assert_eq!(
            (again.id, &insns),
            (info.id, &xlated),
            "capacity {capacity}"
        );
    }
    let (_, none) = kernel(
        rawbpf_syscalls::prog_info_and_xlated(prog.as_fd(), 0),
        "prog_info_and_xlated 0",
    );
    assert!(none.is_empty());
    assert_ne!(info.id, ProgId(0));
    assert_ne!(info.tag, [0; 8]);

    let all: Vec<u32> = ids(IdKind::Prog)
        .map(|r| kernel(r, "BPF_PROG_GET_NEXT_ID"))
        .collect();
    assert!(all.contains(&info.id.0));
    let again = kernel(prog_get_fd_by_id(info.id), "BPF_PROG_GET_FD_BY_ID");
    assert_eq!(
        kernel(prog_info(again.as_fd()), "prog_info by id").id,
        info.id
    );
}

#[test]
fn program_map_ids() {
    let map = array_map("rawbpf_used", 4, 1);
    let map_id = kernel(map_info(map.as_fd()), "map_info").id;
    let insns = insns_using_map(map.as_fd());
    let prog = kernel(
        prog_load(&prog_spec("rawbpf_usemap", &insns), 0, None),
        "load with map",
    );
    drop(map); // the program keeps the map alive
    let info = kernel(prog_info(prog.as_fd()), "prog_info");
    assert_eq!(info.map_ids, vec![map_id]);
}

#[test]
fn verifier_log_on_failure() {
    let mut log = vec![0u8; 64 * 1024];
    let e = prog_load(&prog_spec("rawbpf_bad", &BARE_EXIT), 1, Some(&mut log)).unwrap_err();
    assert_eq!(e.source.errno, libc::EACCES, "{e}");
    assert!(e.log.contains("R0 !read_ok"), "log: {}", e.log);
    // log_true_size is 6.4+; older kernels leave it 0.
    assert!(e.log_true_size == 0 || (e.log_true_size as usize) <= log.len());
    assert!(e.log_true_size != 0 || !has_log_true_size());
    assert!(!e.is_log_truncated());

    // Without a log buffer: same errno, empty log.
    let e = prog_load(&prog_spec("rawbpf_bad", &BARE_EXIT), 1, None).unwrap_err();
    assert_eq!(e.source.errno, libc::EACCES);
    assert!(e.log.is_empty());

    // Instructions that are not whole 8-byte units are refused before the syscall.
    let e = prog_load(&prog_spec("rawbpf_bad", &RET_ONE[..12]), 0, None).unwrap_err();
    assert_eq!(e.source.errno, libc::EINVAL);
}

#[test]
fn small_log_is_enospc_with_true_size() {
    // Under 128 bytes is refused before the syscall, on every kernel alike.
    let mut tiny = vec![0u8; 16];
    let e = prog_load(&prog_spec("rawbpf_log", &RET_ONE), 1, Some(&mut tiny)).unwrap_err();
    assert_eq!(e.source.errno, libc::EINVAL, "{e}");

    // Level 1|2|4 (states and statistics) writes more than the smallest buffer holds.
    let mut log = vec![0u8; MIN_LOG_SIZE];
    let e = prog_load(&prog_spec("rawbpf_log", &RET_ONE), 7, Some(&mut log)).unwrap_err();
    assert_eq!(e.source.errno, libc::ENOSPC, "{e}");
    assert!(e.is_log_truncated());
    // 6.4+ says how much it needs; older kernels say 0 and the caller grows the buffer.
    assert_eq!(e.log_true_size > MIN_LOG_SIZE as u32, has_log_true_size());
    // Level 4 prints the verification time in microseconds, so a second load can need a few
    // bytes more than the first said: leave room for its digits.
    let size = if has_log_true_size() {
        e.log_true_size as usize + 64
    } else {
        64 * 1024
    };
    let mut log = vec![0u8; size];
    let prog = kernel(
        prog_load(&prog_spec("rawbpf_log", &RET_ONE), 7, Some(&mut log)),
        "reload",
    );
    drop(prog);
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("processed"), "log: {text}");
}

#[test]
fn cgroup_attach_replace_detach() {
    let cg = Cgroup::new(&[BPF_CGROUP_SOCK_OPS]);
    let target = cg.dir.as_fd();
    let p1 = load_ret_one("rawbpf_att1");
    let p2 = load_ret_one("rawbpf_att2");
    let id1 = kernel(prog_info(p1.as_fd()), "info p1").id;
    let id2 = kernel(prog_info(p2.as_fd()), "info p2").id;

    let q = kernel(prog_query(target, BPF_CGROUP_SOCK_OPS), "query empty");
    assert!(q.prog_ids.is_empty());

    kernel(
        prog_attach(
            target,
            p1.as_fd(),
            BPF_CGROUP_SOCK_OPS,
            AttachFlags::ALLOW_MULTI,
            None,
        ),
        "BPF_PROG_ATTACH multi",
    );
    let q = kernel(
        prog_query(target, BPF_CGROUP_SOCK_OPS),
        "query after attach",
    );
    assert_eq!(q.prog_ids, vec![id1]);
    assert_eq!(q.attach_flags, AttachFlags::ALLOW_MULTI.0);
    // Per-program flags are 5.19+; an older kernel reports none.
    let want_flags = if has_prog_attach_flags() {
        vec![AttachFlags::ALLOW_MULTI.0]
    } else {
        vec![]
    };
    assert_eq!(q.prog_attach_flags, want_flags);

    kernel(
        prog_attach(
            target,
            p2.as_fd(),
            BPF_CGROUP_SOCK_OPS,
            AttachFlags(AttachFlags::ALLOW_MULTI.0 | AttachFlags::REPLACE.0),
            Some(p1.as_fd()),
        ),
        "BPF_PROG_ATTACH replace",
    );
    let q = kernel(
        prog_query(target, BPF_CGROUP_SOCK_OPS),
        "query after replace",
    );
    assert_eq!(q.prog_ids, vec![id2]);

    // Detaching a program that is not attached is ENOENT.
    let e = prog_detach(target, Some(p1.as_fd()), BPF_CGROUP_SOCK_OPS).unwrap_err();
    assert_eq!(e.errno, libc::ENOENT);
    kernel(
        prog_detach(target, Some(p2.as_fd()), BPF_CGROUP_SOCK_OPS),
        "BPF_PROG_DETACH",
    );
    let q = kernel(
        prog_query(target, BPF_CGROUP_SOCK_OPS),
        "query after detach",
    );
    assert!(q.prog_ids.is_empty());
}

#[test]
fn query_grows_past_initial_capacity() {
    let cg = Cgroup::new(&[BPF_CGROUP_SOCK_OPS]);
    let target = cg.dir.as_fd();
    let progs: Vec<OwnedFd> = (0..5)
        .map(|i| load_ret_one(&format!("rawbpf_q{i}")))
        .collect();
    let mut want = Vec::new();
    for p in &progs {
        want.push(kernel(prog_info(p.as_fd()), "info").id);
        kernel(
            prog_attach(
                target,
                p.as_fd(),
                BPF_CGROUP_SOCK_OPS,
                AttachFlags::ALLOW_MULTI,
                None,
            ),
            "attach",
        );
    }
    let q = kernel(
        prog_query_with_capacity(target, BPF_CGROUP_SOCK_OPS, 2),
        "query cap 2",
    );
    assert_eq!(q.prog_ids, want);
    assert_eq!(
        q.prog_attach_flags.len(),
        if has_prog_attach_flags() { 5 } else { 0 }
    );
    let q = kernel(prog_query(target, BPF_CGROUP_SOCK_OPS), "query");
    assert_eq!(q.prog_ids, want);
}

/// A BTF blob with one type: `int` (4 bytes, signed, 32 bits).
fn int_btf() -> Vec<u8> {
    let strings = b"\0int\0";
    let mut types = Vec::new();
    types.extend_from_slice(&1u32.to_le_bytes()); // name_off "int"
    types.extend_from_slice(&(1u32 << 24).to_le_bytes()); // kind INT, vlen 0
    types.extend_from_slice(&4u32.to_le_bytes()); // size
    types.extend_from_slice(&((1u32 << 24) | 32).to_le_bytes()); // BTF_INT_SIGNED, 32 bits
    let mut b = Vec::new();
    b.extend_from_slice(&0xeb9fu16.to_le_bytes());
    b.push(1); // version
    b.push(0); // flags
    b.extend_from_slice(&24u32.to_le_bytes()); // hdr_len
    b.extend_from_slice(&0u32.to_le_bytes()); // type_off
    b.extend_from_slice(&(types.len() as u32).to_le_bytes());
    b.extend_from_slice(&(types.len() as u32).to_le_bytes()); // str_off
    b.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    b.extend_from_slice(&types);
    b.extend_from_slice(strings);
    b
}

#[test]
fn btf_load_valid_and_garbage() {
    let mut log = vec![0u8; 64 * 1024];
    let btf = kernel(btf_load(&int_btf(), Some(&mut log)), "BPF_BTF_LOAD int");
    assert_eq!(obj_info_kind(btf.as_fd()), ObjKind::Btf);

    let log_text = |log: &[u8]| {
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        String::from_utf8_lossy(&log[..end]).into_owned()
    };
    let mut log = vec![0u8; 64 * 1024];
    let e = btf_load(&[0xffu8; 32], Some(&mut log)).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL, "{e}");
    let text = log_text(&log);
    assert!(text.contains("btf_header not found"), "log: {text}");

    let mut bad_magic = int_btf();
    bad_magic[0] = 0;
    let mut log = vec![0u8; 64 * 1024];
    let e = btf_load(&bad_magic, Some(&mut log)).unwrap_err();
    assert_eq!(e.errno, libc::EINVAL, "{e}");
    let text = log_text(&log);
    assert!(text.contains("magic"), "log: {text}");
}

/// True when `union bpf_attr` has `prog_attach_flags` (5.19+), from the kernel's own BTF.
fn has_prog_attach_flags() -> bool {
    std::fs::read("/sys/kernel/btf/vmlinux")
        .map(|b| b.windows(18).any(|w| w == b"prog_attach_flags\0"))
        .unwrap_or(false)
}

/// True when `union bpf_attr` has `log_true_size` (6.4+), read from the kernel's own BTF.
fn has_log_true_size() -> bool {
    std::fs::read("/sys/kernel/btf/vmlinux")
        .map(|b| b.windows(14).any(|w| w == b"log_true_size\0"))
        .unwrap_or(false)
}

#[path = "kernel/link.rs"]
mod link;
