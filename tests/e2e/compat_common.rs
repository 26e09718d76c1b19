//! Helpers of the `compat_*` tests: the objects of `tests/objects/`, program pins, running a
//! pinned program with `BPF_PROG_TEST_RUN` and reading its `.bss`.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rawbpf_syscalls as sys;
use serde_json::Value;

use crate::harness::TestEnv;

/// Path of a test object of `tests/objects/`.
pub fn object(name: &str) -> String {
    format!("{}/../../tests/objects/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `rawbpf --json load <object> --no-attach --pin-progs <extra>`: programs stay loaded
/// through their pins in the test's pin root (removed with it).
pub fn load_pinned(env: &TestEnv, name: &str, extra: &[&str]) -> Value {
    let obj = object(name);
    let mut args = vec!["load", obj.as_str(), "--no-attach", "--pin-progs"];
    args.extend_from_slice(extra);
    env.json(&args)
}

/// The program pinned by `--pin-progs` as `name`.
pub fn pinned_prog(env: &TestEnv, name: &str) -> OwnedFd {
    let path = env.pins.path().join("progs").join(name);
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    sys::obj_get(&c).unwrap_or_else(|e| panic!("obj_get {}: {e}", path.display()))
}

/// Runs a pinned tc / socket program once on a 64-byte IPv4-ish packet; its return value.
pub fn run_once(prog: &OwnedFd) -> u32 {
    let mut pkt = [0u8; 64];
    pkt[12] = 0x08; // ETH_P_IP
    sys::prog_test_run(prog.as_fd(), &pkt, 1)
        .unwrap_or_else(|e| panic!("test run: {e}"))
        .retval
}

/// The value of the program's one-entry map whose kernel name ends in `suffix` (`.bss`).
pub fn data_of(prog: &OwnedFd, suffix: &str) -> Vec<u8> {
    let info = sys::prog_info(prog.as_fd()).unwrap();
    for id in &info.map_ids {
        let fd = sys::fd_by_id(sys::IdKind::Map, id.0).unwrap();
        let (fd, m) = sys::MapFd::open(fd).unwrap();
        if m.name.ends_with(suffix) {
            let mut v = vec![0u8; m.value_size as usize];
            assert!(sys::map_lookup_elem(&fd, &0u32.to_ne_bytes(), &mut v).unwrap());
            return v;
        }
    }
    panic!("program has no map named *{suffix}");
}

/// `u64` number `i` of a byte buffer (host order).
pub fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap())
}

/// The `programs` / `maps` array entry named `name` of a load report.
pub fn named<'v>(report: &'v Value, list: &str, name: &str) -> &'v Value {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {report}"))
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list} of {report}"))
}

/// True when a path exists under bpffs.
pub fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// `rawbpf <args>` in the test's environment, which must exit with `code`; its stderr.
pub fn stderr_of(env: &TestEnv, args: &[&str], code: i32) -> String {
    let out = env.run_expect(args, &[code]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `rawbpf --json <args>` in `env`, asserts exit `code`, and returns the error
/// document's message.
pub fn error_of(env: &TestEnv, args: &[&str], code: i32) -> String {
    let mut full = vec!["--json".to_string()];
    full.extend(env.args(args));
    let out = crate::harness::cli::rawbpf(&full);
    crate::harness::cli::assert_exit(&full, &out, &[code]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", crate::harness::cli::describe(&full, &out)));
    v["error"].as_str().unwrap_or_default().to_string()
}
