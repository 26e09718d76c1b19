//! Guarantee 5 (`docs/guarantees.md`): no leaks. 200 load/detach cycles through the library,
//! in a child process of its own (`rawbpf-e2e-child leak`, so that other tests' threads do
//! not open fds in the same process): the fd count of the process is the same after
//! every cycle, the pinned map keeps one id throughout, and after a final `detach --unpin`
//! none of the programs, maps or BTF objects the cycles created is alive.
//! `RAWBPF_LEAK_CYCLES=N` changes the count (`bench/leak-cycles.sh` runs 1,000).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use rawbpf_syscalls::{self as sys, IdKind};

use crate::harness::{SOCKOPS_O, TestEnv, child, kernel};

const DEFAULT_CYCLES: usize = 200;

#[test]
fn load_detach_cycles_leak_nothing() {
    let Some(env) = TestEnv::new("rel_leak") else {
        return;
    };
    let cycles: usize = std::env::var("RAWBPF_LEAK_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let mut cycler = child::command("leak")
        .arg(env.cgroup_path())
        .arg(env.pins.path())
        .arg(cycles.to_string())
        .arg(SOCKOPS_O)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn the cycling child: {e}"));
    let mut seen: Vec<(String, u32)> = Vec::new();
    let mut done = false;
    for line in BufReader::new(cycler.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            ["SEEN", kind, id] => seen.push((kind.to_string(), id.parse().unwrap())),
            ["DONE"] => done = true,
            _ => panic!("the cycling child said {line:?}"),
        }
    }
    let status = cycler.wait().unwrap();
    // Its panic message, if any, is on the test's stderr (inherited).
    assert!(
        status.success(),
        "the cycling child failed: {}",
        child::describe(&status)
    );
    assert!(done, "the child did not finish its cycles");
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
