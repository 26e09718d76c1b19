//! `rawbpf load`.

use std::path::PathBuf;

use rawbpf::report::{LoadReport, MapStatus, ProgramStatus};
use rawbpf::{AttachMode, LoadOptions};

use super::Global;
use super::output::{columns, print_json};

/// `--attach-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// BPF_F_ALLOW_MULTI: coexist with other programs; reloads swap atomically (BPF_F_REPLACE).
    Multi,
    /// BPF_F_ALLOW_OVERRIDE: a child cgroup's program overrides this one.
    Override,
    /// Flags 0: the only program of its type on this cgroup and below; reattach replaces it.
    Single,
}

/// `--xdp-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum XdpModeArg {
    /// Let the kernel choose: the driver's native XDP where it has it, generic otherwise.
    Auto,
    /// XDP_FLAGS_DRV_MODE: in the driver, before an skb exists (refused without driver support).
    Native,
    /// XDP_FLAGS_SKB_MODE: after the driver, on any interface (slower; for testing, veth, lo).
    Generic,
    /// XDP_FLAGS_HW_MODE: offloaded to the NIC.
    Offload,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  rawbpf load bpf-prog/bpf_sockops.o                      # pin maps, attach to the root cgroup v2
  rawbpf load bpf-prog/bpf_sockops.o --cgroup /sys/fs/cgroup/app
  rawbpf load bpf-prog/bpf_sockops.o --mount-bpffs        # mount bpffs at /sys/fs/bpf first
  rawbpf load bpf-prog/bpf_sockops.o --no-attach --no-pin # does the verifier accept it?
  rawbpf load xdp_count.o --iface eth0                    # XDP through a pinned link
  rawbpf load xdp_count.o --iface eth0 --xdp-mode generic # skb mode (any interface)
  rawbpf load tc_count.o --iface eth0                     # tcx/ingress through a tcx link (6.6+)

