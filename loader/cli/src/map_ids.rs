//! `rawbpf map-ids`.

use std::path::PathBuf;

use rawbpf::report::{AttachedProgram, MapEntry, MapIdsReport};
use rawbpf::{AttachMode, MapIdsOptions};

use super::Global;
use super::output::{columns, print_json};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Lists every program attached directly to the cgroup (all cgroup attach types), to a
SOCKMAP/SOCKHASH pinned under the pin root (sk_msg / sk_skb attach types) or, through the
links rawbpf's interface records pin (load --iface), to a network interface (XDP, tcx), the
maps each uses, and the maps pinned under the pin root, with their kernel IDs (as `bpftool map show`). A
program's owner, in brackets after its attachment, is rawbpf when one of rawbpf's attach
records pins it, other otherwise.")]
pub struct Args {
    /// cgroup v2 directory to look at.
    ///
    /// Default: the cgroup2 mount in /proc/self/mounts (/sys/fs/cgroup on v2-only hosts,
    /// /sys/fs/cgroup/unified on hybrid ones).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// bpffs directory whose pinned maps to list.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let report = rawbpf::map_ids(&MapIdsOptions {
        cgroup: super::cgroup_or_default(args.cgroup.as_deref())?,
        pin_root: args.pin_root.clone(),
    })?;
    if g.json {
        print_json(&report);
    } else {
        print_human(&report);
    }
    Ok(())
}

fn map_row(indent: &str, m: &MapEntry) -> Vec<String> {
    vec![
        format!("{indent}map"),
        m.info.id.to_string(),
        m.info.name.clone(),
        m.info.map_type.clone(),
        m.pinned
            .as_ref()
            .map_or_else(|| "not pinned".to_string(), |p| format!("pinned {p}")),
    ]
}

/// `attached cgroup_sock_ops (multi)` for the cgroup, `attached sk_msg_verdict to map NAME`
/// for a map, `attached xdp to iface NAME` for an interface.
fn attached(p: &AttachedProgram) -> String {
    if p.target == rawbpf::TARGET_CGROUP {
        format!(
            "attached {} ({})",
            p.attach_type,
            AttachMode::from_flags(p.attach_flags).name()
        )
    } else {
        format!("attached {} to {}", p.attach_type, p.target)
    }
}

fn print_human(r: &MapIdsReport) {
    for w in &r.warnings {
        eprintln!("rawbpf: warning: {w}");
    }
    let mut rows = Vec::new();
    for p in &r.programs {
        rows.push(vec![
            "prog".to_string(),
            p.id.to_string(),
            p.name.clone(),
            p.prog_type.clone(),
            format!(
                "{}  [{}]",
                attached(p),
                p.owner.as_deref().unwrap_or("other")
            ),
        ]);
        for id in &p.map_ids {
            if let Some(m) = r.maps.iter().find(|m| m.info.id == *id) {
                rows.push(map_row("  ", m));
            }
        }
    }
    for m in r.maps.iter().filter(|m| m.used_by.is_empty()) {
        rows.push(map_row("", m));
    }
    if rows.is_empty() {
        println!(
            "nothing attached to {} and no maps pinned under {}",
            r.cgroup, r.pin_root
        );
    }
    for line in columns(&rows) {
        println!("{line}");
    }
}
