//! `leak <cgroup> <pin root> <cycles> <object>`: load/detach cycles through the rawbpf
//! library in a process with no other threads opening fds. Checks the fd count and the
//! pinned map's id itself after every cycle, prints every id it saw as `SEEN <kind> <id>` for
//! the parent (`reliability_leak`) to check after the final `detach --unpin`, then `DONE`.

use std::os::fd::AsFd;
use std::path::PathBuf;

use rawbpf_syscalls::{self as sys, IdKind};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// What `/proc/self/fd` points at, for a message about a changed count.
fn fd_targets() -> Vec<PathBuf> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_link(e.path()).unwrap_or_default())
        .collect()
}

/// One load: prints the ids of its programs, their BTF objects and its maps; returns the
/// pinned map's id.
fn load_once(opts: &rawbpf::LoadOptions, cycle: usize) -> u32 {
    let r = rawbpf::load(opts).unwrap_or_else(|e| panic!("cycle {cycle}: load: {e}"));
    for p in &r.programs {
        println!("SEEN prog {}", p.id);
        if let Ok(fd) = sys::fd_by_id(IdKind::Prog, p.id)
            && let Ok(info) = sys::prog_info(fd.as_fd())
            && info.btf_id != 0
        {
            println!("SEEN btf {}", info.btf_id);
        }
    }
    for m in &r.maps {
        println!("SEEN map {}", m.id);
    }
    r.maps
        .iter()
        .find(|m| m.pin_path.is_some())
        .map(|m| m.id)
        .unwrap_or_else(|| panic!("cycle {cycle}: no pinned map in {:?}", r.maps))
}

pub fn run(cgroup: PathBuf, pin_root: PathBuf, cycles: usize, object: &str) {
    let opts = rawbpf::LoadOptions {
        cgroup: cgroup.clone(),
        pin_root: pin_root.clone(),
        ..rawbpf::LoadOptions::new(object)
    };
    let detach = rawbpf::DetachOptions {
        cgroup,
        pin_root,
        ..Default::default()
    };
    let mut baseline = None;
    let mut map_id = None;
    for cycle in 0..cycles {
        let pinned = load_once(&opts, cycle);
        assert_eq!(
            *map_id.get_or_insert(pinned),
            pinned,
            "cycle {cycle}: map id"
        );
        let d = rawbpf::detach(&detach).unwrap_or_else(|e| panic!("cycle {cycle}: detach: {e}"));
        assert_eq!(d.detached.len(), 1, "cycle {cycle}");
        let fds = open_fds();
        assert_eq!(
            *baseline.get_or_insert(fds),
            fds,
            "cycle {cycle}: open fds changed: {:?}",
            fd_targets()
        );
    }
    let d = rawbpf::detach(&rawbpf::DetachOptions {
        unpin: true,
        ..detach
    })
    .unwrap_or_else(|e| panic!("final detach --unpin: {e}"));
    assert_eq!(d.unpinned.len(), 1, "{d:?}");
    println!("DONE");
}