A map with pinning = LIBBPF_PIN_BY_NAME lives at <pin-root>/<map name>: an existing pin is
compared field by field (and by key/value layout when both have BTF) and reused; when it
differs the load fails with exit 7 and changes nothing (--replace-incompatible replaces it,
losing its contents). Otherwise the map is created and pinned once every program has loaded.
Loading again replaces the program rawbpf attached before, without a moment where none is
attached; loading what is already attached (same instructions, maps and data) does nothing
and says `unchanged` (--force reloads anyway). A program renamed in the source replaces the
one recorded under its old name in place; one removed from the source is detached
(--keep-old-programs leaves them attached). Concurrent loads on one pin root are serialised (a lock on the pin root).")]
pub struct Args {
    /// The BPF object file (clang -target bpf).
    pub object: PathBuf,
    /// cgroup v2 directory to attach cgroup programs to.
    ///
    /// Default: the cgroup2 mount in /proc/self/mounts (/sys/fs/cgroup on v2-only hosts,
    /// /sys/fs/cgroup/unified on hybrid ones).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// bpffs directory for map pins and attach records.
    #[arg(long, value_name = "DIR", default_value = rawbpf::DEFAULT_PIN_ROOT)]
    pub pin_root: PathBuf,
    /// Ignore `pinning`: create every map fresh and pin nothing.
    #[arg(long)]
    pub no_pin: bool,
    /// Mount bpffs at /sys/fs/bpf if it is not mounted.
    #[arg(long)]
    pub mount_bpffs: bool,
    /// How to attach to the cgroup: multi attaches through a bpf_link (pinned beside the
    /// record; `bpftool cgroup detach` cannot remove it, a reload swaps it with
    /// BPF_LINK_UPDATE); override and single with BPF_PROG_ATTACH (a link is always
    /// multi-attach).
    #[arg(long, value_enum, default_value_t = Mode::Multi)]
    pub attach_mode: Mode,
    /// Network interface to attach XDP and tcx/ingress|egress programs to, through a
    /// bpf_link pinned beside the attach record (it outlives rawbpf; a reload swaps the
    /// program with BPF_LINK_UPDATE; `detach --iface NAME` removes exactly it). tcx needs
    /// Linux 6.6 (older: use `tc filter add ... bpf`). Without it they are loaded only.
    #[arg(long, value_name = "NAME")]
    pub iface: Option<String>,
    /// How XDP programs run on --iface.
    #[arg(long, value_enum, default_value_t = XdpModeArg::Auto)]
    pub xdp_mode: XdpModeArg,
    /// Owner token written into the name of each link pin this load makes or takes over
    /// (letters, digits, '_', '-'; at most 64): `detach --owner OTHER` then leaves them. A
    /// DaemonSet passes its pod UID, so an old pod's stop cannot detach the new pod's
    /// programs.
    #[arg(long, value_name = "TOKEN", default_value = "")]
    pub owner: String,
    /// Load only; attach nothing (programs are unloaded when rawbpf exits).
    #[arg(long)]
    pub no_attach: bool,
    /// Replace a pinned map whose type, sizes, flags or key/value layout differ from the
    /// object's: unpin it and pin a new, empty map. LOSES THAT MAP'S CONTENTS (by default
    /// such a pin is an error, exit 7, and nothing is changed).
    #[arg(long)]
    pub replace_incompatible: bool,
    /// Load and attach even when the attached programs already are this object's (same
    /// instructions, maps and data); without it such a load does nothing.
    #[arg(long)]
    pub force: bool,
    /// Load only this program (repeat for several); the others are left out.
    #[arg(long = "program", value_name = "NAME")]
    pub programs: Vec<String>,
    /// Program type of one program, overriding what its section name says (a kernel name
    /// such as sched_cls or socket_filter, or a SEC() name such as sk_skb/stream_verdict).
    #[arg(long = "prog-type", value_name = "NAME=TYPE", value_parser = parse_pair)]
    pub prog_types: Vec<(String, String)>,
    /// Rewrite a `const volatile` global in .rodata before loading (type-checked).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub sets: Vec<(String, String)>,
    /// Pin every loaded program at `<pin-root>/progs/<name>` (it then outlives rawbpf).
    #[arg(long)]
    pub pin_progs: bool,
    /// Resolve CO-RE relocations against this BTF instead of /sys/kernel/btf/vmlinux: a raw
    /// BTF file or an ELF file whose .BTF section is used (libbpf's btf_custom_path).
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
    /// Set a map's size before it is created (repeatable): NAME.max_entries=N,
    /// NAME.key_size=N or NAME.value_size=N, as tools size stack-trace maps and buffers.
    #[arg(long = "map", value_name = "NAME.FIELD=N", value_parser = rawbpf::MapSize::parse)]
    pub map_sizes: Vec<rawbpf::MapSize>,
    /// Leave out the programs the kernel refuses (verifier, missing type or helper,
    /// lockdown) and list them with the reason; fails only when it refuses every program.
    #[arg(long)]
    pub skip_refused: bool,
    /// Leave attached the programs an earlier load recorded on this cgroup under names the
    /// object no longer has. By default a reload treats them as this object's: a program
    /// renamed in the source replaces its old self in place, one removed from the source is
    /// detached, and when it cannot tell which new program replaces which old one it refuses
    /// (exit 2). With this flag the new programs are attached beside the old ones and both
    /// run (a socket map holds one program per attach type, so there the new one replaces
    /// the old either way).
    #[arg(long)]
    pub keep_old_programs: bool,
}

