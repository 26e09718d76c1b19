//! `docs/cli-reference.md`: every command's `--help`, rendered from the clap definitions.
//!
//! The unit test below renders it and compares with the committed file, so the reference
//! cannot drift from the parser; `UPDATE_CLI_REFERENCE=1 cargo test -p rawbpf-cli cli_reference`
//! rewrites the file.

use clap::CommandFactory;

use super::Cli;

const HEADER: &str = "\
# rawbpf command reference

<!-- Generated from the clap definitions by loader/cli/src/reference.rs: do not edit.
     Regenerate with `UPDATE_CLI_REFERENCE=1 cargo test -p rawbpf-cli cli_reference`. -->

The output of `rawbpf help` for every command. The JSON documents, exit codes and the
meaning of each command's output are in [cli.md](cli.md).
";

/// Appends the section of `cmd` (its full name is `path`) and of its subcommands.
fn section(cmd: &mut clap::Command, path: &str, out: &mut String) {
    let help = cmd.render_long_help().to_string();
    let body: Vec<&str> = help.lines().map(str::trim_end).collect();
    let depth = path.matches(' ').count();
    out.push_str(&format!(
        "\n{} `{path}`\n\n```text\n{}\n```\n",
        "#".repeat((depth + 2).min(4)),
        body.join("\n").trim_end()
    ));
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .cloned()
        .collect();
    for mut sub in subs {
        let name = format!("{path} {}", sub.get_name());
        section(&mut sub, &name, out);
    }
}

/// The whole reference page.
pub fn markdown() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = HEADER.to_string();
    section(&mut cmd, "rawbpf", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli-reference.md");

    #[test]
    fn cli_reference_is_current() {
        let want = markdown();
        if std::env::var("UPDATE_CLI_REFERENCE").as_deref() == Ok("1") {
            std::fs::write(PATH, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(
            have == want,
            "docs/cli-reference.md is out of date with the clap definitions; regenerate it with \
             `UPDATE_CLI_REFERENCE=1 cargo test -p rawbpf-cli cli_reference` and commit it"
        );
    }

    #[test]
    fn reference_covers_every_command() {
        let md = markdown();
        for c in [
            "`rawbpf load`",
            "`rawbpf map dump`",
            "`rawbpf map show`",
            "`rawbpf status`",
            "`rawbpf completions`",
            "`rawbpf man`",
            "Usage: rawbpf map dump",
        ] {
            assert!(md.contains(c), "no {c} in the reference");
        }
    }
}
