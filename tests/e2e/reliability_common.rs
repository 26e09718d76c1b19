//! Helpers of the reliability tests (`reliability_*.rs`, `docs/guarantees.md`): running the
//! binary with the no-panic check every one of them applies, and snapshots of the state a
//! load must leave alone.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::cli::{self, RAWBPF, assert_no_panic};
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, TestEnv};

/// The compatibility fixtures (`tests/corpus/compat/`).
pub fn compat(name: &str) -> String {
    format!(
        "{}/../../tests/corpus/compat/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs `rawbpf <args>`, asserts no panic and an exit code in `codes`.
pub fn run<S: AsRef<OsStr>>(args: &[S], codes: &[i32]) -> Output {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let out = cli::rawbpf(&args);
    assert_no_panic(&args, &out);
    cli::assert_exit(&args, &out, codes);
    out
}

/// Runs a prepared command (env, uid), asserts no panic and an exit code in `codes`.
pub fn run_cmd(cmd: &mut Command, codes: &[i32]) -> Output {
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let out = cli::rawbpf_with(cmd);
    assert_no_panic(&args, &out);
    cli::assert_exit(&args, &out, codes);
    out
}

/// `rawbpf <args> --cgroup … --pin-root …` of `env`, checked like [`run`].
pub fn run_env(env: &TestEnv, args: &[&str], codes: &[i32]) -> Output {
    run(&env.args(args), codes)
}

/// A fresh `Command` for the binary under test.
pub fn command() -> Command {
    Command::new(RAWBPF)
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a load must not change: the sockops programs on the cgroup, the pinned map's id
/// and entries, and every file under the pin root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub attached: Vec<u32>,
    pub map_id: Option<u32>,
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    pub files: Vec<PathBuf>,
}

impl Snapshot {
    pub fn take(env: &TestEnv) -> Snapshot {
        let map_id = kernel::pinned_map_id(&env.pins.join(MAP_NAME));
        let mut entries = map_id.map(kernel::map_entries).unwrap_or_default();
        entries.sort();
        Snapshot {
            attached: kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
            map_id,
            entries,
            files: env.pins.contents(),
        }
    }
}

/// The file names directly under `dir` (sorted), empty when it does not exist.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The attach record names in record directory `dir`: its entries but `data`, the
/// directory of the data map pins beside the records, and the link pins beside them
/// ([`link_pin_names`]).
pub fn record_names(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n != "data" && !n.contains("%link"))
        .collect()
}

/// The link pins in record directory `dir` (`<record>%link[-<owner>]`).
pub fn link_pin_names(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n.contains("%link"))
        .collect()
}
