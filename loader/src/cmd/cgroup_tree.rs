//! `cgroup tree`: the cgroup v2 hierarchy under a root (the host's cgroup2 mount by
//! default) and the programs attached directly to each cgroup, every cgroup attach type
//! (`BPF_PROG_QUERY`), as `bpftool cgroup tree` lists them, each program with its full name
//! and rawbpf's records of it (as `prog show`).

use std::path::PathBuf;

use rawbpf_abi::AttachType;
use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::attach::apply::AttachMode;
use crate::cmd::load::DEFAULT_PIN_ROOT;
use crate::cmd::prog_show::{Describer, ShownProgram};
use crate::error::{Result, bpf_err};
use crate::host::cgroup::{self, Cgroup};

/// What `cgroup tree` walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupTreeOptions {
    /// The top of the walk.
    pub root: PathBuf,
    /// A pin root whose records count as rawbpf's (as in `prog show`).
    pub pin_root: PathBuf,
}

impl Default for CgroupTreeOptions {
    fn default() -> Self {
        CgroupTreeOptions {
            root: cgroup::default_root_or_standard(),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
        }
    }
}

/// Result of `cgroup tree`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CgroupTreeReport {
    pub root: String,
    /// The cgroups with at least one program attached directly, in walk order (depth first,
    /// by name).
    pub cgroups: Vec<TreeCgroup>,
    /// What could not be shown and why.
    pub warnings: Vec<String>,
}

/// A cgroup and the programs attached directly to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TreeCgroup {
    pub path: String,
    pub inode: u64,
    pub programs: Vec<TreeProgram>,
}

/// A program attached to a cgroup: how, and the program as `prog show` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TreeProgram {
    pub attach_type: String,
    /// The kernel's attach flags of this attachment.
    pub attach_flags: u32,
    /// `multi`, `override` or `single`.
    pub mode: String,
    #[serde(flatten)]
    pub program: ShownProgram,
}

/// The programs attached directly to `cg`, every cgroup attach type this kernel knows.
fn attached(cg: &Cgroup, d: &mut Describer) -> Result<Vec<TreeProgram>> {
    let mut out = Vec::new();
    for AttachType(at) in AttachType::CGROUP {
        let q = match sys::prog_query(cg.fd(), at) {
            Ok(q) => q,
            // An attach type newer than this kernel.
            Err(e) if e.errno == libc::EINVAL => continue,
            Err(e) => {
                return Err(bpf_err(format!(
                    "cgroup {}: query {}",
                    cg.path.display(),
                    AttachType(at)
                ))(e));
            }
        };
        for (n, id) in q.prog_ids.iter().enumerate() {
            let flags = q.flags_of(n);
            let fd = match sys::fd_by_id(sys::IdKind::Prog, id.0) {
                Ok(fd) => fd,
                Err(e) if e.is_enoent() => continue,
                Err(e) => return Err(bpf_err(format!("open program {}", id.0))(e)),
            };
            let program = match d.describe(&fd) {
                Ok(p) => p,
                Err(e) if e.is_enoent() => continue,
                Err(e) => return Err(bpf_err(format!("info of program {}", id.0))(e)),
            };
            out.push(TreeProgram {
                attach_type: AttachType(at).to_string(),
                attach_flags: flags,
                mode: AttachMode::from_flags(flags).name().to_string(),
                program,
            });
        }
    }
    Ok(out)
}

/// Walks the hierarchy per `opts`.
pub fn cgroup_tree(opts: &CgroupTreeOptions) -> Result<CgroupTreeReport> {
    // The root itself must be a cgroup v2 directory: a wrong --root is an error, not an
    // empty tree.
    drop(Cgroup::open(&opts.root)?);
    let mut d = Describer::new(&opts.pin_root);
    let mut cgroups = Vec::new();
    let mut warnings = Vec::new();
    for (path, inode) in cgroup::walk(&opts.root) {
        // A cgroup removed during the walk is skipped; one that cannot be opened is said.
        let cg = match Cgroup::open(&path) {
            Ok(cg) => cg,
            Err(_) if !path.exists() => continue,
            Err(e) => {
                warnings.push(format!("{e}"));
                continue;
            }
        };
        let programs = attached(&cg, &mut d)?;
        if !programs.is_empty() {
            cgroups.push(TreeCgroup {
                path: path.display().to_string(),
                inode,
                programs,
            });
        }
    }
    Ok(CgroupTreeReport {
        root: opts.root.display().to_string(),
        cgroups,
        warnings,
    })
}
