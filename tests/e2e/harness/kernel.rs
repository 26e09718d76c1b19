//! The kernel as the tests see it: the availability check and read-only inspection through
//! `rawbpf_syscalls`, independent of the CLI under test.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;

use nix::sys::statfs::{BPF_FS_MAGIC, CGROUP2_SUPER_MAGIC, statfs};
use rawbpf_abi::{AttachType, MapType, ProgType};
use rawbpf_syscalls::{IdKind, MapInfo, ProgInfo};

/// The cgroup v2 hierarchy the tests create their cgroups under: the cgroup2 mount in
/// /proc/self/mounts (`/sys/fs/cgroup` on v2-only hosts, `/sys/fs/cgroup/unified` on hybrid
/// ones), read here independently of the library under test.
pub fn cgroup_root() -> &'static str {
    static ROOT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
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
    })
}
/// Where bpffs is (or gets) mounted.
pub const BPFFS: &str = "/sys/fs/bpf";

/// `BPF_CGROUP_SOCK_OPS`.
pub const ATTACH_SOCK_OPS: u32 = AttachType::CGROUP_SOCK_OPS.0;
/// `BPF_PROG_TYPE_SOCK_OPS`.
pub const PROG_TYPE_SOCK_OPS: u32 = ProgType::SOCK_OPS.0;
/// `BPF_MAP_TYPE_SOCKHASH`.
pub const MAP_TYPE_SOCKHASH: u32 = MapType::SOCKHASH.0;
/// `BPF_F_ALLOW_MULTI`.
pub const F_ALLOW_MULTI: u32 = 2;

/// Serialises the bpffs mount between test threads.
static MOUNT_LOCK: Mutex<()> = Mutex::new(());

/// Checks that the kernel side of the tests can run: root, a working bpf(2), cgroup v2 at
/// [`cgroup_root`], bpffs at [`BPFFS`] (mounted here when missing).
///
/// Returns `false` (after printing `SKIPPED: <reason>`) only when `RAWBPF_SKIP_KERNEL_TESTS=1`
/// is set; otherwise an unavailable kernel is a test failure with the reason.
pub fn require_kernel(test: &str) -> bool {
    match kernel_unavailable() {
        None => true,
        Some(reason) => {
            if std::env::var("RAWBPF_SKIP_KERNEL_TESTS").as_deref() == Ok("1") {
                println!("SKIPPED: {test}: {reason} (RAWBPF_SKIP_KERNEL_TESTS=1)");
                false
            } else {
                panic!(
                    "{test}: the kernel tests cannot run: {reason}. \
                     Set RAWBPF_SKIP_KERNEL_TESTS=1 to skip them explicitly."
                )
            }
        }
    }
}

/// Why the kernel tests cannot run, or `None` when they can.
fn kernel_unavailable() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not running as root".into());
    }
    raise_memlock();
    if let Err(e) = rawbpf_syscalls::next_id(IdKind::Map, 0) {
        return Some(format!("bpf(2) does not work here: {e}"));
    }
    let root = cgroup_root();
    match statfs(root) {
        Ok(s) if s.filesystem_type() == CGROUP2_SUPER_MAGIC => {}
        Ok(_) => return Some(format!("{root} is not a cgroup2 mount")),
        Err(e) => return Some(format!("{root}: {e}")),
    }
    let _guard = MOUNT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    match statfs(BPFFS) {
        Ok(s) if s.filesystem_type() == BPF_FS_MAGIC => None,
        Ok(_) => nix::mount::mount(
            Some("bpf"),
            BPFFS,
            Some("bpf"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .err()
        .map(|e| format!("mount -t bpf bpf {BPFFS}: {e}")),
        Err(e) => Some(format!("{BPFFS}: {e}")),
    }
}

/// Kernels before 5.11 charge every BPF map and program to the RLIMIT_MEMLOCK of the
/// creating process, counted per user: the maps the tests create themselves, next to each
/// other's, need more than the default 64 KiB, as any BPF tool there does. The `rawbpf`
/// processes the tests start inherit this; `memlock_limit_is_raised_by_rawbpf` runs one
/// under a zero limit to test rawbpf's own raise.
fn raise_memlock() {
    let inf = libc::RLIM_INFINITY;
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_MEMLOCK, inf, inf);
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// `BPF_PROG_QUERY`: the programs attached directly to `cgroup` for `attach_type`, and the
/// cgroup's attach flags for that type.
pub fn query(cgroup: &Path, attach_type: u32) -> rawbpf_syscalls::Result<(Vec<u32>, u32)> {
    let dir = File::open(cgroup).unwrap_or_else(|e| panic!("open {}: {e}", cgroup.display()));
    let q = rawbpf_syscalls::prog_query(dir.as_fd(), attach_type)?;
    Ok((q.prog_ids.iter().map(|p| p.0).collect(), q.attach_flags))
}

/// The programs attached directly to `cgroup` for `attach_type` (`BPF_PROG_QUERY`).
pub fn attached_prog_ids(cgroup: &Path, attach_type: u32) -> Vec<u32> {
    query(cgroup, attach_type)
        .unwrap_or_else(|e| panic!("prog_query {} type {attach_type}: {e}", cgroup.display()))
        .0
}

/// The one sockops program attached to `cgroup`; panics unless there is exactly one.
pub fn the_sockops_prog(cgroup: &Path) -> u32 {
    let ids = attached_prog_ids(cgroup, ATTACH_SOCK_OPS);
    assert_eq!(
        ids.len(),
        1,
        "expected exactly one sockops program on {}, the kernel has {ids:?}",
        cgroup.display()
    );
    ids[0]
}

/// `BPF_PROG_GET_FD_BY_ID` + `BPF_OBJ_GET_INFO_BY_FD`.
pub fn prog_info(id: u32) -> ProgInfo {
    let fd = rawbpf_syscalls::fd_by_id(IdKind::Prog, id)
        .unwrap_or_else(|e| panic!("prog fd_by_id {id}: {e}"));
    rawbpf_syscalls::prog_info(fd.as_fd()).unwrap_or_else(|e| panic!("prog_info {id}: {e}"))
}

/// The map ids a program uses, sorted.
pub fn prog_map_ids(id: u32) -> Vec<u32> {
    let mut ids: Vec<u32> = prog_info(id).map_ids.iter().map(|m| m.0).collect();
    ids.sort_unstable();
    ids
}

/// `BPF_MAP_GET_FD_BY_ID` + `BPF_OBJ_GET_INFO_BY_FD`; `None` when the id is not live.
pub fn map_info(id: u32) -> Option<MapInfo> {
    match rawbpf_syscalls::fd_by_id(IdKind::Map, id) {
        Ok(fd) => Some(
            rawbpf_syscalls::map_info(fd.as_fd()).unwrap_or_else(|e| panic!("map_info {id}: {e}")),
        ),
        Err(e) if e.is_enoent() => None,
        Err(e) => panic!("map fd_by_id {id}: {e}"),
    }
}

/// The sockhash map among a program's maps (the `sock_ops_map`).
pub fn prog_sockhash_id(prog: u32) -> u32 {
    let ids = prog_map_ids(prog);
    let found: Vec<u32> = ids
        .iter()
        .copied()
        .filter(|&m| map_info(m).is_some_and(|i| i.map_type == MAP_TYPE_SOCKHASH))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "program {prog} uses maps {ids:?}; sockhash maps among them: {found:?}"
    );
    found[0]
}

