//! `TestCgroup`: a child cgroup of the cgroup v2 root, owned by one test and removed on Drop.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rawbpf_abi::AttachType;
use rawbpf_syscalls::IdKind;

use super::kernel::{self, ATTACH_SOCK_OPS, cgroup_root};
use super::unique_name;

/// `/sys/fs/cgroup/unified/rawbpf-test-<pid>-<name>-<n>`. Drop detaches every program attached
/// to it (this cgroup only), kills the processes in it and removes it.
pub struct TestCgroup {
    path: PathBuf,
}

impl TestCgroup {
    /// Creates the cgroup after checking that the root cgroup lets us attach below it.
    pub fn new(test: &str) -> TestCgroup {
        check_root_allows_attach();
        let path = Path::new(cgroup_root()).join(unique_name(test));
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        TestCgroup { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pids in the cgroup (`cgroup.procs`).
    pub fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Detaches every link whose target is this cgroup (`BPF_LINK_DETACH`: a test failing
    /// half way may leave a link pin behind for a moment), then, by program fd, every
    /// program the kernel reports attached to it.
    fn detach_all(&self) {
        let Ok(dir) = File::open(&self.path) else {
            return;
        };
        if let Ok(meta) = dir.metadata() {
            use std::os::unix::fs::MetadataExt;
            for id in rawbpf_syscalls::ids(IdKind::Link).flatten() {
                let Ok(link) = rawbpf_syscalls::fd_by_id(IdKind::Link, id) else {
                    continue;
                };
                let ours = rawbpf_syscalls::link_info(link.as_fd()).is_ok_and(|i| {
                    matches!(i.target, rawbpf_syscalls::LinkTarget::Cgroup { cgroup_id, .. }
                        if cgroup_id == meta.ino())
                });
                if ours {
                    let _ = rawbpf_syscalls::link_detach(link.as_fd());
                }
            }
        }
        // Every cgroup attach type (`PROG_QUERY` on a cgroup accepts these).
        for AttachType(attach_type) in AttachType::CGROUP {
            // Attach types this kernel does not know fail with EINVAL: nothing to detach.
            let Ok(q) = rawbpf_syscalls::prog_query(dir.as_fd(), attach_type) else {
                continue;
            };
            for id in q.prog_ids {
                let res = rawbpf_syscalls::fd_by_id(IdKind::Prog, id.0).and_then(|prog| {
                    rawbpf_syscalls::prog_detach(dir.as_fd(), Some(prog.as_fd()), attach_type)
                });
                if let Err(e) = res {
                    eprintln!(
                        "cleanup: detach program {} (type {attach_type}) from {}: {e}",
                        id.0,
                        self.path.display()
                    );
                }
            }
        }
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        self.detach_all();
        for pid in self.pids() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        // Child cgroups a test made (left behind when it failed half way) go first.
        remove_children(&self.path);
        // rmdir succeeds once the killed tasks are gone; a survivor is moved to the parent.
        let removed = kernel::poll(|| std::fs::remove_dir(&self.path).ok());
        if removed.is_none() {
            for pid in self.pids() {
                let _ = std::fs::write(
                    Path::new(cgroup_root()).join("cgroup.procs"),
                    pid.to_string(),
                );
            }
            if let Err(e) = std::fs::remove_dir(&self.path) {
                eprintln!("cleanup: rmdir {}: {e}", self.path.display());
            }
        }
    }
}

/// Removes the (empty) child cgroups under `dir`, deepest first.
fn remove_children(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_children(&e.path());
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

/// Panics when the root cgroup has a sockops program attached with flags 0: the kernel then
/// refuses (EPERM) every sockops attach below it, and a test would fail for a reason that is
/// not the loader's. `BPF_F_ALLOW_MULTI` and `BPF_F_ALLOW_OVERRIDE` both let children attach.
fn check_root_allows_attach() {
    let root = Path::new(cgroup_root());
    let (ids, flags) = kernel::query(root, ATTACH_SOCK_OPS)
        .unwrap_or_else(|e| panic!("prog_query {} sockops: {e}", cgroup_root()));
    if ids.is_empty() || flags != 0 {
        return;
    }
    let id = ids[0];
    let name = rawbpf_syscalls::fd_by_id(IdKind::Prog, id)
        .and_then(|fd| rawbpf_syscalls::prog_info(fd.as_fd()))
        .map(|i| i.name)
        .unwrap_or_else(|e| format!("<{e}>"));
    let root = cgroup_root();
    panic!(
        "the root cgroup {root} has sockops program {id} ({name}) attached with flags 0 \
         (single mode, e.g. from `rawbpf load --attach-mode single` or another loader); the \
         kernel refuses every sockops attach below it, so these tests cannot run. Detach it \
         first: `rawbpf detach` if rawbpf attached it, else `rawbpf detach --prog-id {id}`."
    );
}
