//! The `rawbpf` command line: see `docs/cli.md` for the contract (commands, exit codes,
//! JSON) and `rawbpf --help` for the workflow. Argument parsing (clap derive), dispatch, and
//! the error/exit-code policy of the binary; the work itself is the `rawbpf` library's.

#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod completion;
mod detach;
mod generate;
mod inspect;
mod load;
mod map;
mod map_edit;
mod map_ids;
mod map_watch;
mod output;
mod prog;
mod reference;
mod status;
mod style;
mod subcommands;
mod verifier;

use clap::Parser;

const AFTER_HELP: &str = "\
Workflow:
  # bpffs must be mounted (once per boot):
  mount -t bpf bpf /sys/fs/bpf          # or add --mount-bpffs to `load`

  # Load, pin sock_ops_map at /sys/fs/bpf/rawbpf/sock_ops_map, attach to the cgroup v2 root:
  rawbpf load bpf-prog/bpf_sockops.o

  # Reload after a rebuild: the pinned map is reused (same map ID, entries kept) and the
  # new program replaces the old one atomically:
  rawbpf load bpf-prog/bpf_sockops.o

  # What is attached, and which maps it uses:
  rawbpf map-ids
  rawbpf status

  # The sockets in the pinned sockhash, keys decoded with BTF:
  rawbpf map dump sock_ops_map

  # Detach what rawbpf attached and remove the pins:
  rawbpf detach --unpin

Exit codes: 0 ok, 1 other error, 2 usage, 3 nothing to detach, 4 environment (bpffs,
cgroup v2, privileges), 5 invalid object, 6 verifier rejected, 7 pinned map conflict.";

/// Pure-Rust eBPF loader: pinned maps that survive reloads, cgroup attach, no libbpf.
#[derive(Debug, Parser)]
#[command(
    name = "rawbpf",
    version,
    about,
    after_help = AFTER_HELP,
    infer_subcommands = true
)]
pub struct Cli {
    /// More output: the full verifier log (also on success), warnings in detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print one JSON document on stdout, on one line (errors as {"error": ..., "exit_code": N}).
    #[arg(short = 'j', long, global = true)]
    pub json: bool,

    /// Print the JSON document indented (implies --json), as bpftool's -p.
    #[arg(short = 'p', long, global = true)]
    pub pretty: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; their names and help lines are in `subcommands.rs`, which builds each
/// one's arguments only when it runs.
#[derive(Debug)]
pub enum Command {
    Inspect(inspect::Args),
    Load(load::Args),
    Detach(detach::Args),
    MapIds(map_ids::Args),
    Map(map::Args),
    Status(status::Args),
    Prog(prog::Args),
    Cgroup(prog::CgroupArgs),
    Completions(generate::CompletionsArgs),
    Man(generate::ManArgs),
    /// Hidden: prints docs/cli-reference.md.
    HelpMarkdown,
}

/// Global flags every command sees.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    pub verbose: bool,
    pub json: bool,
}

/// The `--cgroup` given, or the host's cgroup2 mount (`rawbpf::default_cgroup_root`).
pub(crate) fn cgroup_or_default(
    given: Option<&std::path::Path>,
) -> rawbpf::Result<std::path::PathBuf> {
    given.map_or_else(rawbpf::default_cgroup_root, |p| Ok(p.to_path_buf()))
}

/// A command line clap refused: its message on stderr, exit 2; under `--json` also the
/// documented `{"error", "exit_code"}` document on stdout. `--help` and `--version` are
/// not errors and print as clap prints them.
fn usage_error(e: &clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            2
        } else {
            0
        };
        return std::process::ExitCode::from(code);
    }
    if std::env::args_os()
        .any(|a| ["--json", "-j", "--pretty", "-p"].contains(&a.to_str().unwrap_or("")))
    {
        // clap's first line, without its `error: ` prefix (the rest is usage and tips).
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or_default();
        let text = first.strip_prefix("error: ").unwrap_or(first);
        output::print_json(&serde_json::json!({
            "error": text,
            "exit_code": rawbpf::ExitCode::Usage as i32,
        }));
    }
    let _ = e.print();
    std::process::ExitCode::from(rawbpf::ExitCode::Usage as u8)
}

/// `Cli::try_parse()` without tearing the parser down afterwards: the command tree (every
/// subcommand's arguments, ~60 k instructions to free) and the matches are leaked, since
/// the process ends when the command does. Errors are formatted as `try_parse` does.
fn parse_args() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Cli::command();
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|mut matches| {
            let cli = Cli::from_arg_matches_mut(&mut matches);
            std::mem::forget(matches);
            cli.map_err(|e| e.format(&mut Cli::command()))
        });
    std::mem::forget(command);
    parsed
}