/// `BPF_OBJ_GET` on a pin + `BPF_OBJ_GET_INFO_BY_FD`: the pinned map's id, `None` when there
/// is no pin at `path`.
pub fn pinned_map_id(path: &Path) -> Option<u32> {
    match rawbpf_syscalls::obj_get(&cstring(path)) {
        Ok(fd) => Some(
            rawbpf_syscalls::map_info(fd.as_fd())
                .unwrap_or_else(|e| panic!("map_info of pin {}: {e}", path.display()))
                .id
                .0,
        ),
        Err(e) if e.is_enoent() => None,
        Err(e) => panic!("obj_get {}: {e}", path.display()),
    }
}

/// The ID of the program pinned at `path`; `None` when nothing is pinned there.
pub fn pinned_prog_id(path: &Path) -> Option<u32> {
    match rawbpf_syscalls::obj_get(&cstring(path)) {
        Ok(fd) => Some(
            rawbpf_syscalls::prog_info(fd.as_fd())
                .unwrap_or_else(|e| panic!("prog_info of pin {}: {e}", path.display()))
                .id
                .0,
        ),
        Err(e) if e.is_enoent() => None,
        Err(e) => panic!("obj_get {}: {e}", path.display()),
    }
}

/// Every entry of map `id` as (key bytes, value bytes), via `BPF_MAP_GET_NEXT_KEY` and
/// `BPF_MAP_LOOKUP_ELEM` (for a sockhash the value read from user space is the socket
/// cookie).
pub fn map_entries(id: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let fd = rawbpf_syscalls::fd_by_id(IdKind::Map, id)
        .unwrap_or_else(|e| panic!("map fd_by_id {id}: {e}"));
    let (fd, info) =
        rawbpf_syscalls::MapFd::open(fd).unwrap_or_else(|e| panic!("map_info {id}: {e}"));
    let mut out = Vec::new();
    let mut key: Option<Vec<u8>> = None;
    loop {
        let mut next = vec![0u8; info.key_size as usize];
        let more = rawbpf_syscalls::map_get_next_key(&fd, key.as_deref(), &mut next)
            .unwrap_or_else(|e| panic!("map_get_next_key on map {id}: {e}"));
        if !more {
            break;
        }
        let mut value = vec![0u8; info.value_size as usize];
        // An entry deleted between the two calls is skipped.
        if rawbpf_syscalls::map_lookup_elem(&fd, &next, &mut value)
            .unwrap_or_else(|e| panic!("map_lookup_elem on map {id}: {e}"))
        {
            out.push((next.clone(), value));
        }
        key = Some(next);
    }
    out
}

