//! The `rawbpf` command line: see `docs/cli.md` for the contract (commands, exit codes,
//! JSON) and `rawbpf --help` for the workflow.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
