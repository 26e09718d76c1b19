//! The e2e helper binary `rawbpf-e2e-child` (`tests/e2e/child/`): the processes the tests
//! start in a test cgroup or on their own, one subcommand each.

use std::process::{Command, ExitStatus};

use super::cli;

/// Where cargo builds the helper. Cargo names the path even when the helper's required
/// feature is off and it is not built (a stale copy may then sit there), so the feature is
/// checked as well.
const CHILD: Option<&str> = option_env!("CARGO_BIN_EXE_rawbpf-e2e-child");

/// A `Command` for `rawbpf-e2e-child <subcommand>`; panics when the helper was not built.
pub fn command(subcommand: &str) -> Command {
    let exe = CHILD
        .filter(|p| cfg!(feature = "test-hook") && std::path::Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "the e2e tests need --features rawbpf-cli/test-hook; tests/run.sh turns it on \
                 (it builds the helper rawbpf-e2e-child)"
            )
        });
    let mut cmd = Command::new(exe);
    cmd.arg(subcommand);
    cmd
}

/// How a child ended, in words for an assertion message: a panic named as one.
pub fn describe(status: &ExitStatus) -> String {
    match cli::panicked(status) {
        Some(how) => format!("{how} ({status})"),
        None => status.to_string(),
    }
}
