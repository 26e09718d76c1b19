//! End-to-end tests of the rawbpf binary against the real kernel.
//!
//! Each test owns a child cgroup of /sys/fs/cgroup/unified and a pin root under /sys/fs/bpf
//! (see `harness`), and asserts kernel state read through `rawbpf_syscalls`, not the CLI's
//! words. Without a usable kernel they fail with the reason, unless
//! `RAWBPF_SKIP_KERNEL_TESTS=1` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod climb;
mod detach;
mod errors;
mod map_ids;
mod privilege;
mod reload;
mod sockets;

/// The connection child (`harness::conn`): does nothing unless `RAWBPF_E2E_CHILD` is set,
/// i.e. unless the harness re-executed this binary to hold connections in a test cgroup.
#[test]
fn child_entry() {
    if let Ok(spec) = std::env::var(harness::conn::CHILD_ENV) {
        harness::conn::child_main(&spec);
    }
}
