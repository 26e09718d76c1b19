//! The bash completion script, sourced in bash and driven as bash drives it at a TAB:
//! object files for `load`, the map pins under the pin root for `map dump`, the kernel's
//! live map IDs for `--id` and program IDs for `--prog-id`, and no hidden commands.

use std::path::Path;
use std::process::Command;

use crate::harness::cli::{RAWBPF, rawbpf};
use crate::harness::kernel;
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv};

/// The candidates the completion offers for the command line `words` (the last one is the
/// word being completed), run in `dir`.
fn complete(script: &Path, dir: &Path, words: &[&str]) -> Vec<String> {
    let bin = Path::new(RAWBPF).parent().expect("binary dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}' || exit 9
COMP_WORDS=({})
COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
_rawbpf_complete rawbpf \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"
printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &prog])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed for {words:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_objects_pins_and_ids() {
    let Some(env) = TestEnv::new("completions") else {
        return;
    };
    let report = env.load(SOCKOPS_O, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("rawbpf.bash");
    let out = rawbpf(["completions", "bash"]);
    assert!(out.status.success(), "completions bash failed");
    std::fs::write(&script, &out.stdout).expect("write script");
    let work = dir.path().join("work");
    std::fs::create_dir_all(work.join("objs")).expect("mkdir");
    std::fs::write(work.join("prog.o"), b"").expect("touch");
    std::fs::write(work.join("notes.txt"), b"").expect("touch");

    let top = complete(&script, &work, &["rawbpf", ""]);
    assert!(top.contains(&"load".to_string()), "{top:?}");
    assert!(
        !top.iter().any(|c| c == "help-markdown"),
        "hidden command offered: {top:?}"
    );

    let objs = complete(&script, &work, &["rawbpf", "load", ""]);
    assert!(objs.contains(&"prog.o".to_string()), "{objs:?}");
    assert!(
        objs.contains(&"objs".to_string()),
        "directories lead to objects: {objs:?}"
    );
    assert!(!objs.contains(&"notes.txt".to_string()), "{objs:?}");

    let root = env.pins.path().display().to_string();
    let pins = complete(
        &script,
        &work,
        &["rawbpf", "map", "dump", "--pin-root", &root, ""],
    );
    assert_eq!(pins, vec![MAP_NAME.to_string()], "the pins under {root}");

    let map_id = env.pinned_map_id().to_string();
    let ids = complete(&script, &work, &["rawbpf", "map", "dump", "--id", ""]);
    assert!(ids.contains(&map_id), "map {map_id} not among {ids:?}");
    assert_eq!(
        report.map_id.to_string(),
        map_id,
        "the report's map is the pinned one"
    );

    let prog_id = kernel::the_sockops_prog(env.cgroup_path()).to_string();
    assert_eq!(
        report.prog_id.to_string(),
        prog_id,
        "the attached program is the loaded one"
    );
    let progs = complete(&script, &work, &["rawbpf", "detach", "--prog-id", ""]);
    assert!(
        progs.contains(&prog_id),
        "program {prog_id} not among {progs:?}"
    );
    // `prog show ID` and `map show ID` take the live IDs too; `cgroup tree ROOT` directories.
    let progs = complete(&script, &work, &["rawbpf", "prog", "show", ""]);
    assert!(progs.contains(&prog_id), "prog show: {progs:?}");
    let maps = complete(&script, &work, &["rawbpf", "map", "ls", ""]);
    assert!(maps.contains(&map_id), "map ls: {maps:?}");
    let dirs = complete(&script, &work, &["rawbpf", "cgroup", "tree", ""]);
    assert_eq!(dirs, vec!["objs".to_string()], "cgroup tree: {dirs:?}");
}
