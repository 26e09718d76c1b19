//! Running the `rawbpf` binary under test.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// The binary cargo built for this test target.
pub const RAWBPF: &str = env!("CARGO_BIN_EXE_rawbpf");

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
