//! `rawbpf-e2e-child`: the helper processes the e2e tests (`tests/e2e`) start, each in a test
//! cgroup or a process of its own; built only with the `test-hook` feature, never installed.
//!
//! - `connect <cgroup> <n>`: holds `n` TCP connections on 127.0.0.1 open ([`connect`]).
//! - `traffic <cgroup>`: opens connection pairs and moves data on command ([`traffic`]).
//! - `leak <cgroup> <pin root> <cycles> <object>`: load/detach cycles through the library
//!   ([`leak`]).
//!
//! Each speaks line by line on stdout (`CONN`, `READY`, `OK`, `SEEN`, ...), read by the parent
//! side in `tests/e2e`; a failure is a panic (exit 101, or SIGABRT with `panic = "abort"`).

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect;
mod leak;
mod traffic;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words[..] {
        ["connect", cgroup, n] => connect::run(cgroup, n.parse().expect("connect: count")),
        ["traffic", cgroup] => traffic::run(cgroup),
        ["leak", cgroup, pin_root, cycles, object] => leak::run(
            PathBuf::from(cgroup),
            PathBuf::from(pin_root),
            cycles.parse().expect("leak: cycles"),
            object,
        ),
        _ => panic!(
            "usage: rawbpf-e2e-child connect CGROUP N | traffic CGROUP | \
             leak CGROUP PIN_ROOT CYCLES OBJECT (got {args:?})"
        ),
    }
}

/// Moves this process into `cgroup`, before any socket exists: a socket belongs to its
/// creator's cgroup.
fn join(cgroup: &str) {
    std::fs::write(format!("{cgroup}/cgroup.procs"), "0")
        .unwrap_or_else(|e| panic!("join {cgroup}: {e}"));
}
