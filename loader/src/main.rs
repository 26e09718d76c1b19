//! The `rawbpf` command line: see `docs/cli.md` for the contract (commands, exit codes,
//! JSON) and `rawbpf --help` for the workflow.

#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;

fn main() -> std::process::ExitCode {
    // `rawbpf ... | head` ends quietly instead of panicking on EPIPE.
    rawbpf_syscalls::reset_sigpipe();
    cli::main()
}
