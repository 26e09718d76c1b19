//! The one error type of the `rawbpf` library, and the CLI exit code each error maps to.
//!
//! Each variant names what failed (map, program, path) and returns the underlying cause from
//! `source()` instead of repeating it, so the CLI can print the chain once:
//! `rawbpf: load x.o: map sock_ops_map: BPF_MAP_CREATE: Operation not permitted`.

use std::path::PathBuf;

use rawbpf_syscalls as sys;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The documented exit codes of the `rawbpf` binary (see `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0,
    /// bpf(2) failed in an unexpected way, I/O error.
    Other = 1,
    /// Command line usage error (clap).
    Usage = 2,
    /// Nothing there: `detach` found nothing attached by rawbpf to that cgroup, `map
    /// lookup`/`map delete` no entry with that key.
    NothingAttached = 3,
    /// bpffs not mounted, cgroup not v2, missing privileges, attach refused by the hierarchy.
    Environment = 4,
    /// Invalid or unsupported object file.
    InvalidObject = 5,
    /// The verifier rejected a program (with a verdict in its log).
    Verifier = 6,
    /// A pinned map conflicts with the object's definition.
    MapConflict = 7,
}

impl ExitCode {
    /// Every exit code with its one-line meaning, for the man page's EXIT STATUS (docs/cli.md
    /// has the long form).
    pub const ALL: [(ExitCode, &'static str); 8] = [
        (ExitCode::Success, "success"),
        (
            ExitCode::Other,
            "other error: bpf(2) failed in an unexpected way, an I/O error",
        ),
        (
            ExitCode::Usage,
            "usage error: an argument rawbpf refuses or one that does not fit the object",
        ),
        (
            ExitCode::NothingAttached,
            "nothing there: detach found nothing attached by rawbpf (or that program is not \
             attached); map lookup/delete found no entry with that key",
        ),
        (
            ExitCode::Environment,
            "environment: bpffs, cgroup v2, privileges, a kernel that lacks a feature, \
             a load or attach the kernel refused without a verifier verdict",
        ),
        (
            ExitCode::InvalidObject,
            "the object file cannot be used: unreadable, not a BPF ELF, malformed, unsupported, \
             functions in sections of no known program type",
        ),
        (ExitCode::Verifier, "the verifier rejected a program"),
        (
            ExitCode::MapConflict,
            "a pinned map conflicts with the object's definition, or the pin is not a map",
        ),
    ];
}

/// One field that differs between a pinned map and the object's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub field: &'static str,
    pub pinned: String,
    pub object: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: pinned {}, object {}",
            self.field, self.pinned, self.object
        )
    }
}

/// A program attached by someone else, for [`Error::NothingAttached`]'s hint and what
/// `detach` reports as left attached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OtherProgram {
    pub id: u32,
    pub name: String,
    pub attach_type: String,
}

