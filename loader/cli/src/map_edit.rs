//! `rawbpf map lookup|update|delete|pin`, and the map selection (NAME / --id / --pinned) they
//! share with `map dump`.

use std::path::PathBuf;

use rawbpf::{EntryInput, MapEditOptions, MapEntryReport, MapSelector, UpdateMode};

use super::Global;
use super::output::print_json;

/// Which map: NAME under the pin root, `--id` or `--pinned` (exactly one).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("map").required(true).args(["name", "id", "pinned"])))]
pub struct Target {
    /// Name of a map pinned under the pin root.
    pub name: Option<String>,
    /// Kernel ID of the map (as `map show` and `map-ids` print it).
    #[arg(long, value_name = "ID")]
    pub id: Option<u32>,
    /// Path of a pinned map anywhere on bpffs.
    #[arg(long, value_name = "PATH")]
    pub pinned: Option<PathBuf>,
    /// bpffs directory NAME is looked up in.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
}

impl Target {
    pub fn selector(&self) -> MapSelector {
        match (&self.name, self.id, &self.pinned) {
            (_, Some(id), _) => MapSelector::Id(id),
            (_, _, Some(p)) => MapSelector::Pinned(p.clone()),
            (name, _, _) => MapSelector::Name {
                pin_root: self.pin_root.clone(),
                name: name.clone().unwrap_or_default(),
            },
        }
    }

    /// `flows`, `--id 7`, `--pinned /sys/fs/bpf/x`: the map as the command line named it.
    pub fn describe(&self) -> String {
        match self.selector() {
            MapSelector::Id(id) => format!("--id {id}"),
            MapSelector::Pinned(p) => format!("--pinned {}", p.display()),
            MapSelector::Name { name, .. } => name,
        }
    }
}

/// The map and a key.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("key_input").required(true).args(["key", "key_hex"])))]
pub struct KeyArgs {
    #[command(flatten)]
    pub target: Target,
    /// The key, as BTF fields (`sip4=127.0.0.1,sport=40000`) or a number.
    ///
    /// Typed as `map dump` shows it: struct fields by name (FIELD=VALUE, comma-separated;
    /// fields left out are zero), fields named like IPv4/IPv6 addresses (sip4, dip4, *_ip,
    /// saddr, ...) as addresses, other integers as numbers in host order (the sockops
    /// program's ports), enums by name, char arrays as "text". Without BTF for the key: a
    /// plain number for a 4- or 8-byte key, else --key-hex. --value takes the same forms.
    #[arg(long, value_name = "FIELDS")]
    pub key: Option<String>,
    /// The key as hex bytes (`7f 00 00 01` or `7f000001`).
    #[arg(long, value_name = "HEX")]
    pub key_hex: Option<String>,
}

impl KeyArgs {
    fn options(&self, value: Option<EntryInput>, mode: UpdateMode) -> MapEditOptions {
        MapEditOptions {
            map: self.target.selector(),
            key: input(self.key.as_ref(), self.key_hex.as_ref()),
            value,
            mode,
        }
    }
}

