//! What `load` is asked to do: [`LoadOptions`], with the CLI's defaults.

use std::path::PathBuf;

use crate::attach::apply::AttachMode;

/// Default `--pin-root`.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf/rawbpf";

/// What `load` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub object: PathBuf,
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
    /// Pin maps with `pinning = LIBBPF_PIN_BY_NAME` (off: `--no-pin`).
    pub pin: bool,
    /// Mount bpffs at /sys/fs/bpf when it is not mounted (`--mount-bpffs`).
    pub mount_bpffs: bool,
    /// Attach programs (off: `--no-attach`).
    pub attach: bool,
    pub attach_mode: AttachMode,
    /// Network interface to attach XDP programs to (`--iface NAME`); without it they are
    /// loaded only.
    pub iface: Option<String>,
    /// How XDP programs run on the interface (`--xdp-mode`).
    pub xdp_mode: crate::attach::iface_records::XdpMode,
    /// Ask for the verifier log on success too and put it in the report.
    pub verbose: bool,
    /// Replace a pinned map that differs from the object's definition (its contents are
    /// lost) instead of failing (`--replace-incompatible`).
    pub replace_incompatible: bool,
    /// Load and attach even when the attached programs are already this object's
    /// (`--force`); otherwise such a load is `unchanged` and does nothing.
    pub force: bool,
    /// Leave out the programs the kernel refuses and report them (`--skip-refused`); the
    /// load fails only when it refuses all.
    pub skip_refused: bool,
    /// Who this load is for (`--owner TOKEN`, empty: nobody in particular): written into
    /// the name of each link pin it makes or takes over, so that `detach --owner OTHER`
    /// (an older pod's stop) leaves its attachments alone (`attach::links`).
    pub owner: String,
    /// Leave attached the programs an earlier load recorded on this cgroup under names the
    /// object no longer has (`--keep-old-programs`); by default a renamed program replaces
    /// its old self in place and a removed one is detached.
    pub keep_old_programs: bool,
    /// Program selection, type overrides, `.rodata` values, program pins (see
    /// [`crate::CompatOptions`]).
    pub compat: crate::CompatOptions,
}

impl LoadOptions {
    /// Defaults of the CLI for `object`.
    pub fn new(object: impl Into<PathBuf>) -> LoadOptions {
        LoadOptions {
            object: object.into(),
            cgroup: crate::host::cgroup::default_root_or_standard(),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
            pin: true,
            mount_bpffs: false,
            attach: true,
            attach_mode: AttachMode::Multi,
            iface: None,
            xdp_mode: crate::attach::iface_records::XdpMode::Auto,
            verbose: false,
            replace_incompatible: false,
            force: false,
            skip_refused: false,
            owner: String::new(),
            keep_old_programs: false,
            compat: crate::CompatOptions::default(),
        }
    }
}