/// Parses the command line, runs the command, prints the result or the error, and returns
/// the documented exit code.
fn main() -> std::process::ExitCode {
    // `rawbpf ... | head` ends quietly instead of panicking on EPIPE.
    rawbpf_syscalls::reset_sigpipe();
    if completion::answer_candidates() {
        return std::process::ExitCode::SUCCESS;
    }
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    output::set_pretty(cli.pretty);
    let g = Global {
        verbose: cli.verbose > 0,
        json: cli.json || cli.pretty,
    };
    let (context, result) = match &cli.command {
        Command::Inspect(a) => (
            format!("inspect {}", a.object.display()),
            inspect::run(a, g),
        ),
        Command::Load(a) => (format!("load {}", a.object.display()), load::run(a, g)),
        Command::Detach(a) => ("detach".to_string(), detach::run(a, g)),
        Command::MapIds(a) => ("map-ids".to_string(), map_ids::run(a, g)),
        Command::Map(a) => (map::context(a), map::run(a, g)),
        Command::Status(a) => ("status".to_string(), status::run(a, g)),
        Command::Prog(a) => (prog::context(a), prog::run(a, g)),
        Command::Cgroup(a) => ("cgroup tree".to_string(), prog::run_cgroup(a, g)),
        Command::Completions(a) => ("completions".to_string(), generate::run_completions(a, g)),
        Command::Man(a) => ("man".to_string(), generate::run_man(a, g)),
        Command::HelpMarkdown => {
            if g.json {
                output::print_json(&serde_json::json!({ "markdown": reference::markdown() }));
            } else {
                print!("{}", reference::markdown());
            }
            ("help-markdown".to_string(), Ok(()))
        }
    };
    let object = match &cli.command {
        Command::Load(a) => Some(a.object.as_path()),
        _ => None,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&context, &e, g, object);
            std::process::ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_anywhere() {
        let c = Cli::try_parse_from(["rawbpf", "load", "x.o", "--json", "-v"]).unwrap();
        assert!(c.json);
        assert_eq!(c.verbose, 1);
        let c = Cli::try_parse_from(["rawbpf", "--json", "map-ids"]).unwrap();
        assert!(c.json);
    }

    #[test]
    fn unique_prefixes_and_aliases() {
        let c = Cli::try_parse_from(["rawbpf", "lo", "x.o"]).unwrap();
        assert!(matches!(c.command, Command::Load(_)));
        let c = Cli::try_parse_from(["rawbpf", "st"]).unwrap();
        assert!(matches!(c.command, Command::Status(_)));
        for words in [["rawbpf", "map", "list"], ["rawbpf", "map", "sh"]] {
            let c = Cli::try_parse_from(words).unwrap();
            let Command::Map(m) = c.command else {
                panic!("not map")
            };
            assert!(matches!(m.command, map::MapCommand::Show(_)), "{words:?}");
        }
        for words in [["rawbpf", "prog", "ls"], ["rawbpf", "p", "list"]] {
            let c = Cli::try_parse_from(words).unwrap();
            assert!(matches!(c.command, Command::Prog(_)), "{words:?}");
        }
        // `ma` is map, map-ids or man: ambiguous, a usage error.
        assert!(Cli::try_parse_from(["rawbpf", "ma"]).is_err());
    }

    #[test]
    fn load_defaults() {
        let c = Cli::try_parse_from(["rawbpf", "load", "x.o"]).unwrap();
        let Command::Load(a) = c.command else {
            panic!("not load")
        };
        let o = a.options(false).expect("options");
        assert_eq!(o, rawbpf::LoadOptions::new("x.o"));
    }

    #[test]
    fn attach_modes() {
        for (arg, mode) in [
            ("multi", rawbpf::AttachMode::Multi),
            ("override", rawbpf::AttachMode::Override),
            ("single", rawbpf::AttachMode::Single),
        ] {
            let c = Cli::try_parse_from(["rawbpf", "load", "x.o", "--attach-mode", arg]).unwrap();
            let Command::Load(a) = c.command else {
                panic!("not load")
            };
            assert_eq!(a.options(false).expect("options").attach_mode, mode);
        }
        assert!(Cli::try_parse_from(["rawbpf", "load", "x.o", "--attach-mode", "bogus"]).is_err());
    }
}
