//! `rawbpf map dump` and `rawbpf map show`.

use std::path::PathBuf;

use rawbpf::ShownMap;
use rawbpf::{MapDumpOptions, MapDumpReport, MapSelector, MapShowOptions, MapShowScope};

use super::Global;
use super::map_edit::{self, DeleteArgs, LookupArgs, PinArgs, Target, UpdateArgs};
use super::map_watch::{self, WatchArgs};
use super::output::{columns, print_json};
use super::style::Paint;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: MapCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum MapCommand {
    /// Print every entry of a map, keys and values decoded with BTF (hex without BTF).
    Dump(DumpArgs),
    /// List the host's maps (or one, or those of a cgroup and pin root) with owners.
    #[command(visible_aliases = ["list", "ls"])]
    Show(ShowArgs),
    /// Print the value under one key, decoded with BTF.
    Lookup(LookupArgs),
    /// Write the value under one key (keys and values typed as `map dump` shows them).
    Update(UpdateArgs),
    /// Remove one key.
    Delete(DeleteArgs),
    /// Pin a map found by kernel ID on bpffs.
    Pin(PinArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf map dump sock_ops_map                       # <pin-root>/sock_ops_map
  rawbpf map dump --id 7 --json
  rawbpf map dump --pinned /sys/fs/bpf/other/counters
  rawbpf map dump sock_ops_map --watch --interval 500ms

Keys and values are decoded with the map's BTF or, for maps without (a SOCKHASH), with the
BTF of a program that uses the map. Struct fields are shown by name; fields named like
IPv4/IPv6 addresses (sip4, dip4, *_ip, saddr, ...) as addresses. A SOCKHASH or SOCKMAP value
read from user space is the socket's cookie, shown in hex as `ss -e` shows it (sk:...); the
two ends of one connection (keys with source and destination swapped) are printed next to
each other. Without BTF, keys and values are hex bytes.

--watch dumps again every interval and prints what changed: + added, - removed, ~ changed
(under --json one JSON object per line and change), until SIGINT or SIGTERM (exit 0).")]
pub struct DumpArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub watch: WatchArgs,
}

impl DumpArgs {
    pub fn selector(&self) -> MapSelector {
        self.target.selector()
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf map show                      # every map of the host, as bpftool map show
  rawbpf map show 7                    # map 7
  rawbpf map show --cgroup /sys/fs/cgroup/app --pin-root /sys/fs/bpf/app

Without ID, --cgroup or --pin-root: every map of the host (needs CAP_SYS_ADMIN). With
--cgroup or --pin-root: only the maps pinned under the pin root and those the cgroup's
attached programs use.

Columns: ID, NAME, TYPE, KEY and VALUE (sizes in bytes), MAX (max_entries), ENTRIES (counted;
max_entries for array-like maps; - when the map's keys cannot be walked, or host-wide when it
has more than 65536 max_entries), PINNED, OWNER (rawbpf when rawbpf pinned it).")]
pub struct ShowArgs {
    /// Kernel ID of the one map to show.
    #[arg(value_name = "ID", conflicts_with = "cgroup")]
    pub id: Option<u32>,
    /// List only the maps of the programs attached to this cgroup v2 directory (and those
    /// pinned under the pin root).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// List only the maps pinned under this bpffs directory (and those of the cgroup's
    /// programs). Default for the narrowed listing: /sys/fs/bpf/rawbpf.
    #[arg(long, value_name = "DIR")]
    pub pin_root: Option<PathBuf>,
}

impl ShowArgs {
    /// The library's options: host-wide unless narrowed.
    pub fn options(&self) -> rawbpf::Result<MapShowOptions> {
        let pin_root = self
            .pin_root
            .clone()
            .unwrap_or_else(|| PathBuf::from(rawbpf::DEFAULT_PIN_ROOT));
        let scope = match (self.id, self.cgroup.is_some() || self.pin_root.is_some()) {
            (Some(id), _) => MapShowScope::Id(id),
            (None, true) => MapShowScope::Cgroup,
            (None, false) => MapShowScope::Host,
        };
        let cgroup = match scope {
            MapShowScope::Cgroup => super::cgroup_or_default(self.cgroup.as_deref())?,
            _ => PathBuf::new(),
        };
        Ok(MapShowOptions {
            cgroup,
            pin_root,
            scope,
        })
    }
}

/// The context for error messages: `map dump sock_ops_map`, `map show`.
pub fn context(args: &Args) -> String {
    match &args.command {
        MapCommand::Dump(d) => format!("map dump {}", d.target.describe()),
        MapCommand::Show(_) => "map show".to_string(),
        MapCommand::Lookup(a) => map_edit::context("lookup", &a.key),
        MapCommand::Update(a) => map_edit::context("update", &a.key),
        MapCommand::Delete(a) => map_edit::context("delete", &a.key),
        MapCommand::Pin(a) => format!("map pin --id {} {}", a.id, a.path.display()),
    }
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    match &args.command {
        MapCommand::Dump(d) if d.watch.watch => map_watch::run(&d.selector(), &d.watch, g)?,
        MapCommand::Lookup(a) => map_edit::lookup(a, g)?,
        MapCommand::Update(a) => map_edit::update(a, g)?,
        MapCommand::Delete(a) => map_edit::delete(a, g)?,
        MapCommand::Pin(a) => map_edit::pin(a, g)?,
        MapCommand::Dump(d) => {
            let report = rawbpf::map_dump(&MapDumpOptions { map: d.selector() })?;
            if g.json {
                print_json(&report);
            } else {
                print_dump(&report, Paint::stdout());
            }
        }
        MapCommand::Show(s) => {
            let report = rawbpf::map_show(&s.options()?)?;
            if !g.json {
                for w in &report.warnings {
                    eprintln!("rawbpf: warning: {w}");
                }
            }
            if g.json {
                print_json(&report);
            } else if report.maps.is_empty() {
                match &report.cgroup {
                    Some(cgroup) => println!(
                        "no maps pinned under {} or used by programs attached to {cgroup}",
                        report.pin_root
                    ),
                    None => println!("no maps on this host"),
                }
            } else {
                for line in map_table(&report.maps, Paint::stdout()) {
                    println!("{line}");
                }
            }
        }
    }
    Ok(())
}

/// The `map show` table (also used by `status`): a bold header row, then one map per line.
pub fn map_table(maps: &[ShownMap], paint: Paint) -> Vec<String> {
    let mut rows = vec![
        [
            "ID", "NAME", "TYPE", "KEY", "VALUE", "MAX", "ENTRIES", "PINNED", "OWNER",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for shown in maps {
        let m = &shown.info;
        rows.push(vec![
            m.id.to_string(),
            m.name.clone(),
            m.map_type.clone(),
            m.key_size.to_string(),
            m.value_size.to_string(),
            m.max_entries.to_string(),
            shown
                .entries
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            shown.pinned.clone().unwrap_or_else(|| "-".to_string()),
            shown.owner.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    let mut lines = columns(&rows);
    if let Some(h) = lines.first_mut() {
        *h = paint.bold(h);
    }
    lines
}

fn print_dump(r: &MapDumpReport, paint: Paint) {
    let m = &r.map.info;
    let mut head = format!(
        "map {} {}  {}  key {}B  value {}B  max_entries {}",
        m.id, m.name, m.map_type, m.key_size, m.value_size, m.max_entries
    );
    if let Some(p) = &r.map.pinned {
        head.push_str(&format!("  pinned {p}"));
    }
    println!("{}", paint.bold(&head));
    match &r.btf {
        Some(src) => println!(
            "{}",
            paint.dim(&format!(
                "btf from {src}: key {}, value {}",
                r.key_type.as_deref().unwrap_or("hex"),
                r.value_type.as_deref().unwrap_or("hex")
            ))
        ),
        None => println!("{}", paint.dim("no BTF: keys and values in hex")),
    }
    for w in &r.warnings {
        eprintln!("rawbpf: warning: {w}");
    }
    let value_head = if matches!(m.map_type.as_str(), "sockhash" | "sockmap") {
        "COOKIE"
    } else {
        "VALUE"
    };
    let mut rows = vec![vec!["KEY".to_string(), value_head.to_string()]];
    let peers: Vec<Option<usize>> = r.entries.iter().map(|e| e.peer).collect();
    for i in rawbpf::grouped_by_peer(&peers) {
        if let Some(e) = r.entries.get(i) {
            rows.push(vec![e.key_text.clone(), e.value_text.clone()]);
        }
    }
    let mut lines = columns(&rows);
    if let Some(h) = lines.first_mut() {
        *h = paint.bold(h);
    }
    if r.entries.is_empty() {
        lines.truncate(0);
    }
    for l in lines {
        println!("{l}");
    }
    let n = r.entries.len();
    println!("{n} entr{}", if n == 1 { "y" } else { "ies" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command};
    use clap::Parser;

    fn dump(args: &[&str]) -> Result<MapSelector, clap::Error> {
        let mut v = vec!["rawbpf", "map", "dump"];
        v.extend_from_slice(args);
        let c = Cli::try_parse_from(v)?;
        let Command::Map(Args {
            command: MapCommand::Dump(d),
        }) = c.command
        else {
            panic!("not map dump")
        };
        Ok(d.selector())
    }

    #[test]
    fn dump_selectors() {
        assert_eq!(
            dump(&["m", "--pin-root", "/sys/fs/bpf/x"]).unwrap(),
            MapSelector::Name {
                pin_root: "/sys/fs/bpf/x".into(),
                name: "m".into()
            }
        );
        assert_eq!(dump(&["--id", "7"]).unwrap(), MapSelector::Id(7));
        assert_eq!(
            dump(&["--pinned", "/sys/fs/bpf/p"]).unwrap(),
            MapSelector::Pinned("/sys/fs/bpf/p".into())
        );
        assert!(
            dump(&[]).is_err(),
            "one of NAME, --id, --pinned is required"
        );
        assert!(dump(&["m", "--id", "7"]).is_err(), "only one of them");
    }

    fn show(args: &[&str]) -> MapShowOptions {
        let mut v = vec!["rawbpf", "map", "show"];
        v.extend_from_slice(args);
        let c = Cli::try_parse_from(v).unwrap();
        let Command::Map(Args {
            command: MapCommand::Show(s),
        }) = c.command
        else {
            panic!("not map show")
        };
        s.options().unwrap()
    }

    #[test]
    fn show_is_host_wide_unless_narrowed() {
        assert_eq!(show(&[]).scope, MapShowScope::Host);
        assert_eq!(show(&["7"]).scope, MapShowScope::Id(7));
        let o = show(&["--cgroup", "/sys/fs/cgroup/x"]);
        assert_eq!(o.scope, MapShowScope::Cgroup);
        assert_eq!(o.pin_root, PathBuf::from(rawbpf::DEFAULT_PIN_ROOT));
        let o = show(&["--pin-root", "/sys/fs/bpf/x"]);
        assert_eq!(
            (o.scope, o.pin_root),
            (MapShowScope::Cgroup, "/sys/fs/bpf/x".into())
        );
    }

    #[test]
    fn table_aligns() {
        let m = ShownMap {
            info: rawbpf::report::MapSummary {
                id: 7,
                name: "sock_ops_map".into(),
                map_type: "sockhash".into(),
                key_size: 16,
                value_size: 8,
                max_entries: 65535,
                flags: 0,
            },
            entries: Some(6),
            pinned: None,
            used_by: vec![],
            owner: None,
        };
        let off = map_table(&[m], Paint::plain());
        assert_eq!(
            off,
            vec![
                "ID  NAME          TYPE      KEY  VALUE  MAX    ENTRIES  PINNED  OWNER",
                "7   sock_ops_map  sockhash  16   8      65535  6        -       -",
            ]
        );
    }
}