/// Every live map id (`BPF_MAP_GET_NEXT_ID`).
pub fn live_map_ids() -> Vec<u32> {
    rawbpf_syscalls::ids(IdKind::Map)
        .map(|r| r.unwrap_or_else(|e| panic!("map id iteration: {e}")))
        .collect()
}

/// The live maps whose kernel name is `name` (other tests' maps included: compare ids).
pub fn live_map_ids_named(name: &str) -> Vec<u32> {
    live_map_ids()
        .into_iter()
        .filter(|&id| map_info(id).is_some_and(|i| i.name == name))
        .collect()
}

/// Polls `check` (every 20 ms, at most ~5 s) until it returns `Some`; `None` if it never
/// does. For kernel state that settles asynchronously (RCU-deferred frees): the caller
/// asserts the state, not a duration.
pub fn poll<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..250 {
        if let Some(v) = check() {
            return Some(v);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    check()
}

/// The running kernel's configuration where a user's host has it (`/proc/config.gz`, else
/// `/boot/config-<release>`), read independently of rawbpf; `None` on kernels that expose
/// neither (Debian ships the file in /boot, which a test guest may not have).
pub fn kernel_config() -> Option<String> {
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            "zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r) 2>/dev/null",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.contains("CONFIG_BPF_SYSCALL=").then_some(text)
}

/// The live programs whose kernel name is `name` (other tests' programs included: compare
/// ids), via `BPF_PROG_GET_NEXT_ID`; a program freed while walked is skipped.
pub fn live_prog_ids_named(name: &str) -> Vec<u32> {
    rawbpf_syscalls::ids(IdKind::Prog)
        .map(|r| r.unwrap_or_else(|e| panic!("prog id iteration: {e}")))
        .filter(|&id| match rawbpf_syscalls::fd_by_id(IdKind::Prog, id) {
            Ok(fd) => rawbpf_syscalls::prog_info(fd.as_fd()).is_ok_and(|i| i.name == name),
            Err(e) if e.is_enoent() => false,
            Err(e) => panic!("prog fd_by_id {id}: {e}"),
        })
        .collect()
}

/// A map without BTF made by the test itself (`map_type`, 4-byte keys, 8-byte values, 4
/// entries), pinned at `path` (a test's own pin root) for the CLI to find.
pub fn pinned_plain_map(map_type: u32, name: &str, path: &Path) -> rawbpf_syscalls::MapFd {
    let fd = rawbpf_syscalls::map_create(&rawbpf_syscalls::MapCreate {
        map_type,
        key_size: 4,
        value_size: 8,
        max_entries: 4,
        map_flags: 0,
        name: rawbpf_syscalls::ObjName::new(name),
        inner_map_fd: None,
        numa_node: None,
        btf_fd: None,
        btf_key_type_id: 0,
        btf_value_type_id: 0,
        map_extra: 0,
    })
    .unwrap_or_else(|e| panic!("create map {name}: {e}"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    }
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    rawbpf_syscalls::obj_pin(fd.as_fd(), &c)
        .unwrap_or_else(|e| panic!("pin {name} at {}: {e}", path.display()));
    fd
}

/// A trivial sock_ops program (`r0 = 1; exit`) loaded the way another tool would, not
/// attached: for tests that need a program next to rawbpf's that is not rawbpf's.
pub fn load_foreign_sockops(name: &str) -> std::os::fd::OwnedFd {
    const RET_ONE: [u8; 16] = [
        0xb7, 0, 0, 0, 1, 0, 0, 0, // mov r0, 1
        0x95, 0, 0, 0, 0, 0, 0, 0, // exit
    ];
    let spec = rawbpf_syscalls::ProgLoad {
        prog_type: rawbpf_abi::ProgType::SOCK_OPS.0,
        expected_attach_type: 0,
        name: rawbpf_syscalls::ObjName::new(name),
        insns: &RET_ONE,
        license: c"GPL",
        kern_version: 0,
        prog_flags: 0,
        prog_btf_fd: None,
        func_info: &[],
        line_info: &[],
        attach_btf_id: 0,
    };
    rawbpf_syscalls::prog_load(&spec, 0, None)
        .unwrap_or_else(|e| panic!("load a foreign sock_ops program: {e}"))
}

/// `LINUX_KERNEL_VERSION` as libbpf's `get_kernel_version()` computes it: the upstream
/// version Ubuntu (`/proc/version_signature`) or Debian (`uname -v`: `Debian 5.10.209-2`)
/// record, else the release's first three numbers; each part capped at 255.
pub fn libbpf_kernel_version() -> u64 {
    let three = |text: &str| -> Option<Vec<u64>> {
        let nums: Vec<u64> = text
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        (nums.len() == 3).then_some(nums)
    };
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let signature = read("/proc/version_signature");
    let version = read("/proc/sys/kernel/version");
    let nums = signature
        .split_whitespace()
        .nth(2)
        .and_then(three)
        .or_else(|| three(version.split("Debian ").nth(1)?))
        .unwrap_or_else(|| {
            let release = read("/proc/sys/kernel/osrelease");
            release
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .take(3)
                .map(|p| p.parse().unwrap())
                .collect()
        });
    (nums[0] << 16) | (nums[1].min(255) << 8) | nums[2].min(255)
}