fn join_mismatches(m: &[Mismatch]) -> String {
    m.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What to do about a pin root (or pin) that is not on bpffs: `--mount-bpffs` mounts only
/// `/sys/fs/bpf`, so it is advice only for paths below it.
fn bpffs_hint(path: &std::path::Path) -> String {
    let default = std::path::Path::new(crate::host::pin_root::DEFAULT_BPFFS);
    if path.starts_with(default) {
        format!(
            "mount one with `mount -t bpf bpf {}`, or pass --mount-bpffs",
            default.display()
        )
    } else {
        format!(
            "mount one at or above it (`mount -t bpf bpf DIR`), or use a pin root under {} (--mount-bpffs mounts only {})",
            default.display(),
            default.display()
        )
    }
}

fn untyped_text(sections: &[(String, Vec<String>)]) -> String {
    let list = sections
        .iter()
        .map(|(sec, fns)| {
            let noun = if fns.len() == 1 {
                "function"
            } else {
                "functions"
            };
            format!("{} ({noun} {})", shorten(sec), fns.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (noun, these) = if sections.len() == 1 {
        ("section", "this section")
    } else {
        ("sections", "these sections")
    };
    let example = sections
        .first()
        .and_then(|(_, f)| f.first())
        .map_or("NAME", String::as_str);
    format!(
        "{noun} {list}: no rule gives {these} a program type, so rawbpf would leave their \
         functions out; give each its type with --prog-type NAME=TYPE (e.g. --prog-type \
         {example}=sched_cls; a kernel name such as socket_filter or xdp, or a SEC() name), \
         or name the programs to load with --program NAME"
    )
}

fn others_hint(cgroup: &std::path::Path, others: &[OtherProgram]) -> String {
    if others.is_empty() {
        return String::new();
    }
    let list = others
        .iter()
        .map(|o| format!("{} ({}, {})", o.id, o.name, o.attach_type))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "; attached there: {list} (detach one by ID with `rawbpf detach --cgroup {} --prog-id ID`)",
        cgroup.display()
    )
}

/// Everything that can go wrong in `load`, `detach`, `map-ids` and `inspect`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("read {}", path.display())]
    ReadObject {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("invalid BPF object {}", path.display())]
    Object {
        path: PathBuf,
        #[source]
        source: rawbpf_elf::Error,
    },

    #[error("{} is a big-endian object; rawbpf loads little-endian objects only (rebuild with -target bpfel or bpf on a little-endian host)", path.display())]
    BigEndian { path: PathBuf },

    #[error("unsupported object: {what}")]
    Unsupported { what: String },

    /// Functions of executable sections whose names no rule types (`SEC("tc_ingress")`,
    /// `SEC("prog")`): loading the rest would leave them out silently. Found before any
    /// kernel object is created.
    #[error("{}", untyped_text(sections))]
    UntypedPrograms {
        /// Each section with the functions in it.
        sections: Vec<(String, Vec<String>)>,
    },

    /// A command-line argument that does not fit the object (`--program`, `--prog-type`,
    /// `--set` naming what is not there, a value of the wrong type): a usage error, exit 2.
    #[error("{what}")]
    BadArgument { what: String },

    /// A reload whose program set changed in a way with more than one reading: programs an
    /// earlier load recorded under names the object no longer has, and more than one way to
    /// pair them with the object's new programs. A usage error, exit 2: the user chooses.
    #[error(
        "{target} ({attach_type}): cannot tell which program replaces which: recorded by an \
         earlier load under names this object no longer has: {old}; new in this object: {new}; \
         choose: --keep-old-programs attaches the new ones beside the old, or detach the ones that \
         should go first (rawbpf detach --prog-id ID --cgroup {target} --pin-root {pin_root})"
    )]
    AmbiguousRename {
        target: String,
        attach_type: String,
        /// The recorded programs, `name (id N)`, comma-separated.
        old: String,
        /// The object's programs without a record, comma-separated.
        new: String,
        pin_root: String,
    },

    /// `--btf FILE` cannot be used as the CO-RE target: unreadable, or neither raw BTF nor
    /// an ELF file with a `.BTF` section that parses. A usage error, exit 2.
    #[error("--btf {}: {reason}", path.display())]
    TargetBtf { path: PathBuf, reason: String },

    /// The kernel refused (EINVAL) a map or program of a type it does not have.
    #[error(
        "{what}: this kernel ({release}) has no {kind} (not in its enum {kernel_enum}); {needs}"
    )]
    KernelLacks {
        what: String,
        kind: String,
        kernel_enum: &'static str,
        release: String,
        /// "arena maps need Linux 6.9 or later", or "it needs a newer kernel".
        needs: String,
    },

    #[error("map {}: invalid name: {reason}", shorten(map))]
    InvalidMapName { map: String, reason: String },

    #[error("program {}: invalid name: {reason}", shorten(program))]
    InvalidProgName { program: String, reason: String },

    /// Two programs of one object with the same name: records, pins and reports key
    /// programs by name, so the second would silently stand in for the first.
    #[error("{}: two programs are named {}; program names must be unique in an object", path.display(), shorten(name))]
    DuplicateProgram { path: PathBuf, name: String },

    #[error("program {program}: instruction {insn}: {reason}")]
    Relocation {
        program: String,
        insn: usize,
        reason: String,
    },

    #[error("{} is not on a bpffs (it is on {}, which is not a BPF filesystem); {}", path.display(), on.display(), bpffs_hint(path))]
    BpffsNotMounted { path: PathBuf, on: PathBuf },

    /// A pin named by the user (`--pinned PATH`) that cannot be one: pins exist only on bpffs.
    #[error("{} is not a pin: it is not on a BPF filesystem; pins live on bpffs, e.g. under /sys/fs/bpf (list maps with `rawbpf map show`)", path.display())]
    PinOffBpffs { path: PathBuf },

    /// A pin root (or a directory above it on bpffs) that other users could write.
    #[error("pin root {}: {} is not safe for rawbpf's pins: {reason}. Another user could plant or remove pins there; use a pin root only root (or this user) can write: `chown root: {} && chmod 0700 {}`, or remove it and let rawbpf create it", pin_root.display(), dir.display(), dir.display(), dir.display())]
    PinRootUntrusted {
        pin_root: PathBuf,
        dir: PathBuf,
        reason: String,
    },

    #[error("mount bpffs at {}", path.display())]
    MountBpffs {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },

    #[error("cgroup {}: not cgroup v2 (statfs magic {magic:#x}, expected CGROUP2_SUPER_MAGIC 0x63677270)", path.display())]
    NotCgroup2 { path: PathBuf, magic: u64 },

    #[error("no cgroup v2 hierarchy is mounted (none in {}); mount one with `mount -t cgroup2 none /sys/fs/cgroup`, or pass --cgroup", mounts.display())]
    NoCgroup2Mount { mounts: PathBuf },

    #[error("cgroup {}", path.display())]
    OpenCgroup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{what} {}: permission denied; run rawbpf as root (it needs CAP_BPF+CAP_NET_ADMIN and write access to the pin root)", path.display())]
    NoPermission {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{what}: needs root or CAP_BPF+CAP_NET_ADMIN (this process has neither CAP_BPF nor CAP_SYS_ADMIN)"
    )]
    NotPrivileged { what: String },

    #[error(
        "{what}: not permitted: this process lacks {} (run as root, or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON; --prog-id and programs other tools attached also need CAP_SYS_ADMIN)",
        missing.join(", ")
    )]
    Privileges {
        what: String,
        /// The capabilities the failed command may need that this process lacks.
        missing: Vec<&'static str>,
        #[source]
        source: sys::Error,
    },

    #[error(
        "{what}: operation not permitted: this kernel charges BPF memory to RLIMIT_MEMLOCK (kernels before 5.11) and the limit of {limit_kib} KiB could not be raised; set LimitMEMLOCK=infinity in the unit, or `ulimit -l unlimited`"
    )]
    Memlock {
        what: String,
        limit_kib: u64,
        #[source]
        source: sys::Error,
    },

    #[error("{what}")]
    Bpf {
        what: String,
        #[source]
        source: sys::Error,
    },

    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("map {map}: the map pinned at {} differs from the object's definition ({}); nothing was changed. Fix the object, remove the pin (rm {}) to recreate it, or load with --replace-incompatible to replace it (its contents are lost)", path.display(), join_mismatches(mismatches), path.display())]
    PinnedMapConflict {
        map: String,
        path: PathBuf,
        mismatches: Vec<Mismatch>,
    },

    #[error("map {map}: {} is {kind}, not a pinned map; nothing was changed (rawbpf never replaces it). Remove it or use another --pin-root", path.display())]
    PinnedNotMap {
        map: String,
        path: PathBuf,
        kind: String,
    },

    #[error("another process has held the lock on the pin root {} for {seconds} s (a stuck rawbpf? `fuser -v {}` shows who has it open); nothing was changed", path.display(), path.display())]
    LockTimeout { path: PathBuf, seconds: u64 },

    #[error("map {map}: another program kept pinning {} while rawbpf was loading (rawbpf serialises its own loads; is another tool pinning there?); nothing was changed. Run the load again", path.display())]
    PinRace { map: String, path: PathBuf },

    #[error(
        "program {program}: the verifier rejected it ({})",
        sys::errno_text(errno)
    )]
    Verifier {
        program: String,
        errno: i32,
        log: String,
    },

    /// The verifier refused a program at an instruction a CO-RE relocation poisoned: the
    /// relocation matched nothing in the target BTF and the code using it is reachable.
    #[error(
        "program {program}: CO-RE relocation at insn {} ({} {}, access {}) could not be resolved against the BTF of {}: {} does not exist there; guard it with {} or build for this kernel",
        relocation.insn, relocation.kind, relocation.path, relocation.access,
        relocation.target.display(), relocation.path, relocation.guard
    )]
    CorePoisoned {
        program: String,
        relocation: Box<PoisonedRelocation>,
        log: String,
    },

    /// Under `--skip-refused`: the kernel refused this program; `load` leaves it out and
    /// starts over (it never reaches the caller unless every program was refused, as
    /// `source`).
    #[error("program {program}: refused")]
    SkipRefused {
        program: String,
        #[source]
        source: Box<Error>,
    },

    /// `BPF_PROG_LOAD` failed with EPERM and an empty verifier log: the kernel refused the
    /// program before (or instead of) verifying it — a capability check, lockdown or an LSM.
    #[error(
        "program {program}: the kernel refused to load it without a verifier verdict (empty verifier log){lockdown}"
    )]
    LoadRefused {
        program: String,
        /// "; kernel lockdown is integrity (...)" when lockdown is on, else empty.
        lockdown: String,
        #[source]
        source: sys::Error,
    },

    /// `BPF_MAP_CREATE` failed with EPERM although this process has every capability the
    /// map needs and the memlock limit is not the cause: lockdown or an LSM refused it.
    #[error(
        "map {map}: the kernel refused to create {kind} (EPERM) although rawbpf has the \
         capabilities they need{lockdown}"
    )]
    MapRefused {
        map: String,
        kind: String,
        /// "; kernel lockdown is integrity (...)" when lockdown is on, else empty.
        lockdown: String,
        #[source]
        source: sys::Error,
    },

    #[error("program {program}: attach to {target} ({attach_type}) refused: {reason}")]
    AttachRefused {
        program: String,
        target: String,
        attach_type: String,
        reason: String,
    },

    #[error("nothing {}attached by rawbpf to cgroup {}{}", object.as_ref().map(|o| format!("of {} ", o.display())).unwrap_or_default(), cgroup.display(), others_hint(cgroup, others))]
    NothingAttached {
        cgroup: PathBuf,
        object: Option<PathBuf>,
        others: Vec<OtherProgram>,
    },

    #[error("nothing attached by rawbpf to interface {iface} (no record under {})", pin_root.display())]
    NothingOnIface { iface: String, pin_root: PathBuf },

    #[error("no map {what}{hint}")]
    MapNotFound { what: String, hint: String },

    #[error("no program {what}")]
    ProgNotFound { what: String },

    #[error("{} is not a program (it is a {kind})", path.display())]
    NotAProg { path: PathBuf, kind: String },

    #[error("{} is not a map (it is a {kind})", path.display())]
    NotAMap { path: PathBuf, kind: String },

    /// `map lookup|delete` (and `update --flags exist`): the key is not in the map.
    #[error("map {map}: no entry with key {key}")]
    KeyNotFound { map: String, key: String },

    #[error("program {id} is not attached to cgroup {}{}", cgroup.display(), others_hint(cgroup, others))]
    ProgNotAttached {
        id: u32,
        cgroup: PathBuf,
        others: Vec<OtherProgram>,
    },
}

