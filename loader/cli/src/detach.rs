//! `rawbpf detach`.

use std::path::PathBuf;

use rawbpf::DetachOptions;

use super::Global;
use super::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf detach --cgroup /sys/fs/cgroup/app            # everything rawbpf attached there
  rawbpf detach bpf-prog/bpf_sockops.o --cgroup /sys/fs/cgroup/app --unpin
  rawbpf detach --iface eth0                                 # the XDP links rawbpf attached there
  rawbpf detach --prog-id 42                                 # a program another tool attached
  rawbpf detach --unpin --dry-run                            # what would go, changing nothing
  rawbpf detach --owner \"$POD_UID\"                           # a pod's stop: only what it still owns

rawbpf knows what it attached from the records under <pin-root>/attached-progs/. A program attached
through a bpf_link (multi mode; sk_msg/sk_skb on 6.10+) has the link pinned beside its record, and
detach removes exactly that link (BPF_LINK_DETACH). With --owner TOKEN, an attachment a later load
with another --owner took over is left in place and listed (exit 0). Exit code 3 when there was
nothing to detach (and nothing to unpin); the message lists programs others attached.
--unpin removes only map pins rawbpf created (marked under <pin-root>/pinned-maps/); pins other
tools made in the pin root are kept and listed.")]
pub struct Args {
    /// Only this object's programs (and, with --unpin, its map pins).
    pub object: Option<PathBuf>,
    /// cgroup v2 directory to detach from.
    ///
    /// Default: the cgroup2 mount in /proc/self/mounts (/sys/fs/cgroup on v2-only hosts,
    /// /sys/fs/cgroup/unified on hybrid ones).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// bpffs directory of map pins and attach records.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
    /// Also remove the map pins rawbpf created (of OBJECT, or all under the pin root) and the
    /// empty pin root; pins other tools made are kept.
    #[arg(long)]
    pub unpin: bool,
    /// Say what would be detached and unpinned, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Detach the program with this kernel ID instead of the recorded ones.
    #[arg(long, value_name = "ID")]
    pub prog_id: Option<u32>,
    /// Detach only the XDP and tcx programs rawbpf attached to this network interface (`load
    /// --iface`), through exactly their recorded links; the cgroup and socket maps are left
    /// alone. Without it, detach also removes every interface attachment recorded under
    /// the pin root (of OBJECT, when given).
    #[arg(long, value_name = "NAME")]
    pub iface: Option<String>,
    /// Leave the attachments whose link a load with another --owner took over (and say
    /// so, exit 0; --unpin then removes no pin, their programs use the maps): what a pod's
    /// stop passes, with the token its load was given.
    #[arg(long, value_name = "TOKEN")]
    pub owner: Option<String>,
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let report = rawbpf::detach(&DetachOptions {
        object: args.object.clone(),
        cgroup: super::cgroup_or_default(args.cgroup.as_deref())?,
        pin_root: args.pin_root.clone(),
        unpin: args.unpin,
        prog_id: args.prog_id,
        dry_run: args.dry_run,
        owner: args.owner.clone(),
        iface: args.iface.clone(),
    })?;
    if g.json {
        print_json(&report);
        return Ok(());
    }
    let (detached, unpinned) = if report.dry_run {
        ("would detach", "would unpin")
    } else {
        ("detached", "unpinned")
    };
    for d in &report.detached {
        // sk_msg / sk_skb programs were attached to their object's pinned map.
        let from = if d.attach_type == "sk_msg_verdict" || d.attach_type.starts_with("sk_skb") {
            "its map".to_string()
        } else if d.attach_type == "xdp" || d.attach_type.starts_with("tcx") {
            args.iface
                .clone()
                .unwrap_or_else(|| "its interface".to_string())
        } else {
            report.cgroup.clone()
        };
        println!(
            "{detached} program {} (id {}, {}) from {from}",
            d.name, d.id, d.attach_type
        );
    }
    for p in &report.unpinned {
        println!("{unpinned} {p}");
    }
    for p in &report.kept {
        println!("kept {p} (not created by rawbpf)");
    }
    for o in &report.owned_by_others {
        let owner = if o.owner.is_empty() {
            "a load without --owner".to_string()
        } else {
            format!("owner {}", o.owner)
        };
        println!(
            "left program {} (id {}, {}) attached: its link now belongs to {owner}",
            o.name, o.id, o.attach_type
        );
    }
    for o in &report.left_attached {
        println!(
            "still attached to {}: program {} (id {}, {}), not detached by this command",
            report.cgroup, o.name, o.id, o.attach_type
        );
    }
    Ok(())
}