fn input(text: Option<&String>, hex: Option<&String>) -> EntryInput {
    match (text, hex) {
        (_, Some(h)) => EntryInput::Hex(h.clone()),
        (t, None) => EntryInput::Text(t.cloned().unwrap_or_default()),
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf map lookup sock_ops_map --key sip4=127.0.0.1,dip4=127.0.0.1,sport=40000,dport=8080
  rawbpf map lookup --id 7 --key-hex \"01 00 00 00\" --json

A SOCKHASH or SOCKMAP value read from user space is the socket's cookie, shown in hex as
`ss -e` shows it (sk:...). Exit code 3 when the map has no entry with that key.")]
pub struct LookupArgs {
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `--flags` of `map update`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Flags {
    /// Create or replace (BPF_ANY).
    Any,
    /// Only create: fail when the key exists (BPF_NOEXIST).
    Noexist,
    /// Only replace: fail when the key does not exist (BPF_EXIST, exit code 3).
    Exist,
}

#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("value_input").required(true).args(["value", "value_hex"])),
    after_help = "\
Examples:
  rawbpf map update flows --key saddr=10.0.0.1,daddr=10.0.0.2,sport=40000,dport=80 \\
      --value 'packets=1,tag=\"web\"'
  rawbpf map update knobs --key 0 --value 42 --flags exist
  rawbpf map update --id 7 --key-hex 01000000 --value-hex 2a00000000000000

Refused for maps whose values are file descriptors (SOCKHASH, SOCKMAP, PROG_ARRAY, map of
maps). A per-CPU map gets the value on every CPU.")]
pub struct UpdateArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// The value, as BTF fields or a number.
    #[arg(long, value_name = "FIELDS")]
    pub value: Option<String>,
    /// The value as hex bytes.
    #[arg(long, value_name = "HEX")]
    pub value_hex: Option<String>,
    /// Create or replace (any), only create (noexist), only replace (exist).
    #[arg(long, value_enum, default_value_t = Flags::Any)]
    pub flags: Flags,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf map delete flows --key saddr=10.0.0.1,daddr=10.0.0.2,sport=40000,dport=80
  rawbpf map delete sock_ops_map --key-hex \"7f 00 00 01 7f 00 00 01 40 9c 00 00 90 1f 00 00\"

Exit code 3 when the map has no entry with that key.")]
pub struct DeleteArgs {
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf map pin --id 7 /sys/fs/bpf/rawbpf/counters

PATH must be on bpffs and must not exist (rawbpf never replaces a pin).")]
pub struct PinArgs {
    /// Kernel ID of the map to pin.
    #[arg(long, value_name = "ID")]
    pub id: u32,
    /// Where to pin it (on bpffs).
    pub path: PathBuf,
}

/// `map lookup flows`, `map pin --id 7 PATH`: the context of error messages.
pub fn context(op: &str, key: &KeyArgs) -> String {
    format!("map {op} {}", key.target.describe())
}

pub fn lookup(a: &LookupArgs, g: Global) -> rawbpf::Result<()> {
    let r = rawbpf::map_lookup(&a.key.options(None, UpdateMode::Any))?;
    print(&r, None, g);
    Ok(())
}

pub fn update(a: &UpdateArgs, g: Global) -> rawbpf::Result<()> {
    let mode = match a.flags {
        Flags::Any => UpdateMode::Any,
        Flags::Noexist => UpdateMode::NoExist,
        Flags::Exist => UpdateMode::Exist,
    };
    let value = input(a.value.as_ref(), a.value_hex.as_ref());
    let r = rawbpf::map_update(&a.key.options(Some(value), mode))?;
    print(&r, Some("updated"), g);
    Ok(())
}

pub fn delete(a: &DeleteArgs, g: Global) -> rawbpf::Result<()> {
    let r = rawbpf::map_delete(&a.key.options(None, UpdateMode::Any))?;
    print(&r, Some("deleted"), g);
    Ok(())
}

pub fn pin(a: &PinArgs, g: Global) -> rawbpf::Result<()> {
    let r = rawbpf::map_pin(a.id, &a.path)?;
    if g.json {
        print_json(&r);
    } else {
        println!(
            "pinned map {} {} ({}) at {}",
            r.map.id, r.map.name, r.map.map_type, r.pinned
        );
    }
    Ok(())
}

/// `key  {..}` / `value  {..}` lines (a socket map's value as `cookie  sk:..`), after a
/// `updated map 7 flows` line for a change.
fn print(r: &MapEntryReport, done: Option<&str>, g: Global) {
    if g.json {
        print_json(r);
        return;
    }
    let m = &r.map.info;
    if let Some(verb) = done {
        println!("{verb} map {} {} ({})", m.id, m.name, m.map_type);
    }
    println!("key    {}", r.entry.key_text);
    let label = if r.entry.cookie_hex.is_some() {
        "cookie"
    } else {
        "value"
    };
    println!("{label:<6} {}", r.entry.value_text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::{Args, MapCommand};
    use crate::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<MapCommand, clap::Error> {
        let mut v = vec!["rawbpf", "map"];
        v.extend_from_slice(args);
        let Command::Map(Args { command }) = Cli::try_parse_from(v)?.command else {
            panic!("not map")
        };
        Ok(command)
    }

    #[test]
    fn update_options() {
        let MapCommand::Update(u) = parse(&[
            "update",
            "flows",
            "--key",
            "sport=1",
            "--value-hex",
            "2a",
            "--flags",
            "exist",
        ])
        .unwrap() else {
            panic!("not update")
        };
        let value = input(u.value.as_ref(), u.value_hex.as_ref());
        let o = u.key.options(Some(value), UpdateMode::Exist);
        assert_eq!(o.key, EntryInput::Text("sport=1".into()));
        assert_eq!(o.value, Some(EntryInput::Hex("2a".into())));
        assert!(matches!(o.map, MapSelector::Name { ref name, .. } if name == "flows"));
        assert!(matches!(u.flags, Flags::Exist));
    }

    #[test]
    fn refused_combinations() {
        assert!(parse(&["lookup", "m"]).is_err(), "a key is required");
        assert!(parse(&["lookup", "m", "--key", "1", "--key-hex", "01"]).is_err());
        assert!(
            parse(&["update", "m", "--key", "1"]).is_err(),
            "a value is required"
        );
        assert!(parse(&["update", "m", "--key", "1", "--value", "1", "--flags", "x"]).is_err());
        assert!(parse(&["delete", "--id", "3", "--pinned", "/p", "--key", "1"]).is_err());
        assert!(
            parse(&["pin", "/sys/fs/bpf/x"]).is_err(),
            "--id is required"
        );
        assert!(
            parse(&["dump", "m", "--interval", "2s"]).is_err(),
            "--interval needs --watch"
        );
        assert!(parse(&["dump", "m", "--watch", "--interval", "2s"]).is_ok());
    }
}