/// The CO-RE relocation behind a poisoned instruction ([`Error::CorePoisoned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonedRelocation {
    /// Its instruction index in the loaded program.
    pub insn: usize,
    /// The relocation kind (`FieldByteOffset`, ...).
    pub kind: String,
    /// The local access path in C words (`struct task_struct.pid`).
    pub path: String,
    /// The access string (`0:1`).
    pub access: String,
    /// The BTF resolved against (`/sys/kernel/btf/vmlinux` or `--btf FILE`).
    pub target: PathBuf,
    /// The `bpf_core_*` macro that would guard it.
    pub guard: &'static str,
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Bpf { .. }
            | Error::Io { .. }
            | Error::PinRace { .. }
            | Error::LockTimeout { .. }
            | Error::MapNotFound { .. }
            | Error::ProgNotFound { .. }
            | Error::NotAProg { .. }
            | Error::NotAMap { .. } => ExitCode::Other,
            Error::PinOffBpffs { .. } => ExitCode::Usage,
            Error::ReadObject { .. }
            | Error::Object { .. }
            | Error::BigEndian { .. }
            | Error::Unsupported { .. }
            | Error::UntypedPrograms { .. }
            | Error::InvalidMapName { .. }
            | Error::InvalidProgName { .. }
            | Error::DuplicateProgram { .. }
            | Error::Relocation { .. } => ExitCode::InvalidObject,
            Error::BpffsNotMounted { .. }
            | Error::MountBpffs { .. }
            | Error::PinRootUntrusted { .. }
            | Error::NotCgroup2 { .. }
            | Error::NoCgroup2Mount { .. }
            | Error::OpenCgroup { .. }
            | Error::Privileges { .. }
            | Error::Memlock { .. }
            | Error::KernelLacks { .. }
            | Error::NoPermission { .. }
            | Error::NotPrivileged { .. }
            | Error::LoadRefused { .. }
            | Error::MapRefused { .. }
            | Error::AttachRefused { .. } => ExitCode::Environment,
            Error::PinnedMapConflict { .. } | Error::PinnedNotMap { .. } => ExitCode::MapConflict,
            Error::Verifier { .. } | Error::CorePoisoned { .. } => ExitCode::Verifier,
            Error::SkipRefused { source, .. } => source.exit_code(),
            Error::BadArgument { .. } | Error::TargetBtf { .. } | Error::AmbiguousRename { .. } => {
                ExitCode::Usage
            }
            Error::NothingAttached { .. }
            | Error::NothingOnIface { .. }
            | Error::ProgNotAttached { .. }
            | Error::KeyNotFound { .. } => ExitCode::NothingAttached,
        }
    }

    /// What to do about this error, when the message itself does not say it; the CLI
    /// appends it to the one-line message.
    pub fn hint(&self) -> Option<&'static str> {
        use std::io::ErrorKind as K;
        match self {
            Error::ReadObject { source, .. } => Some(match source.kind() {
                K::NotFound => "check the path of the object file",
                K::PermissionDenied => "make the object file readable for this user",
                K::IsADirectory => "pass an object file (.o), not a directory",
                _ => "pass a readable BPF object file",
            }),
            Error::Object { source, .. } => match source {
                rawbpf_elf::Error::NotElf(_)
                | rawbpf_elf::Error::NotBpf { .. }
                | rawbpf_elf::Error::Not64Bit => {
                    Some("pass a BPF object built with `clang -target bpf -O2 -g -c prog.c`")
                }
                rawbpf_elf::Error::Malformed(_)
                | rawbpf_elf::Error::Btf { .. }
                | rawbpf_elf::Error::BtfType { .. }
                | rawbpf_elf::Error::BtfExt { .. }
                | rawbpf_elf::Error::InsnSectionSize { .. } => {
                    Some("the file is damaged or was not produced by clang/LLVM; rebuild it")
                }
                _ => None,
            },
            Error::OpenCgroup { source, .. } => Some(match source.kind() {
                K::NotFound => {
                    "pass an existing cgroup v2 directory with --cgroup (create one with mkdir \
                     under the cgroup2 mount)"
                }
                K::PermissionDenied => "run rawbpf as root",
                _ => "pass a cgroup v2 directory with --cgroup",
            }),
            Error::NotCgroup2 { .. } => Some(
                "pass a directory of the cgroup v2 hierarchy with --cgroup (by default rawbpf uses \
                 the cgroup2 mount listed in /proc/self/mounts)",
            ),
            Error::Io { source, .. } if source.kind() == K::PermissionDenied => {
                Some("run rawbpf as root")
            }
            Error::LoadRefused { .. } => Some(
                "likely causes: a missing capability (CAP_BPF; CAP_PERFMON for bpf_printk and \
                 tracing helpers; CAP_NET_ADMIN for networking program types such as sock_ops, \
                 sk_msg and tc), kernel lockdown (cat /sys/kernel/security/lockdown), or an \
                 LSM policy (SELinux, AppArmor, BPF LSM); see docs/troubleshooting.md",
            ),
            Error::MapRefused { .. } => Some(
                "kernel lockdown (some kernels refuse map types under lockdown that upstream \
                 allows) or an LSM policy (SELinux, AppArmor, BPF LSM) refused it; see \
                 docs/troubleshooting.md",
            ),
            _ => None,
        }
    }

    /// The kernel refusing one program for what it is (a verifier verdict, a type or
    /// helper it lacks, lockdown or an LSM): what `--skip-refused` leaves out.
    pub fn is_program_refusal(&self) -> bool {
        matches!(
            self,
            Error::Verifier { .. }
                | Error::CorePoisoned { .. }
                | Error::KernelLacks { .. }
                | Error::LoadRefused { .. }
        )
    }

    /// The verifier log, for [`Error::Verifier`] and [`Error::CorePoisoned`].
    pub fn verifier_log(&self) -> Option<&str> {
        match self {
            Error::Verifier { log, .. } | Error::CorePoisoned { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// A name as error messages show it: quoted, and cut to 64 characters (with its length)
/// when longer, so that a hostile object cannot fill the terminal.
pub(crate) fn shorten(name: &str) -> String {
    const SHOWN: usize = 64;
    if name.chars().count() <= SHOWN {
        return format!("{name:?}");
    }
    let head: String = name.chars().take(SHOWN).collect();
    format!("{head:?}... ({} bytes)", name.len())
}

/// Maps a failed bpf(2) call to an [`Error`]: EPERM while this process lacks a capability
/// the command may need becomes [`Error::Privileges`] naming it (exit 4), everything else
/// [`Error::Bpf`] with `what` as context.
pub(crate) fn bpf_err(what: impl Into<String>) -> impl FnOnce(sys::Error) -> Error {
    move |source| {
        let what = what.into();
        let missing = if source.errno == libc::EPERM {
            crate::host::privileges::missing_for(source.cmd)
        } else {
            Vec::new()
        };
        let memlock = (source.errno == libc::EPERM)
            .then(crate::host::memlock::exhausted_limit_kib)
            .flatten();
        if let (true, Some(limit_kib)) = (missing.is_empty(), memlock) {
            Error::Memlock {
                what,
                limit_kib,
                source,
            }
        } else if missing.is_empty() {
            Error::Bpf { what, source }
        } else {
            Error::Privileges {
                what,
                missing,
                source,
            }
        }
    }
}

/// Context for an I/O error on a path.
pub(crate) fn io_err(
    what: &'static str,
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io { what, path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_bpffs_is_advised_only_where_it_mounts() {
        let under = Error::BpffsNotMounted {
            path: "/sys/fs/bpf/rawbpf".into(),
            on: "/sys/fs".into(),
        };
        assert!(
            under.to_string().contains("or pass --mount-bpffs"),
            "{under}"
        );
        let elsewhere = Error::BpffsNotMounted {
            path: "/tmp/x/p".into(),
            on: "/tmp/x".into(),
        };
        let text = elsewhere.to_string();
        assert!(!text.contains("or pass --mount-bpffs"), "{text}");
        assert!(
            text.contains("--mount-bpffs mounts only /sys/fs/bpf"),
            "{text}"
        );
    }
}
