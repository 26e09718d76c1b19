//! `rawbpf status`.

use std::path::PathBuf;

use rawbpf::report::AttachedProgram;
use rawbpf::{AttachMode, StatusOptions, StatusReport};

use super::Global;
use super::map::map_table;
use super::output::{columns, print_json};
use super::style::Paint;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
One screen: where bpffs is mounted, the pin root (map pins, attach records), the programs
attached directly to the cgroup or to the SOCKMAP/SOCKHASH maps pinned under the pin root, and
the maps (pinned or used by those programs) with their
kernel IDs and entry counts.")]
pub struct Args {
    /// cgroup v2 directory to look at.
    ///
    /// Default: the cgroup the attach records under the pin root name (found by its inode),
    /// else the cgroup2 mount in /proc/self/mounts (/sys/fs/cgroup on v2-only hosts,
    /// /sys/fs/cgroup/unified on hybrid ones).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// bpffs directory of map pins and attach records.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let report = rawbpf::status(&StatusOptions {
        cgroup: args.cgroup.clone(),
        pin_root: args.pin_root.clone(),
    })?;
    if g.json {
        print_json(&report);
    } else {
        for w in &report.warnings {
            eprintln!("rawbpf: warning: {w}");
        }
        for line in render(&report, Paint::stdout()) {
            println!("{line}");
        }
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The human screen.
pub fn render(r: &StatusReport, paint: Paint) -> Vec<String> {
    let mut out = Vec::new();
    let label = |s: &str| paint.bold(&format!("{s:<9}"));
    let bpffs = if r.bpffs.mounted {
        format!("mounted at {}", r.bpffs.mounts.join(", "))
    } else {
        "not mounted (mount -t bpf bpf /sys/fs/bpf, or `rawbpf load --mount-bpffs`)".to_string()
    };
    out.push(format!("{} {bpffs}", label("bpffs")));

    let p = &r.pin_root;
    let detail = if !p.on_bpffs {
        "not on bpffs".to_string()
    } else if !p.exists {
        "does not exist yet (created by the first load)".to_string()
    } else {
        format!(
            "{}, {}",
            plural(p.map_pins.len(), "map pin", "map pins"),
            plural(p.attach_records, "attach record", "attach records")
        )
    };
    out.push(format!("{} {}  ({detail})", label("pin root"), p.path));
    for s in &p.stale_records {
        out.push(format!(
            "  stale record {s}: its cgroup is gone; `rawbpf detach --unpin` frees its program"
        ));
    }

    let (on_cgroup, others): (Vec<&AttachedProgram>, Vec<&AttachedProgram>) = r
        .cgroup
        .programs
        .iter()
        .partition(|p| p.target == rawbpf::TARGET_CGROUP);
    let (on_ifaces, on_maps): (Vec<&AttachedProgram>, Vec<&AttachedProgram>) = others
        .into_iter()
        .partition(|p| p.target.starts_with("iface "));
    let mut counts = format!(
        "{} attached",
        plural(on_cgroup.len(), "program", "programs")
    );
    if !on_maps.is_empty() {
        counts.push_str(&format!(
            ", {} attached to pinned maps",
            plural(on_maps.len(), "program", "programs")
        ));
    }
    if !on_ifaces.is_empty() {
        counts.push_str(&format!(
            ", {} attached to interfaces",
            plural(on_ifaces.len(), "program", "programs")
        ));
    }
    if r.cgroup.from_record {
        counts.push_str(", named by the attach record");
    }
    out.push(format!("{} {}  ({counts})", label("cgroup"), r.cgroup.path));
    if !r.cgroup.programs.is_empty() {
        let mut rows = vec![
            [
                "ID", "NAME", "TYPE", "ATTACH", "TARGET", "MODE", "MAPS", "OWNER",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for prog in on_cgroup.iter().chain(&on_maps).chain(&on_ifaces) {
            let maps: Vec<String> = prog.map_ids.iter().map(u32::to_string).collect();
            rows.push(vec![
                prog.id.to_string(),
                prog.name.clone(),
                prog.prog_type.clone(),
                prog.attach_type.clone(),
                prog.target.clone(),
                if prog.target == rawbpf::TARGET_CGROUP {
                    AttachMode::from_flags(prog.attach_flags).name().to_string()
                } else {
                    "-".to_string()
                },
                if maps.is_empty() {
                    "-".to_string()
                } else {
                    maps.join(",")
                },
                prog.owner.clone().unwrap_or_else(|| "-".to_string()),
            ]);
        }
        for (i, l) in columns(&rows).into_iter().enumerate() {
            out.push(format!("  {}", if i == 0 { paint.dim(&l) } else { l }));
        }
    }

    out.push(format!(
        "{} {}",
        label("maps"),
        if r.maps.is_empty() {
            "none".to_string()
        } else {
            plural(r.maps.len(), "map", "maps")
        }
    ));
    if !r.maps.is_empty() {
        for l in map_table(&r.maps, paint) {
            out.push(format!("  {l}"));
        }
    }
    out
}
