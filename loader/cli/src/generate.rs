//! `rawbpf completions SHELL` and `rawbpf man`: shell completions and the man page,
//! generated from the clap definitions so they never drift from the parser.

use clap::CommandFactory;
use serde::Serialize;

use super::output::print_json;
use super::{Cli, Global};

/// Shells `completions` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install:
  rawbpf completions bash > /etc/bash_completion.d/rawbpf
  rawbpf completions zsh  > \"${fpath[1]}/_rawbpf\"
  rawbpf completions fish > ~/.config/fish/completions/rawbpf.fish")]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install:
  rawbpf man > /usr/local/share/man/man1/rawbpf.1
  rawbpf man map > /usr/local/share/man/man1/rawbpf-map.1")]
pub struct ManArgs {
    /// A command (e.g. `load`, `map`, or `map dump`) to print the page of instead of
    /// rawbpf(1).
    pub command: Vec<String>,
}

/// `completions` with `--json`.
#[derive(Debug, Serialize)]
struct CompletionsJson<'a> {
    shell: &'a str,
    script: String,
}

/// `man` with `--json`.
#[derive(Debug, Serialize)]
struct ManJson {
    page: String,
    roff: String,
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "rawbpf", &mut buf)
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "rawbpf", &mut buf)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "rawbpf", &mut buf)
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn shell_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
    }
}

/// The man page of rawbpf or of one subcommand, as (file name, roff).
pub fn man(sub: Option<&str>) -> rawbpf::Result<(String, String)> {
    let mut root = Cli::command();
    root.build();
    // A nested command is named by its path: `man "map dump"` (or `man map dump`). After
    // `build()` each display name is `rawbpf-<path>` and each bin name `rawbpf <path>`,
    // which the page's title and synopsis use.
    let mut cmd = root;
    for word in sub.unwrap_or_default().split_whitespace() {
        let next = cmd
            .get_subcommands()
            .find(|c| c.get_name() == word && !c.is_hide_set())
            .cloned()
            .ok_or_else(|| rawbpf::Error::BadArgument {
                what: format!(
                    "no command {:?} (see `rawbpf --help`; a nested one is named by its path, \
                     as in `rawbpf man map dump`)",
                    sub.unwrap_or_default()
                ),
            })?;
        cmd = next;
    }
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render(&mut buf).map_err(|source| rawbpf::Error::Io {
        what: "render the man page",
        path: "-".into(),
        source,
    })?;
    Ok((
        man.get_filename(),
        String::from_utf8_lossy(&buf).into_owned(),
    ))
}

pub fn run_completions(args: &CompletionsArgs, g: Global) -> rawbpf::Result<()> {
    let script = completions(args.shell);
    if g.json {
        print_json(&CompletionsJson {
            shell: shell_name(args.shell),
            script,
        });
    } else {
        print!("{script}");
    }
    Ok(())
}

pub fn run_man(args: &ManArgs, g: Global) -> rawbpf::Result<()> {
    let path = args.command.join(" ");
    let (page, roff) = man((!path.is_empty()).then_some(path.as_str()))?;
    if g.json {
        print_json(&ManJson { page, roff });
    } else {
        print!("{roff}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_generate_for_every_shell() {
        for (shell, marker) in [
            (Shell::Bash, "complete -F"),
            (Shell::Zsh, "#compdef rawbpf"),
            (Shell::Fish, "complete -c rawbpf"),
        ] {
            let s = completions(shell);
            assert!(s.contains(marker), "{shell:?}: no {marker:?} in\n{s}");
            for word in ["load", "map", "dump", "status", "pin-root"] {
                assert!(s.contains(word), "{shell:?} completions lack {word}");
            }
        }
    }

    #[test]
    fn man_pages_render() {
        let (name, roff) = man(None).unwrap();
        assert_eq!(name, "rawbpf.1");
        assert!(roff.starts_with(".ie \\n(.g .ds Aq"), "{}", &roff[..80]);
        assert!(roff.contains(".TH rawbpf 1"), "{roff}");
        assert!(roff.contains("map\\-ids"), "subcommands listed");
        let (name, roff) = man(Some("map")).unwrap();
        assert_eq!(name, "rawbpf-map.1");
        assert!(roff.contains("dump"), "{roff}");
        assert!(man(Some("nope")).is_err());
        let (name, roff) = man(Some("map dump")).unwrap();
        assert_eq!(name, "rawbpf-map-dump.1");
        assert!(roff.contains("\\-\\-pinned"), "{roff}");
        assert!(man(Some("map nope")).is_err());
    }
}