/// `NAME=VALUE` for `--set` and `--prog-type`.
fn parse_pair(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() => Ok((n.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {arg:?}")),
    }
}

impl Args {
    pub fn options(&self, verbose: bool) -> rawbpf::Result<LoadOptions> {
        Ok(LoadOptions {
            object: self.object.clone(),
            // --no-attach needs no cgroup: a host without a cgroup2 mount can still load.
            cgroup: match (&self.cgroup, self.no_attach) {
                (None, true) => rawbpf::default_cgroup_root_or_standard(),
                (given, _) => super::cgroup_or_default(given.as_deref())?,
            },
            pin_root: self.pin_root.clone(),
            pin: !self.no_pin,
            mount_bpffs: self.mount_bpffs,
            attach: !self.no_attach,
            attach_mode: match self.attach_mode {
                Mode::Multi => AttachMode::Multi,
                Mode::Override => AttachMode::Override,
                Mode::Single => AttachMode::Single,
            },
            iface: self.iface.clone(),
            xdp_mode: match self.xdp_mode {
                XdpModeArg::Auto => rawbpf::XdpMode::Auto,
                XdpModeArg::Native => rawbpf::XdpMode::Native,
                XdpModeArg::Generic => rawbpf::XdpMode::Generic,
                XdpModeArg::Offload => rawbpf::XdpMode::Offload,
            },
            verbose,
            replace_incompatible: self.replace_incompatible,
            force: self.force,
            skip_refused: self.skip_refused,
            owner: self.owner.clone(),
            keep_old_programs: self.keep_old_programs,
            compat: rawbpf::CompatOptions {
                programs: self.programs.clone(),
                prog_types: self.prog_types.clone(),
                sets: self.sets.clone(),
                pin_progs: self.pin_progs,
                btf: self.btf.clone(),
                map_sizes: self.map_sizes.clone(),
            },
        })
    }
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let mut warnings = Vec::new();
    let report =
        rawbpf::load_noting(&args.options(g.verbose)?, &mut warnings).inspect_err(|_| {
            // Also when the load fails: a poisoned CO-RE relocation may be why.
            for w in &warnings {
                eprintln!("rawbpf: warning: {w}");
            }
        })?;
    if g.json {
        print_json(&report);
    } else {
        print_human(&report, g);
    }
    Ok(())
}

fn print_human(r: &LoadReport, g: Global) {
    for w in &r.warnings {
        eprintln!("rawbpf: warning: {w}");
    }
    let mut rows = Vec::new();
    for p in &r.programs {
        let what = match (&p.attach, &p.not_attached) {
            (Some(a), _) if p.status == ProgramStatus::Unchanged => format!(
                "unchanged, nothing to do (attached to {}, {}; --force reloads)",
                a.target, a.attach_type
            ),
            (Some(a), _) => {
                let mut detail = vec![a.attach_type.clone()];
                if let Some(m) = &a.mode {
                    detail.push(m.clone());
                }
                match (a.replaced_id, &a.replaced_name) {
                    (Some(id), Some(old)) => detail.push(format!("replaced {id}, was {old}")),
                    (Some(id), None) => detail.push(format!("replaced {id}")),
                    _ => {}
                }
                format!("attached to {} ({})", a.target, detail.join(", "))
            }
            (None, Some(why)) => format!("not attached: {why}"),
            (None, None) if p.pin_path.is_some() => "not attached (--no-attach)".to_string(),
            (None, None) => "not attached (--no-attach; unloaded when rawbpf exits)".to_string(),
        };
        let what = match &p.pin_path {
            Some(path) => format!("{what}; pinned at {path}"),
            None => what,
        };
        rows.push(vec![
            format!("program {}", p.name),
            format!("id {}", p.id),
            p.prog_type.clone(),
            what,
        ]);
    }
    for p in &r.refused {
        rows.push(vec![
            format!("program {}", p.name),
            "-".to_string(),
            "refused".to_string(),
            format!("left out (--skip-refused): {}", p.reason),
        ]);
    }
    for p in &r.removed {
        rows.push(vec![
            format!("program {}", p.name),
            format!("id {}", p.id),
            p.attach_type.clone(),
            "detached: the object no longer has it (--keep-old-programs keeps it)".to_string(),
        ]);
    }
    for m in &r.maps {
        let what = match (m.status, &m.pin_path) {
            (MapStatus::Reused, Some(p)) => format!("reused pinned map {p}"),
            (MapStatus::Reused, None) => "reused (the attached program's, same bytes)".to_string(),
            (MapStatus::CreatedPinned, Some(p)) => format!("created, pinned at {p}"),
            (MapStatus::Recreated, Some(p)) => {
                format!("replaced the incompatible pin at {p} (old contents lost)")
            }
            _ => "created, not pinned".to_string(),
        };
        rows.push(vec![
            format!("map {}", m.name),
            format!("id {}", m.id),
            m.map_type.clone(),
            what,
        ]);
    }
    for line in columns(&rows) {
        println!("{line}");
    }
    if g.verbose {
        for p in &r.programs {
            if let Some(log) = &p.verifier_log {
                println!("\nverifier log of {}:\n{}", p.name, log.trim_end());
            }
        }
    }
}
