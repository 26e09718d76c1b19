//! Every command's `--json` document parses and has every field `docs/cli.md` documents
//! (values may be `null` where the docs say so). The field lists below mirror the docs: a
//! field renamed or dropped in the code fails here.

use serde_json::Value;

use crate::harness::cli::{self, parse_json};
use crate::harness::{Connections, MAP_NAME, SOCKOPS_INVALID_O, SOCKOPS_O, TestEnv};

/// Checks that `path` exists in `v`. `a.b` is a field, `a[].b` the field `b` of every
/// element of the non-empty array `a`. The last field may be `null`.
fn check(v: &Value, path: &str, doc: &str) {
    fn walk(v: &Value, parts: &[&str], full: &str, doc: &str) {
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        let (name, each) = match first.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (*first, false),
        };
        let obj = v
            .as_object()
            .unwrap_or_else(|| panic!("{doc}: {full}: not an object at {name}: {v}"));
        let field = obj
            .get(name)
            .unwrap_or_else(|| panic!("{doc}: no field {full} (at {name}) in {v}"));
        if each {
            let items = field
                .as_array()
                .unwrap_or_else(|| panic!("{doc}: {full}: {name} is not an array: {field}"));
            assert!(!items.is_empty(), "{doc}: {full}: {name} is empty");
            for item in items {
                walk(item, rest, full, doc);
            }
        } else if !rest.is_empty() {
            walk(field, rest, full, doc);
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    walk(v, &parts, path, doc);
}

fn check_all(v: &Value, fields: &[&str], doc: &str) {
    for f in fields {
        check(v, f, doc);
    }
}

const INSPECT: &[&str] = &[
    "license",
    "endian",
    "kernel_version",
    "programs[].name",
    "programs[].section",
    "programs[].type",
    "programs[].attach_type",
    "programs[].insns",
    "programs[].subprograms",
    "programs[].relocations[].insn",
    "programs[].relocations[].kind",
    "maps[].name",
    "maps[].type",
    "maps[].key_size",
    "maps[].value_size",
    "maps[].max_entries",
    "maps[].flags",
    "maps[].map_extra",
    "maps[].pinning",
    "maps[].source",
    "data[].name",
    "data[].kind",
    "data[].size",
    "btf.types",
    "btf.strings",
    "btf.func_info",
    "btf.line_info",
    "btf.core_relos",
    "problems",
    "unclassified",
    "unknown_sections",
];

/// `inspect` of an object with functions in sections of no known type.
const INSPECT_UNKNOWN: &[&str] = &[
    "unclassified",
    "unknown_sections[].section",
    "unknown_sections[].functions",
];

const LOAD: &[&str] = &[
    "object",
    "pin_root",
    "programs[].name",
    "programs[].section",
    "programs[].type",
    "programs[].id",
    "programs[].tag",
    "programs[].attach.target",
    "programs[].attach.attach_type",
    "programs[].attach.mode",
    "programs[].attach.replaced_id",
    "maps[].name",
    "maps[].type",
    "maps[].id",
    "maps[].key_size",
    "maps[].value_size",
    "maps[].max_entries",
    "maps[].status",
    "maps[].pin_path",
    "warnings",
    "refused",
    "removed",
];

/// A reload after the source dropped a program, then after it renamed one.
const LOAD_REMOVED: &[&str] = &["removed[].id", "removed[].name", "removed[].attach_type"];
const LOAD_RENAMED: &[&str] = &["programs[].attach.replaced_name"];

/// `load --skip-refused` of an object with a program the kernel refuses.
const LOAD_REFUSED: &[&str] = &["refused[].name", "refused[].reason"];

const MAP_IDS: &[&str] = &[
    "cgroup",
    "pin_root",
    "warnings",
    "programs[].id",
    "programs[].name",
    "programs[].kernel_name",
    "programs[].owner",
    "programs[].type",
    "programs[].tag",
    "programs[].attach_type",
    "programs[].attach_flags",
    "programs[].map_ids",
    "programs[].target",
    "maps[].id",
    "maps[].name",
    "maps[].type",
    "maps[].key_size",
    "maps[].value_size",
    "maps[].max_entries",
    "maps[].flags",
    "maps[].pinned",
    "maps[].used_by",
];

const MAP_SHOW: &[&str] = &[
    "cgroup",
    "pin_root",
    "maps[].id",
    "maps[].name",
    "maps[].type",
    "maps[].key_size",
    "maps[].value_size",
    "maps[].max_entries",
    "maps[].flags",
    "maps[].entries",
    "maps[].pinned",
    "maps[].used_by",
    "maps[].owner",
    "warnings",
];

/// `prog show` (and each program of `cgroup tree`).
const PROG_SHOW: &[&str] = &[
    "programs[].id",
    "programs[].type",
    "programs[].name",
    "programs[].kernel_name",
    "programs[].name_source",
    "programs[].tag",
    "programs[].gpl_compatible",
    "programs[].loaded_at",
    "programs[].uid",
    "programs[].xlated_len",
    "programs[].jited_len",
    "programs[].map_ids",
    "programs[].btf_id",
    "programs[].owner",
    "programs[].records[].kind",
    "programs[].records[].pin_root",
    "programs[].records[].path",
    "programs[].records[].attach_type",
    "programs[].records[].cgroup",
    "programs[].records[].cgroup_inode",
    "programs[].records[].map_id",
    "programs[].records[].ifindex",
    "programs[].records[].iface",
    "programs[].records[].pending",
    "warnings",
];

const CGROUP_TREE: &[&str] = &[
    "root",
    "cgroups[].path",
    "cgroups[].inode",
    "cgroups[].programs[].attach_type",
    "cgroups[].programs[].attach_flags",
    "cgroups[].programs[].mode",
    "cgroups[].programs[].id",
    "cgroups[].programs[].name",
    "cgroups[].programs[].kernel_name",
    "cgroups[].programs[].owner",
    "cgroups[].programs[].records",
    "warnings",
];

const MAP_DUMP: &[&str] = &[
    "map.id",
    "map.name",
    "map.type",
    "map.key_size",
    "map.value_size",
    "map.max_entries",
    "map.flags",
    "map.pinned",
    "btf",
    "key_type",
    "value_type",
    "entries[].key",
    "entries[].value",
    "entries[].key_hex",
    "entries[].value_hex",
    "entries[].cookie_hex",
    "entries[].peer",
    "warnings",
];

/// `map lookup`, `map update` and `map delete`.
const MAP_ENTRY: &[&str] = &[
    "map.id",
    "map.name",
    "map.type",
    "map.pinned",
    "btf",
    "entry.key",
    "entry.value",
    "entry.key_hex",
    "entry.value_hex",
    "entry.cookie_hex",
    "entry.peer",
];

const MAP_PIN: &[&str] = &["map.id", "map.name", "map.type", "pinned"];

/// One line of `map dump --watch --json`.
const MAP_WATCH: &[&str] = &[
    "event",
    "round",
    "entry.key",
    "entry.value",
    "entry.key_hex",
];

const STATUS: &[&str] = &[
    "bpffs.mounted",
    "bpffs.mounts",
    "pin_root.path",
    "pin_root.exists",
    "pin_root.on_bpffs",
    "pin_root.map_pins",
    "pin_root.attach_records",
    "pin_root.stale_records",
    "cgroup.path",
    "cgroup.from_record",
    "cgroup.programs[].id",
    "cgroup.programs[].name",
    "cgroup.programs[].owner",
    "cgroup.programs[].attach_type",
    "cgroup.programs[].map_ids",
    "cgroup.programs[].target",
    "maps[].id",
    "maps[].entries",
    "maps[].pinned",
    "warnings",
];

const DETACH: &[&str] = &[
    "cgroup",
    "detached[].id",
    "detached[].name",
    "detached[].attach_type",
    "unpinned",
    "kept",
    "dry_run",
    "left_attached",
    "owned_by_others",
];

const VERIFIER_ERROR: &[&str] = &[
    "error",
    "exit_code",
    "verifier_log",
    "verifier_summary.verdict",
    "verifier_summary.location.file",
    "verifier_summary.location.line",
    "verifier_summary.location.text",
    "verifier_summary.insns[].insn",
    "verifier_summary.insns[].text",
    "verifier_summary.insns[].state",
    "verifier_summary.insns[].source",
    "verifier_summary.sources",
    "verifier_summary.log_lines",
];

/// `rawbpf --json <args>` (no --cgroup/--pin-root added), exit 0, parsed.
fn json(args: &[&str]) -> Value {
    let mut full = vec!["--json".to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    let out = cli::rawbpf(&full);
    parse_json(&full, &out)
}

#[test]
fn every_command_json_has_the_documented_fields() {
    let Some(env) = TestEnv::new("json_schema") else {
        return;
    };
    check_all(&json(&["inspect", SOCKOPS_O]), INSPECT, "inspect");
    let unknown = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/objects/unknown_sections.o"
    );
    check_all(&json(&["inspect", unknown]), INSPECT_UNKNOWN, "inspect");

    // A verifier rejection first (nothing is loaded yet).
    let mut args = vec!["--json".to_string()];
    args.extend(env.args(&["load", SOCKOPS_INVALID_O]));
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[6]);
    let err: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", cli::describe(&args, &out)));
    check_all(&err, VERIFIER_ERROR, "verifier error");

    // Twice, so that replaced_id is a number the second time.
    env.json(&["load", SOCKOPS_O]);
    check_all(&env.json(&["load", SOCKOPS_O]), LOAD, "load");
    let pair = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/objects/sockops_pair.o"
    );
    env.json(&["load", pair]);
    check_all(
        &env.json(&["load", SOCKOPS_O]),
        LOAD_REMOVED,
        "load, removed",
    );
    let dir = tempfile::tempdir().unwrap();
    let renamed = crate::reload_program_set::renamed_sockops(dir.path());
    let renamed = env.json(&["load", &renamed.display().to_string()]);
    check_all(&renamed, LOAD_RENAMED, "load, renamed");
    let twins = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/objects/refused_twins.o"
    );
    let skipped = env.json(&["load", twins, "--no-attach", "--no-pin", "--skip-refused"]);
    check_all(&skipped, LOAD_REFUSED, "load --skip-refused");
    check_all(&env.json(&["map-ids"]), MAP_IDS, "map-ids");
    check_all(&env.json(&["map", "show"]), MAP_SHOW, "map show");
    check_all(&env.json(&["status"]), STATUS, "status");
    let prog = crate::harness::kernel::the_sockops_prog(env.cgroup_path()).to_string();
    check_all(&json(&["prog", "show", &prog]), PROG_SHOW, "prog show");
    let cgroup = env.cgroup_path().display().to_string();
    check_all(
        &json(&["cgroup", "tree", &cgroup]),
        CGROUP_TREE,
        "cgroup tree",
    );

    let conns = Connections::open(&env.cgroup, 1);
    let pin_root = env.pins.path().display().to_string();
    let dump = crate::harness::kernel::poll(|| {
        let v = json(&["map", "dump", MAP_NAME, "--pin-root", &pin_root]);
        (v["entries"].as_array().is_some_and(|e| e.len() == 2)).then_some(v)
    })
    .expect("the sockhash never held the connection's two sockets");
    check_all(&dump, MAP_DUMP, "map dump");
    let key = dump["entries"][0]["key_hex"].as_str().unwrap_or_default();
    let lookup = [
        "map",
        "lookup",
        MAP_NAME,
        "--pin-root",
        &pin_root,
        "--key-hex",
        key,
    ];
    check_all(&json(&lookup), MAP_ENTRY, "map lookup");
    let watch = [
        "map",
        "dump",
        MAP_NAME,
        "--pin-root",
        &pin_root,
        "--watch",
        "--count",
        "1",
    ];
    let args: Vec<String> = std::iter::once("--json")
        .chain(watch)
        .map(String::from)
        .collect();
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[0]);
    let lines = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(lines.lines().count(), 2, "one line per entry: {lines}");
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        check_all(&v, MAP_WATCH, "map dump --watch");
    }
    let map_id = dump["map"]["id"].to_string();
    let again = env.pins.join("schema_pin").display().to_string();
    check_all(
        &json(&["map", "pin", "--id", &map_id, &again]),
        MAP_PIN,
        "map pin",
    );
    drop(conns);

    for shell in ["bash", "zsh", "fish"] {
        let v = json(&["completions", shell]);
        assert_eq!(v["shell"], shell);
        assert!(
            v["script"].as_str().is_some_and(|s| s.contains("rawbpf")),
            "{v}"
        );
    }
    let v = json(&["man"]);
    assert_eq!(v["page"], "rawbpf.1");
    assert!(v["roff"].as_str().is_some_and(|s| s.contains(".TH")), "{v}");

    check_all(&env.json(&["detach", "--unpin"]), DETACH, "detach");

    // An ordinary error.
    let args = ["--json", "map", "dump", "--id", "4294967295"];
    let out = cli::rawbpf(args);
    let a: Vec<String> = args.map(String::from).to_vec();
    cli::assert_exit(&a, &out, &[1]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_all(&v, &["error", "exit_code"], "error");
    assert_eq!(v["exit_code"], 1);
}

#[test]
fn completions_and_man_page_generate() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef rawbpf"),
        ("fish", "complete -c rawbpf"),
    ] {
        let args = vec!["completions".to_string(), shell.to_string()];
        let out = cli::rawbpf(&args);
        cli::assert_exit(&args, &out, &[0]);
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains(marker), "{shell}: no {marker:?}");
        assert!(s.contains("map") && s.contains("status"), "{shell}: {s}");
    }
    for page in [vec!["man"], vec!["man", "map"], vec!["man", "load"]] {
        let args: Vec<String> = page.iter().map(|s| s.to_string()).collect();
        let out = cli::rawbpf(&args);
        cli::assert_exit(&args, &out, &[0]);
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains(".TH"), "{page:?}: {s}");
    }
}
