//! End-to-end tests of the rawbpf binary against the real kernel.
//!
//! Each test owns a child cgroup of the cgroup2 mount (/sys/fs/cgroup or /sys/fs/cgroup/unified) and a pin root under /sys/fs/bpf
//! (see `harness`), and asserts kernel state read through `rawbpf_syscalls`, not the CLI's
//! words. Without a usable kernel they fail with the reason, unless
//! `RAWBPF_SKIP_KERNEL_TESTS=1` is set.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

/// The crash tests pause the real binary at a step of `load`, which only a build with the
/// crash-test hook can do: without it they would not run, so this fails instead.
#[cfg(not(feature = "test-hook"))]
#[test]
fn crash_tests_need_the_test_hook_feature() {
    assert!(
        std::env::var_os("RAWBPF_SKIP_KERNEL_TESTS").is_some(),
        "the crash tests (reliability_crash) need `--features rawbpf-cli/test-hook`; \
         tests/run.sh turns it on"
    );
}

mod cgroup_default;
mod climb;
mod completions;
mod detach;
mod errors;
mod map_ids;
mod mount_bpffs;
mod privilege;
mod reload;
mod reload_program_set;
mod sockets;

mod reliability_common;
mod reliability_conflict;
mod reliability_corpus;
#[cfg(feature = "test-hook")]
mod reliability_crash;
mod reliability_env;
mod reliability_leak;
mod reliability_race;
mod reliability_reload;
#[cfg(feature = "test-hook")]
mod seeded;

mod json_schema;
mod map_dump;
mod map_edit;
mod show;
mod static_binary;
mod status;
mod verifier_output;

mod links;
mod raw_tp;
mod reload_cost;
mod skmsg;
mod skmsg_outside;
mod xdp;

mod compat_btf;
mod compat_common;
mod compat_forms;
mod compat_maps;
mod compat_objects;
mod compat_run;
mod compat_sections;
mod compat_sizes;
