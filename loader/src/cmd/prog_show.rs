//! `prog show`: every BPF program on the host (`BPF_PROG_GET_NEXT_ID`,
//! `BPF_PROG_GET_FD_BY_ID`, `BPF_OBJ_GET_INFO_BY_FD`), or one by ID or by pin, as
//! `bpftool prog show` lists them, with the full name from the program's BTF
//! (`prog::full_name`) and, for the programs rawbpf owns, its records of them
//! (`attach::owners`).

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rawbpf_abi::ProgType;
use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::attach::owners::{Owners, ProgRecord};
use crate::cmd::load::DEFAULT_PIN_ROOT;
use crate::error::{Error, Result, bpf_err};
use crate::host::pin_root;
use crate::prog::full_name::{NameSource, Names};

/// Which programs `prog show` lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProgSelector {
    /// Every program of the host.
    #[default]
    All,
    /// The program with this kernel ID.
    Id(u32),
    /// The program pinned at this path.
    Pinned(PathBuf),
}

/// What `prog show` looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgShowOptions {
    pub program: ProgSelector,
    /// A pin root whose records count as rawbpf's besides the default one and those the
    /// index names.
    pub pin_root: PathBuf,
}

impl Default for ProgShowOptions {
    fn default() -> Self {
        ProgShowOptions {
            program: ProgSelector::All,
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
        }
    }
}

/// Result of `prog show`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProgShowReport {
    pub programs: Vec<ShownProgram>,
    /// What could not be shown and why.
    pub warnings: Vec<String>,
}

/// One program, as `BPF_OBJ_GET_INFO_BY_FD` describes it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShownProgram {
    pub id: u32,
    #[serde(rename = "type")]
    pub prog_type: String,
    /// The full name: from the BTF func info where the kernel's name may be cut.
    pub name: String,
    /// The kernel's name (at most 15 bytes).
    pub kernel_name: String,
    /// `btf` or `kernel`: where `name` comes from.
    pub name_source: NameSource,
    /// 16 hex digits.
    pub tag: String,
    pub gpl_compatible: bool,
    /// When it was loaded, in seconds since the Unix epoch (from the kernel's boot-time
    /// nanoseconds and `/proc/uptime`); `null` when the uptime cannot be read.
    pub loaded_at: Option<u64>,
    /// The user that loaded it.
    pub uid: u32,
    /// Bytes of translated and JIT-compiled code (0 without CAP_BPF).
    pub xlated_len: u32,
    pub jited_len: u32,
    pub map_ids: Vec<u32>,
    /// `null` when the program was loaded without BTF.
    pub btf_id: Option<u32>,
    /// `rawbpf` when one of rawbpf's records pins this program; `null` otherwise.
    pub owner: Option<String>,
    /// rawbpf's records of it (empty for another tool's program).
    pub records: Vec<ProgRecord>,
}

/// Seconds since the epoch at which the machine booted (wall clock minus `/proc/uptime`,
/// which counts suspend as `CLOCK_BOOTTIME` does).
fn boot_time() -> Option<f64> {
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some(now - uptime)
}

/// Builds the shown program from an open program fd.
pub(crate) struct Describer {
    owners: Owners,
    names: Names,
    boot: Option<f64>,
}

impl Describer {
    pub(crate) fn new(pin_root: &std::path::Path) -> Describer {
        Describer {
            owners: Owners::collect(&[pin_root]),
            names: Names::default(),
            boot: boot_time(),
        }
    }

