//! Guarantee 6 (`docs/guarantees.md`): hostile objects never escape or crash. Every file of
//! `tests/corpus/hostile/` (names leaving the pin root, BTF cycles, counts and offsets past
//! the end, relocations off their instructions, odd section sizes, headers claiming
//! gigabytes, non-BPF files; made by `tests/corpus/gen_hostile.py`) makes `rawbpf inspect`
//! and `rawbpf load --no-attach` exit 5 with a one-line error, under a 256 MiB address-space
//! limit (an allocation driven by a claimed size would abort), and creates nothing. The
//! objects whose only fault is a name (`map_name_*`, `prog_name_*`) are shown by `inspect`
//! (exit 0) with the name flagged in `problems`; `load` refuses them all the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::cli::{RAWBPF, assert_no_panic};
use crate::harness::{TestEnv, cli};
use crate::reliability_common::stderr;

/// The address-space limit for each run, in KiB (`ulimit -v`).
const LIMIT_KIB: u32 = 256 * 1024;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    files.sort();
    files
}

/// `rawbpf <args>` under `ulimit -v`.
fn limited(args: &[String]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(RAWBPF)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_hostile_object_is_exit_5() {
    let Some(env) = TestEnv::new("rel_corpus") else {
        return;
    };
    let files = corpus();
    assert!(files.len() >= 30, "the corpus is missing: {files:?}");
    let mut flagged = 0;
    for f in &files {
        let name_only = f.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("map_name_") || n.starts_with("prog_name_")
        });
        let f = f.display().to_string();
        if name_only {
            // Shown with the name flagged (or, when the name also breaks the ELF's own
            // structure, such as an empty one, refused by the parser: exit 5).
            let args = vec!["--json".to_string(), "inspect".to_string(), f.clone()];
            let out = limited(&args);
            assert_no_panic(&args, &out);
            cli::assert_exit(&args, &out, &[0, 5]);
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", cli::describe(&args, &out)));
            if out.status.success() {
                assert!(
                    v["problems"].as_array().is_some_and(|p| !p.is_empty()),
                    "inspect does not flag the name: {v}"
                );
                flagged += 1;
            }
        }
        let mut runs = vec![
            env.args(&["load", &f, "--no-attach"]),
            env.args(&["load", &f]),
        ];
        if !name_only {
            runs.push(vec!["inspect".to_string(), f.clone()]);
            runs.push(vec!["--json".to_string(), "inspect".to_string(), f.clone()]);
        }
        for args in runs {
            let out = limited(&args);
            assert_no_panic(&args, &out);
            cli::assert_exit(&args, &out, &[5]);
            if args[0] == "--json" {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{e}: {}", cli::describe(&args, &out)));
                assert_eq!(v["exit_code"], 5);
            } else {
                let err = stderr(&out);
                assert_eq!(
                    err.trim_end().lines().count(),
                    1,
                    "a one-line error: {}",
                    cli::describe(&args, &out)
                );
                assert!(err.starts_with("rawbpf: "), "{err}");
            }
        }
    }
    assert!(flagged >= 5, "inspect flagged only {flagged} name objects");
    assert!(
        env.pins.contents().is_empty() && !env.pins.path().exists(),
        "a hostile object created {:?}",
        env.pins.contents()
    );
    assert!(
        crate::harness::kernel::attached_prog_ids(
            env.cgroup_path(),
            crate::harness::kernel::ATTACH_SOCK_OPS
        )
        .is_empty(),
        "a hostile object got a program attached"
    );
}
