//! The library's own time per load and detach, without a process start: `rawbpf::load` and
//! `rawbpf::detach` in a loop in one process (`bench/run.sh`, `docs/performance.md`).
//!
//! ```text
//! loadloop OBJ CGROUP PIN_ROOT [N]
//! ```
//!
//! Runs N (default 30) rounds of load + detach (pins kept, so maps are reused after the
//! first round, as in the whole-process benchmark) and prints one line per round:
//! `load <seconds> detach <seconds>`. Nearly all of that time is the kernel's (bpf(2)
//! calls: verifier, JIT, map creation); the difference to a whole `rawbpf load` process is
//! what the process adds (exec, dynamic linking, argument parsing, reading the file).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Instant;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [obj, cgroup, pin_root, rest @ ..] = &args[..] else {
        eprintln!("usage: loadloop OBJ CGROUP PIN_ROOT [N]");
        return std::process::ExitCode::from(2);
    };
    let n: usize = rest.first().and_then(|s| s.parse().ok()).unwrap_or(30);
    let load = rawbpf::LoadOptions {
        cgroup: PathBuf::from(cgroup),
        pin_root: PathBuf::from(pin_root),
        ..rawbpf::LoadOptions::new(obj)
    };
    let detach = rawbpf::DetachOptions {
        cgroup: PathBuf::from(cgroup),
        pin_root: PathBuf::from(pin_root),
        ..rawbpf::DetachOptions::default()
    };
    for _ in 0..n {
        let t = Instant::now();
        if let Err(e) = rawbpf::load(&load) {
            eprintln!("loadloop: load: {e}");
            return std::process::ExitCode::FAILURE;
        }
        let l = t.elapsed().as_secs_f64();
        let t = Instant::now();
        if let Err(e) = rawbpf::detach(&detach) {
            eprintln!("loadloop: detach: {e}");
            return std::process::ExitCode::FAILURE;
        }
        let d = t.elapsed().as_secs_f64();
        println!("load {l:.9} detach {d:.9}");
    }
    std::process::ExitCode::SUCCESS
}
