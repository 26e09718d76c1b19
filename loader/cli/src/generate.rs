//! `rawbpf completions SHELL` and `rawbpf man`: shell completions and the man page,
//! generated from the clap definitions so they never drift from the parser.

use clap::CommandFactory;
use serde::Serialize;

use super::completion;
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
    let mut cmd = completion::visible_command();
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
    let mut script = String::from_utf8_lossy(&buf).into_owned();
    if shell == Shell::Bash {
        script.push_str(&completion::bash_wrapper(&cmd));
    }
    script
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
    let mut roff = preformat_examples(&String::from_utf8_lossy(&buf));
    roff.push_str(&man_trailer(sub));
    Ok((man.get_filename(), roff))
}

/// clap_mangen's EXTRA section (the `after_help` text) as a man reader expects it: titled
/// EXAMPLES when it starts with the examples, indented lines (commands) kept as they are
/// instead of filled and justified, blank lines as paragraph breaks.
fn preformat_examples(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len() + 64);
    let mut in_extra = false;
    let mut in_literal = false;
    let mut lines = roff.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(".SH ") {
            if in_literal {
                out.push_str(".fi\n");
                in_literal = false;
            }
            in_extra = line == ".SH EXTRA";
            if in_extra {
                let examples = lines.peek() == Some(&"Examples:");
                out.push_str(if examples {
                    ".SH EXAMPLES\n"
                } else {
                    ".SH NOTES\n"
                });
                if examples {
                    lines.next();
                }
                continue;
            }
        }
        if in_extra {
            let literal = line.starts_with("  ");
            if literal != in_literal {
                out.push_str(if literal { ".nf\n" } else { ".fi\n" });
                in_literal = literal;
            }
            if line.is_empty() && !in_literal {
                out.push_str(".PP\n");
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if in_literal {
        out.push_str(".fi\n");
    }
    out
}

/// The sections clap_mangen does not write: EXIT STATUS, ENVIRONMENT and SEE ALSO.
fn man_trailer(sub: Option<&str>) -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in rawbpf::ExitCode::ALL {
        roff.push_str(&format!(".TP\n{}\n{}\n", code as u8, roff_escape(meaning)));
    }
    roff.push_str(
        ".PP\nNo input makes rawbpf panic (exit 101). With \\fB\\-\\-json\\fR, errors are also\n",
    );
    roff.push_str("printed on stdout as {\"error\": ..., \"exit_code\": N}.\n");
    roff.push_str(".SH ENVIRONMENT\n");
    for (var, meaning) in [
        ("NO_COLOR", "non-empty: no colour on stdout or stderr"),
        (
            "CLICOLOR_FORCE",
            "non-empty: colour even when the output is not a terminal",
        ),
        ("CLICOLOR", "0: no colour"),
        ("TERM", "dumb or unset: no colour"),
    ] {
        roff.push_str(&format!(".TP\n\\fB{var}\\fR\n{}\n", roff_escape(meaning)));
    }
    roff.push_str(".SH \"SEE ALSO\"\n");
    let mut see = Vec::new();
    match sub {
        Some(path) if !path.trim().is_empty() => see.push("\\fBrawbpf\\fR(1)".to_string()),
        _ => see.push("\\fBrawbpf\\-load\\fR(1), \\fBrawbpf\\-map\\fR(1)".to_string()),
    }
    see.push("\\fBbpftool\\fR(8), \\fBbpf\\fR(2), \\fBbpf\\-helpers\\fR(7)".to_string());
    roff.push_str(&see.join(", "));
    roff.push_str("\n.PP\nThe guide: docs/ in the rawbpf source (quickstart, cli, guarantees).\n");
    roff
}

/// Text made safe for roff: backslashes, hyphens (so they stay hyphens), a leading dot.
fn roff_escape(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
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
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH \"SEE ALSO\"",
            "NO_COLOR",
        ] {
            assert!(roff.contains(section), "{section} missing");
        }
        assert!(roff.contains(".TP\n7\n"), "exit code 7 listed");
        let (_, roff) = man(Some("load")).unwrap();
        assert!(
            roff.contains(".SH EXAMPLES\n.nf\n  rawbpf load"),
            "examples kept as lines"
        );
        assert!(!roff.contains(".SH EXTRA"));
    }
}
