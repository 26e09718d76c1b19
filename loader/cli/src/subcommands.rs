//! The top-level subcommands, declared by hand instead of `#[derive(Subcommand)]` so that
//! each one's arguments are built only when it is the one invoked (`Command::defer`): clap
//! otherwise builds every subcommand's arguments (the `map` tree alone is ~60 k
//! instructions) and propagates the global flags into each, at every start. `--help`,
//! completions, the man page and docs/cli-reference.md see the same tree: clap builds the
//! deferred parts whenever it walks the whole tree.

use clap::error::ErrorKind;
use clap::{ArgMatches, Args, FromArgMatches, Subcommand};

use crate::{Command, detach, generate, inspect, load, map, map_ids, prog, status};

/// One subcommand: its name, its one-line help, whether `--help` lists it, and what adds
/// its arguments.
struct Entry {
    name: &'static str,
    about: &'static str,
    hidden: bool,
    arguments: fn(clap::Command) -> clap::Command,
}

const fn entry<A: Args>(name: &'static str, about: &'static str) -> Entry {
    Entry {
        name,
        about,
        hidden: false,
        arguments: deferred::<A>,
    }
}

/// The order here is the order of `rawbpf --help`.
const ENTRIES: [Entry; 11] = [
    entry::<inspect::Args>(
        "inspect",
        "Show what an object file contains: programs, maps, global data, BTF (no privileges)",
    ),
    entry::<load::Args>(
        "load",
        "Load an object: create or reuse pinned maps, load programs, attach them",
    ),
    entry::<detach::Args>(
        "detach",
        "Detach programs rawbpf attached to a cgroup; optionally remove the map pins",
    ),
    entry::<map_ids::Args>(
        "map-ids",
        "List programs attached to a cgroup and the maps they use, with kernel IDs",
    ),
    entry::<map::Args>(
        "map",
        "Inspect and change loaded maps: `map dump`, `map show`, `map lookup|update|delete|pin`",
    ),
    entry::<status::Args>(
        "status",
        "One screen: bpffs, the pin root, what is attached to the cgroup, maps and entries",
    ),
    entry::<prog::Args>(
        "prog",
        "The host's BPF programs: `prog show` (full names, owners)",
    ),
    entry::<prog::CgroupArgs>(
        "cgroup",
        "The cgroup v2 hierarchy: `cgroup tree` (programs attached at each cgroup)",
    ),
    entry::<generate::CompletionsArgs>(
        "completions",
        "Print shell completions (bash, zsh, fish) generated from the argument definitions",
    ),
    entry::<generate::ManArgs>(
        "man",
        "Print the man page (roff) generated from the argument definitions",
    ),
    Entry {
        name: "help-markdown",
        about: "Print docs/cli-reference.md (every command's --help as markdown)",
        hidden: true,
        arguments: |c| c,
    },
];

/// Adds `A`'s arguments; the one-line help set before stays (an `Args` struct's own doc
/// comment would otherwise replace it, as the derive's order does not let it).
fn deferred<A: Args>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let cmd = A::augment_args(cmd);
    match about {
        Some(about) => cmd.about(about).long_about(None),
        None => cmd,
    }
}

/// Every subcommand with its arguments added now, not deferred: for walks over the tree
/// that do not build it first (the bash completion wrapper's list of value options).
pub fn eager() -> impl Iterator<Item = clap::Command> {
    ENTRIES.iter().map(|e| {
        (e.arguments)(
            clap::Command::new(e.name)
                .about(e.about)
                .long_about(None)
                .hide(e.hidden),
        )
    })
}

impl Subcommand for Command {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        ENTRIES.iter().fold(cmd, |cmd, e| {
            cmd.subcommand(
                clap::Command::new(e.name)
                    .about(e.about)
                    .long_about(None)
                    .hide(e.hidden)
                    .defer(e.arguments),
            )
        })
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        ENTRIES.iter().any(|e| e.name == name)
    }
}

impl FromArgMatches for Command {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, mut sub)) = matches.remove_subcommand() else {
            return Err(clap::Error::raw(
                ErrorKind::MissingSubcommand,
                "a subcommand is required\n",
            ));
        };
        let m = &mut sub;
        Ok(match name.as_str() {
            "inspect" => Command::Inspect(inspect::Args::from_arg_matches_mut(m)?),
            "load" => Command::Load(load::Args::from_arg_matches_mut(m)?),
            "detach" => Command::Detach(detach::Args::from_arg_matches_mut(m)?),
            "map-ids" => Command::MapIds(map_ids::Args::from_arg_matches_mut(m)?),
            "map" => Command::Map(map::Args::from_arg_matches_mut(m)?),
            "status" => Command::Status(status::Args::from_arg_matches_mut(m)?),
            "prog" => Command::Prog(prog::Args::from_arg_matches_mut(m)?),
            "cgroup" => Command::Cgroup(prog::CgroupArgs::from_arg_matches_mut(m)?),
            "completions" => {
                Command::Completions(generate::CompletionsArgs::from_arg_matches_mut(m)?)
            }
            "man" => Command::Man(generate::ManArgs::from_arg_matches_mut(m)?),
            "help-markdown" => Command::HelpMarkdown,
            other => {
                return Err(clap::Error::raw(
                    ErrorKind::InvalidSubcommand,
                    format!("the subcommand '{other}' wasn't recognized\n"),
                ));
            }
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
