//! `rawbpf prog show` and `rawbpf cgroup tree`: the host's programs and the cgroups they
//! are attached to, with full names and rawbpf's records of what it owns.

use std::path::PathBuf;

use rawbpf::{
    CgroupTreeOptions, CgroupTreeReport, ProgSelector, ProgShowOptions, ProgShowReport,
    ShownProgram,
};

use super::Global;
use super::output::{columns, print_json};
use super::style::Paint;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ProgCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProgCommand {
    /// List the host's BPF programs (or one) with full names and what rawbpf owns.
    #[command(visible_aliases = ["list", "ls"])]
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf prog show                     # every program of the host, as bpftool prog show
  rawbpf prog show 4532
  rawbpf prog show --pinned /sys/fs/bpf/rawbpf/progs/bpf_add_to_sockhash

Names are shown in full: the kernel keeps 15 bytes of a name, the full one is read from the
program's BTF (its func info), as bpftool does; without that BTF the kernel's name is shown.
`owner rawbpf` marks a program one of rawbpf's records pins (an attach record of a cgroup or
a socket map, or a --pin-progs pin) under the default pin root, --pin-root, or a pin root
rawbpf's index names; the record says where it is attached. Listing every program needs
CAP_SYS_ADMIN.")]
pub struct ShowArgs {
    /// Kernel ID of the one program to show.
    #[arg(value_name = "ID", conflicts_with = "pinned")]
    pub id: Option<u32>,
    /// Show the program pinned at PATH (on bpffs).
    #[arg(long, value_name = "PATH")]
    pub pinned: Option<PathBuf>,
    /// A pin root whose records mark rawbpf's programs, besides the default one and those
    /// rawbpf's index names.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CgroupArgs {
    #[command(subcommand)]
    pub command: CgroupCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CgroupCommand {
    /// Walk the cgroup v2 hierarchy and list the programs attached at each cgroup.
    Tree(TreeArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf cgroup tree                   # from the cgroup2 mount
  rawbpf cgroup tree /sys/fs/cgroup/system.slice --json

Lists every cgroup under ROOT that has programs attached directly (every cgroup attach type,
BPF_PROG_QUERY), as bpftool cgroup tree, each program with its full name and owner (rawbpf
or not, as in `prog show`).")]
pub struct TreeArgs {
    /// Top of the walk. Default: the cgroup2 mount in /proc/self/mounts.
    #[arg(value_name = "ROOT")]
    pub root: Option<PathBuf>,
    /// A pin root whose records mark rawbpf's programs (as in `prog show`).
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
}

/// The context for error messages.
pub fn context(args: &Args) -> String {
    match &args.command {
        ProgCommand::Show(s) => match (&s.id, &s.pinned) {
            (Some(id), _) => format!("prog show {id}"),
            (_, Some(p)) => format!("prog show --pinned {}", p.display()),
            _ => "prog show".to_string(),
        },
    }
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let ProgCommand::Show(s) = &args.command;
    let program = match (s.id, &s.pinned) {
        (Some(id), _) => ProgSelector::Id(id),
        (None, Some(p)) => ProgSelector::Pinned(p.clone()),
        (None, None) => ProgSelector::All,
    };
    let report = rawbpf::prog_show(&ProgShowOptions {
        program,
        pin_root: s.pin_root.clone(),
    })?;
    if g.json {
        print_json(&report);
    } else {
        print_programs(&report, Paint::stdout());
    }
    Ok(())
}

pub fn run_cgroup(args: &CgroupArgs, g: Global) -> rawbpf::Result<()> {
    let CgroupCommand::Tree(t) = &args.command;
    let report = rawbpf::cgroup_tree(&CgroupTreeOptions {
        root: super::cgroup_or_default(t.root.as_deref())?,
        pin_root: t.pin_root.clone(),
    })?;
    if g.json {
        print_json(&report);
    } else {
        for line in tree_lines(&report, Paint::stdout()) {
            println!("{line}");
        }
    }
    Ok(())
}

/// `2026-12-04T19:55:29Z` for seconds since the epoch (UTC; days to civil date after
/// Howard Hinnant's `civil_from_days`).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `rawbpf (cgroup_sock_ops on /sys/fs/cgroup/x, record …)` for each record; `-` for none.
fn owner_lines(p: &ShownProgram) -> Vec<String> {
    p.records
        .iter()
        .map(|r| {
            let place = match (r.kind, &r.cgroup, r.map_id) {
                ("cgroup", Some(c), _) => format!("attached to {c}"),
                ("cgroup", None, _) => format!(
                    "record of cgroup inode {} (gone)",
                    r.cgroup_inode.unwrap_or(0)
                ),
                ("map", _, Some(id)) => format!("attached to map {id}"),
                ("iface", _, _) => match (&r.iface, r.ifindex) {
                    (Some(name), _) => format!("attached to interface {name}"),
                    (None, idx) => format!("attached to interface #{}", idx.unwrap_or(0)),
                },
                _ => "pinned".to_string(),
            };
            let how = r
                .attach_type
                .as_ref()
                .map(|a| format!("{a} "))
                .unwrap_or_default();
            let pending = if r.pending { " (pending)" } else { "" };
            format!("owner rawbpf: {how}{place}  record {}{pending}", r.path)
        })
        .collect()
}

/// One program as bpftool prints it: a header line and indented details.
fn program_lines(p: &ShownProgram, paint: Paint) -> Vec<String> {
    let mut head = format!("{}: {}  name {}", p.id, p.prog_type, p.name);
    head.push_str(&format!("  tag {}", p.tag));
    if p.gpl_compatible {
        head.push_str("  gpl");
    }
    let mut out = vec![paint.bold(&head)];
    let mut second = Vec::new();
    if let Some(t) = p.loaded_at {
        second.push(format!("loaded_at {}", utc(t)));
    }
    second.push(format!("uid {}", p.uid));
    out.push(format!("\t{}", second.join("  ")));
    let mut third = vec![
        format!("xlated {}B", p.xlated_len),
        format!("jited {}B", p.jited_len),
    ];
    if !p.map_ids.is_empty() {
        let ids: Vec<String> = p.map_ids.iter().map(u32::to_string).collect();
        third.push(format!("map_ids {}", ids.join(",")));
    }
    if let Some(b) = p.btf_id {
        third.push(format!("btf_id {b}"));
    }
    out.push(format!("\t{}", third.join("  ")));
    for l in owner_lines(p) {
        out.push(format!("\t{l}"));
    }
    out
}

fn print_programs(r: &ProgShowReport, paint: Paint) {
    for w in &r.warnings {
        eprintln!("rawbpf: warning: {w}");
    }
    if r.programs.is_empty() {
        println!("no programs on this host");
    }
    for p in &r.programs {
        for l in program_lines(p, paint) {
            println!("{l}");
        }
    }
}

/// The tree: each cgroup's path, then its programs in aligned columns.
pub fn tree_lines(r: &CgroupTreeReport, paint: Paint) -> Vec<String> {
    let mut out = Vec::new();
    for w in &r.warnings {
        eprintln!("rawbpf: warning: {w}");
    }
    if r.cgroups.is_empty() {
        out.push(format!(
            "no programs attached to any cgroup under {}",
            r.root
        ));
        return out;
    }
    let mut rows = vec![
        ["ID", "ATTACH", "MODE", "NAME", "OWNER"]
            .map(String::from)
            .to_vec(),
    ];
    for c in &r.cgroups {
        for t in &c.programs {
            rows.push(vec![
                t.program.id.to_string(),
                t.attach_type.clone(),
                t.mode.clone(),
                t.program.name.clone(),
                t.program.owner.clone().unwrap_or_else(|| "-".to_string()),
            ]);
        }
    }
    // Aligned over the whole tree, printed under each cgroup's path.
    let mut lines = columns(&rows).into_iter();
    if let Some(h) = lines.next() {
        out.push(paint.bold(&format!("    {h}")));
    }
    for c in &r.cgroups {
        out.push(c.path.clone());
        for l in lines.by_ref().take(c.programs.len()) {
            out.push(format!("    {l}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_412_929), "2026-12-04T19:35:29Z");
    }
}
