//! Guarantee 5 (`docs/guarantees.md`): no leaks. 200 load/detach cycles through the library,
//! in a child process of its own (the test binary re-executed, so that other tests' threads
//! do not open fds in the same process): the fd count of the process is the same after
//! every cycle, the pinned map keeps one id throughout, and after a final `detach --unpin`
//! none of the programs, maps or BTF objects the cycles created is alive.
//! `RAWBPF_LEAK_CYCLES=N` changes the count (`bench/leak-cycles.sh` runs 1,000).

use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rawbpf_syscalls::{self as sys, IdKind};

use crate::harness::kernel;
use crate::harness::{SOCKOPS_O, TestEnv};

/// Turns `leak_child_entry` into the cycling child: `<cgroup>\n<pin root>\n<cycles>`.
const CHILD_ENV: &str = "RAWBPF_E2E_LEAK_CHILD";
const DEFAULT_CYCLES: usize = 200;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The child's side: cycles, checks fds and the map id itself, and prints every id it saw
/// as `SEEN <kind> <id>` for the parent to check after the final unpin.
#[test]
fn leak_child_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('\n');
    let cgroup = PathBuf::from(parts.next().unwrap());
    let pin_root = PathBuf::from(parts.next().unwrap());
    let cycles: usize = parts.next().unwrap().parse().unwrap();
    let opts = rawbpf::LoadOptions {
        cgroup: cgroup.clone(),
        pin_root: pin_root.clone(),
        ..rawbpf::LoadOptions::new(SOCKOPS_O)
    };
    let detach = rawbpf::DetachOptions {
        cgroup,
        pin_root,
        ..Default::default()
    };
    let mut baseline = None;
    let mut map_id = None;
    for cycle in 0..cycles {
        let r = rawbpf::load(&opts).unwrap_or_else(|e| panic!("cycle {cycle}: load: {e}"));
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
        let pinned = r
            .maps
            .iter()
            .find(|m| m.pin_path.is_some())
            .map(|m| m.id)
            .unwrap();
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
            std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .flatten()
                .map(|e| std::fs::read_link(e.path()).unwrap_or_default())
                .collect::<Vec<_>>()
        );
    }
    let d = rawbpf::detach(&rawbpf::DetachOptions {
        unpin: true,
        ..detach
    })
    .unwrap_or_else(|e| panic!("final detach --unpin: {e}"));
    assert_eq!(d.unpinned.len(), 1, "{d:?}");
    println!("CYCLES DONE");
}

#[test]
fn load_detach_cycles_leak_nothing() {
    let Some(env) = TestEnv::new("rel_leak") else {
        return;
    };
    let cycles: usize = std::env::var("RAWBPF_LEAK_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reliability_leak::leak_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!(
                "{}\n{}\n{cycles}",
                env.cgroup_path().display(),
                env.pins.path().display()
            ),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen: Vec<(String, u32)> = Vec::new();
    let mut done = false;
    let mut transcript = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "SEEN") {
            seen.push((words[i + 1].to_string(), words[i + 2].parse().unwrap()));
        } else {
            done |= line.contains("CYCLES DONE");
            transcript.push_str(&line);
            transcript.push('\n');
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "the cycling child failed:\n{transcript}");
    assert!(done, "the child did not finish its cycles:\n{transcript}");
    assert!(
        seen.iter().filter(|(k, _)| k == "prog").count() == cycles,
        "{seen:?}"
    );
    assert!(
        env.pins.contents().is_empty(),
        "pins left: {:?}",
        env.pins.contents()
    );

    let live = |kind: &str, id: u32| {
        let k = match kind {
            "prog" => IdKind::Prog,
            "map" => IdKind::Map,
            _ => IdKind::Btf,
        };
        match sys::fd_by_id(k, id) {
            Ok(_) => true,
            Err(e) if e.is_enoent() => false,
            Err(e) => panic!("fd_by_id {kind} {id}: {e}"),
        }
    };
    // Objects are freed after an RCU grace period: poll, bounded.
    let left = kernel::poll(|| {
        let left: Vec<&(String, u32)> = seen.iter().filter(|(k, id)| live(k, *id)).collect();
        left.is_empty().then_some(())
    });
    if left.is_none() {
        let still: Vec<&(String, u32)> = seen.iter().filter(|(k, id)| live(k, *id)).collect();
        panic!("objects created by the cycles are still alive: {still:?}");
    }
}
