//! Running the `rawbpf` binary under test.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Output};

/// The binary cargo built for this test target.
pub const RAWBPF: &str = env!("CARGO_BIN_EXE_rawbpf");

/// `nobody`/`nogroup`: the unprivileged user the tests drop to (`CommandExt::uid`/`gid`).
pub const NOBODY: u32 = 65534;

/// Runs `rawbpf <args>` and returns its output.
pub fn rawbpf<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    rawbpf_with(Command::new(RAWBPF).args(args))
}

/// Runs a prepared `rawbpf` command (for `uid()`/`gid()`).
pub fn rawbpf_with(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("run {RAWBPF}: {e}"))
}

/// Command line, exit status, stdout and stderr, for assertion messages.
pub fn describe(args: &[String], out: &Output) -> String {
    format!(
        "`rawbpf {}` exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts exit 0 and parses stdout as one JSON document.
pub fn parse_json(args: &[String], out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", describe(args, out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", describe(args, out)))
}

/// Asserts the exit code is one of `codes`.
pub fn assert_exit(args: &[String], out: &Output, codes: &[i32]) {
    let code = out.status.code();
    assert!(
        code.is_some_and(|c| codes.contains(&c)),
        "expected exit code {codes:?}; {}",
        describe(args, out)
    );
}

/// Exit 101: a Rust panic under `panic = "unwind"` (the dev and test profiles).
const PANIC_UNWIND_EXIT: i32 = 101;
/// SIGABRT: a Rust panic under `panic = "abort"` (the release profile), as the direct parent
/// sees it.
const SIGABRT: i32 = 6;
/// 128 + SIGABRT: the same abort as a shell or wrapper in between reports it.
const PANIC_ABORT_SHELL_EXIT: i32 = 128 + SIGABRT;

/// How a process that panicked ended, in words, or `None` when its status is not a panic's:
/// exit 101 (unwind), SIGABRT or exit 134 (abort, directly or through a shell). Every
/// "did not panic" check goes through here, so a release build's abort is not taken for an
/// ordinary exit or an unrelated signal.
pub fn panicked(status: &ExitStatus) -> Option<&'static str> {
    match (status.code(), status.signal()) {
        (Some(PANIC_UNWIND_EXIT), _) => Some("panicked (exit 101)"),
        (Some(PANIC_ABORT_SHELL_EXIT), _) => {
            Some("panicked (abort): exit 134, SIGABRT via a shell")
        }
        (_, Some(SIGABRT)) => Some("panicked (abort): killed by SIGABRT"),
        _ => None,
    }
}

/// Asserts that a run ended by itself with an exit code: not a panic ([`panicked`], or
/// `panicked at` on stderr) and not another signal (a crash).
pub fn assert_no_panic(args: &[String], out: &Output) {
    if let Some(how) = panicked(&out.status) {
        panic!("rawbpf {how}: {}", describe(args, out));
    }
    assert!(
        out.status.signal().is_none(),
        "rawbpf was killed by signal {:?}: {}",
        out.status.signal(),
        describe(args, out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked at"),
        "rawbpf panicked: {}",
        describe(args, out)
    );
}

#[test]
fn panic_statuses_are_recognised() {
    // Wait statuses: an exit code sits in bits 8..16, a terminating signal in bits 0..7.
    let exit = |code: i32| ExitStatus::from_raw(code << 8);
    assert!(panicked(&exit(101)).is_some());
    assert!(panicked(&exit(134)).is_some_and(|m| m.contains("panicked (abort)")));
    assert!(
        panicked(&ExitStatus::from_raw(SIGABRT)).is_some_and(|m| m.contains("panicked (abort)"))
    );
    for ok in [exit(0), exit(4), exit(5), ExitStatus::from_raw(9)] {
        assert_eq!(panicked(&ok), None, "{ok}");
    }
}