    /// The program `fd`, or the error of reading its info.
    pub(crate) fn describe(&mut self, fd: &OwnedFd) -> sys::Result<ShownProgram> {
        let info = sys::prog_info(fd.as_fd())?;
        let (name, name_source) = self.names.full(fd.as_fd(), &info.name);
        let id = info.id.0;
        let loaded_at = self
            .boot
            .map(|b| (b + info.load_time as f64 / 1e9).max(0.0) as u64);
        Ok(ShownProgram {
            id,
            prog_type: ProgType(info.prog_type).to_string(),
            name,
            kernel_name: info.name,
            name_source,
            tag: crate::hex::encode(&info.tag),
            gpl_compatible: info.gpl_compatible,
            loaded_at,
            uid: info.created_by_uid,
            xlated_len: info.xlated_prog_len,
            jited_len: info.jited_prog_len,
            map_ids: info.map_ids.iter().map(|m| m.0).collect(),
            btf_id: (info.btf_id != 0).then_some(info.btf_id),
            owner: self.owners.prog_owner(id),
            records: self.owners.prog(id).to_vec(),
        })
    }
}

/// Opens the program `sel` names (not `All`).
fn open_one(sel: &ProgSelector) -> Result<OwnedFd> {
    match sel {
        ProgSelector::All => Err(Error::BadArgument {
            what: "no program chosen".to_string(),
        }),
        ProgSelector::Id(id) => sys::fd_by_id(sys::IdKind::Prog, *id).map_err(|e| {
            if e.is_enoent() {
                Error::ProgNotFound {
                    what: format!("with ID {id} (list programs with `rawbpf prog show`)"),
                }
            } else {
                bpf_err(format!("open program {id}"))(e)
            }
        }),
        ProgSelector::Pinned(path) => {
            let fd = sys::obj_get(&pin_root::c_path(path)?).map_err(|e| {
                if e.is_enoent() {
                    Error::ProgNotFound {
                        what: format!("pinned at {}", path.display()),
                    }
                } else if !pin_root::is_on_bpffs(path).unwrap_or(true) {
                    Error::PinOffBpffs { path: path.clone() }
                } else {
                    bpf_err(format!("open pin {}", path.display()))(e)
                }
            })?;
            match sys::obj_info_kind(fd.as_fd()) {
                sys::ObjKind::Prog => Ok(fd),
                kind => Err(Error::NotAProg {
                    path: path.clone(),
                    kind: format!("{kind:?}").to_ascii_lowercase(),
                }),
            }
        }
    }
}

/// Every program of the host, in ID order; programs that go away meanwhile are skipped.
fn all(d: &mut Describer) -> Result<Vec<ShownProgram>> {
    let mut out = Vec::new();
    for id in sys::ids(sys::IdKind::Prog) {
        let id = id.map_err(bpf_err("list the host's programs"))?;
        let fd = match sys::fd_by_id(sys::IdKind::Prog, id) {
            Ok(fd) => fd,
            Err(e) if e.is_enoent() => continue,
            Err(e) => return Err(bpf_err(format!("open program {id}"))(e)),
        };
        match d.describe(&fd) {
            Ok(p) => out.push(p),
            Err(e) if e.is_enoent() => continue,
            Err(e) => return Err(bpf_err(format!("info of program {id}"))(e)),
        }
    }
    Ok(out)
}

/// Lists the programs per `opts`.
pub fn prog_show(opts: &ProgShowOptions) -> Result<ProgShowReport> {
    let mut d = Describer::new(&opts.pin_root);
    let programs = match &opts.program {
        ProgSelector::All => all(&mut d)?,
        sel => {
            let fd = open_one(sel)?;
            vec![
                d.describe(&fd)
                    .map_err(bpf_err("info of the program".to_string()))?,
            ]
        }
    };
    let cut: Vec<String> = programs
        .iter()
        .filter(|p| {
            p.name_source == NameSource::Kernel && p.kernel_name.len() == 15 && p.btf_id.is_some()
        })
        .map(|p| p.id.to_string())
        .collect();
    let mut warnings = Vec::new();
    if !cut.is_empty() {
        warnings.push(format!(
            "program {}: the kernel keeps 15 bytes of a name and the full name could not be              read from the program's BTF (BPF_BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN); shown is              the kernel's",
            cut.join(", ")
        ));
    }
    Ok(ProgShowReport { programs, warnings })
}
