//! Shell completions: clap's scripts for the commands and flags, and, for bash, a wrapper
//! that completes what clap cannot know: object files (`*.o`) for `load`, `inspect` and
//! `detach`, the map pins under the pin root for `map dump|lookup|update|delete NAME`, live map and program IDs
//! for `--id`, `--prog-id`, `map show ID` and `prog show ID`, and directories for `--cgroup`,
//! `--pin-root` and `cgroup tree ROOT`.
//!
//! The IDs come from the binary itself: run with `_RAWBPF_COMPLETE=map-ids` (or
//! `prog-ids`) in its environment, rawbpf prints the live IDs one per line and exits,
//! before parsing its arguments (nothing when it lacks the privilege to list them).

use clap::CommandFactory;

use super::Cli;

/// The environment variable the completion script sets to ask for candidates.
pub const CANDIDATES_VAR: &str = "_RAWBPF_COMPLETE";

/// The command tree completions are generated from: the CLI's, without hidden commands
/// (clap's generators list them otherwise).
pub fn visible_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new("rawbpf")
        .version(env!("CARGO_PKG_VERSION"))
        .about(full.get_about().cloned().unwrap_or_default());
    for arg in full.get_arguments() {
        cmd = cmd.arg(arg.clone());
    }
    // With their arguments built now (the CLI's own tree defers them, `subcommands.rs`).
    for sub in super::subcommands::eager().filter(|s| !s.is_hide_set()) {
        cmd = cmd.subcommand(sub);
    }
    cmd
}

/// If the completion script asked for candidates, prints them and says so (the caller then
/// exits 0); otherwise does nothing.
pub fn answer_candidates() -> bool {
    let Some(kind) = std::env::var_os(CANDIDATES_VAR) else {
        return false;
    };
    let kind = match kind.to_str() {
        Some("map-ids") => rawbpf_syscalls::IdKind::Map,
        Some("prog-ids") => rawbpf_syscalls::IdKind::Prog,
        _ => return true,
    };
    // An error (no privilege to list IDs) ends the list: a completion offers what it can.
    for id in rawbpf_syscalls::ids(kind).map_while(Result::ok) {
        println!("{id}");
    }
    true
}

/// Long options that take a value, over the whole tree: the wrapper must not take their
/// values for positional arguments.
fn value_options(cmd: &clap::Command, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if arg.get_action().takes_values()
            && let Some(long) = arg.get_long()
        {
            let opt = format!("--{long}");
            if !out.contains(&opt) {
                out.push(opt);
            }
        }
    }
    for sub in cmd.get_subcommands() {
        value_options(sub, out);
    }
}

/// The bash wrapper around clap's `_rawbpf`, registered in its place.
pub fn bash_wrapper(cmd: &clap::Command) -> String {
    let mut opts = Vec::new();
    value_options(cmd, &mut opts);
    opts.sort();
    BASH_WRAPPER
        .replace("@VALUE_OPTIONS@", &opts.join("|"))
        .replace("@VAR@", CANDIDATES_VAR)
}

const BASH_WRAPPER: &str = r#"
# rawbpf's own completions; everything else is clap's _rawbpf above.
_rawbpf_candidates() {
    @VAR@="$1" "${COMP_WORDS[0]}" 2>/dev/null
}

_rawbpf_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local root=/sys/fs/bpf/rawbpf i w words=()
    # The words before the cursor that are commands or positionals, not options or their values.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case "$w" in
            --pin-root) root=${COMP_WORDS[i+1]}; ((i++)) ;;
            @VALUE_OPTIONS@) ((i++)) ;;
            -*) ;;
            *) words+=("$w") ;;
        esac
    done
    case "$prev" in
        --id)
            COMPREPLY=($(compgen -W "$(_rawbpf_candidates map-ids)" -- "$cur"))
            return 0 ;;
        --prog-id)
            COMPREPLY=($(compgen -W "$(_rawbpf_candidates prog-ids)" -- "$cur"))
            return 0 ;;
        --cgroup|--pin-root)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur"))
            return 0 ;;
    esac
    if [[ $cur != -* ]]; then
        case "${words[*]}" in
            load|inspect|detach)
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -d -- "$cur"; compgen -f -X '!*.o' -- "$cur"))
                return 0 ;;
            "prog show"|"prog list"|"prog ls")
                COMPREPLY=($(compgen -W "$(_rawbpf_candidates prog-ids)" -- "$cur"))
                return 0 ;;
            "map show"|"map list"|"map ls")
                COMPREPLY=($(compgen -W "$(_rawbpf_candidates map-ids)" -- "$cur"))
                return 0 ;;
            "cgroup tree")
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -d -- "$cur"))
                return 0 ;;
            "map dump"|"map lookup"|"map update"|"map delete")
                local pins=()
                for w in "$root"/*; do
                    [[ -f $w ]] && pins+=("${w##*/}")
                done
                COMPREPLY=($(compgen -W "${pins[*]}" -- "$cur"))
                return 0 ;;
        esac
    fi
    _rawbpf "$@"
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _rawbpf_complete -o nosort -o bashdefault -o default rawbpf
else
    complete -F _rawbpf_complete -o bashdefault -o default rawbpf
fi
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_commands_are_left_out() {
        let cmd = visible_command();
        assert!(cmd.find_subcommand("load").is_some());
        assert!(cmd.find_subcommand("help-markdown").is_none());
    }

    #[test]
    fn wrapper_skips_option_values() {
        let w = bash_wrapper(&visible_command());
        for opt in ["--cgroup", "--id", "--pinned", "--program", "--set"] {
            assert!(w.contains(opt), "{opt} not in the value options");
        }
        assert!(!w.contains("--unpin|"), "--unpin takes no value");
    }
}
