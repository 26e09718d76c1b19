//! The e2e harness: a kernel check, per-test cgroup and pin root guards, a `rawbpf` runner,
//! the helper child binary and the connections it holds, and read-only kernel inspection
//! (through `rawbpf_syscalls`, never the CLI under test).

pub mod cgroup;
pub mod child;
pub mod cli;
pub mod conn;
pub mod features;
pub mod kernel;
pub mod pin_root;
pub mod report;
pub mod trampolines;

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use cgroup::TestCgroup;
pub use conn::Connections;
pub use pin_root::TestPinRoot;
pub use report::LoadReport;

/// The test objects built from `bpf-prog/`.
pub const SOCKOPS_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_sockops.o");
pub const SOCKOPS_NOPIN_O: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bpf-prog/bpf_sockops_nopin.o"
);
pub const SOCKOPS_INVALID_O: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bpf-prog/bpf_sockops_invalid.o"
);

/// The pinned map of the sockops objects.
pub const MAP_NAME: &str = "sock_ops_map";

/// `rawbpf-test-<pid>-<test>-<n>`: unique within the machine and the run.
pub fn unique_name(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("rawbpf-test-{}-{test}-{n}", std::process::id())
}

/// One test's kernel surroundings: its own cgroup and pin root, both removed on Drop.
pub struct TestEnv {
    // Field order = drop order: the pins go after the programs are detached.
    pub cgroup: TestCgroup,
    pub pins: TestPinRoot,
}

impl TestEnv {
    /// `None` (after printing SKIPPED) only when the kernel is unavailable and
    /// `RAWBPF_SKIP_KERNEL_TESTS=1`; panics when it is unavailable otherwise.
    pub fn new(test: &str) -> Option<TestEnv> {
        if !kernel::require_kernel(test) {
            return None;
        }
        Some(TestEnv {
            cgroup: TestCgroup::new(test),
            pins: TestPinRoot::new(test),
        })
    }

    pub fn cgroup_path(&self) -> &Path {
        self.cgroup.path()
    }

    /// `<args> --cgroup <test cgroup> --pin-root <test pin root>`.
    pub fn args(&self, args: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.push("--cgroup".into());
        v.push(self.cgroup.path().display().to_string());
        v.push("--pin-root".into());
        v.push(self.pins.path().display().to_string());
        v
    }

    /// Runs `rawbpf <args> --cgroup … --pin-root …`; returns the full argument list too.
    pub fn run(&self, args: &[&str]) -> (Vec<String>, Output) {
        let full = self.args(args);
        let out = cli::rawbpf(&full);
        (full, out)
    }

    /// Runs `rawbpf --json <args> --cgroup … --pin-root …`, asserts exit 0, parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--json".to_string()];
        full.extend(self.args(args));
        let out = cli::rawbpf(&full);
        cli::parse_json(&full, &out)
    }

    /// `rawbpf --json load <obj> [extra]` parsed into a [`LoadReport`].
    pub fn load(&self, obj: &str, extra: &[&str]) -> LoadReport {
        let mut args = vec!["load", obj];
        args.extend_from_slice(extra);
        LoadReport::from_json(&self.json(&args))
    }

    /// Runs `rawbpf <args>` and asserts the exit code is one of `codes`.
    pub fn run_expect(&self, args: &[&str], codes: &[i32]) -> Output {
        let (full, out) = self.run(args);
        cli::assert_exit(&full, &out, codes);
        out
    }

    /// The pinned `sock_ops_map`'s id read from the pin, panicking when there is no pin.
    pub fn pinned_map_id(&self) -> u32 {
        let path = self.pins.join(MAP_NAME);
        kernel::pinned_map_id(&path)
            .unwrap_or_else(|| panic!("no map pinned at {}", path.display()))
    }
}
