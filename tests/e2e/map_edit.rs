//! `map lookup|update|delete|pin` and `map dump --watch` against the kernel: entries written
//! with BTF-typed keys and values are the bytes the kernel then holds, lookups read them back,
//! a sockhash lookup returns the socket's cookie as `ss -e` shows it, and a watch sees an
//! entry added between two rounds.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::compat_common::object;
use crate::harness::cli::{self, RAWBPF, parse_json};
use crate::harness::kernel;
use crate::harness::report::id;
use crate::harness::{Connections, MAP_NAME, SOCKOPS_O, TestEnv};

const KEY: &str = "saddr=10.0.0.1,daddr=10.0.0.2,sport=40000,dport=80,proto=6";

/// The bytes of `KEY` as `struct flow` holds them: addresses in network order, the rest in
/// host order.
fn key_bytes() -> Vec<u8> {
    let mut k = vec![10, 0, 0, 1, 10, 0, 0, 2];
    k.extend_from_slice(&40000u16.to_ne_bytes());
    k.extend_from_slice(&80u16.to_ne_bytes());
    k.extend_from_slice(&6u32.to_ne_bytes());
    k
}

/// `struct stats { __u64 packets; __s32 delta; char tag[8]; }` (24 bytes with padding).
fn stats_bytes(packets: u64, delta: i32, tag: &str) -> Vec<u8> {
    let mut v = packets.to_ne_bytes().to_vec();
    v.extend_from_slice(&delta.to_ne_bytes());
    let mut t = [0u8; 8];
    t[..tag.len()].copy_from_slice(tag.as_bytes());
    v.extend_from_slice(&t);
    v.extend_from_slice(&[0; 4]);
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `rawbpf [--json] map <args> --pin-root <env's>`: (args, output).
fn map(env: &TestEnv, json: bool, args: &[&str]) -> (Vec<String>, std::process::Output) {
    let mut full: Vec<String> = if json { vec!["--json".into()] } else { vec![] };
    full.push("map".into());
    full.extend(args.iter().map(|s| s.to_string()));
    full.push("--pin-root".into());
    full.push(env.pins.path().display().to_string());
    let out = cli::rawbpf(&full);
    (full, out)
}

fn map_json(env: &TestEnv, args: &[&str]) -> Value {
    let (full, out) = map(env, true, args);
    parse_json(&full, &out)
}

fn map_exit(env: &TestEnv, args: &[&str], code: i32) {
    let (full, out) = map(env, false, args);
    cli::assert_exit(&full, &out, &[code]);
}

fn pinned_id(env: &TestEnv, name: &str) -> u32 {
    kernel::pinned_map_id(&env.pins.join(name)).unwrap_or_else(|| panic!("no pin {name}"))
}

fn load_edit_object(env: &TestEnv) -> (u32, u32) {
    env.json(&["load", &object("map_edit.o")]);
    (pinned_id(env, "flows"), pinned_id(env, "knobs"))
}

#[test]
fn update_lookup_delete_round_trip() {
    let Some(env) = TestEnv::new("map_edit") else {
        return;
    };
    let (flows, knobs) = load_edit_object(&env);

    // update: the kernel holds exactly the typed key and value.
    let value = r#"packets=5,delta=-3,tag="web""#;
    let v = map_json(&env, &["update", "flows", "--key", KEY, "--value", value]);
    let want = (key_bytes(), stats_bytes(5, -3, "web"));
    assert_eq!(kernel::map_entries(flows), vec![want.clone()]);
    assert_eq!(v["entry"]["key_hex"], hex(&want.0), "{v}");
    assert_eq!(id(&v["map"]["id"]), flows);

    // lookup by fields and by hex: the kernel's value, decoded by name.
    let v = map_json(&env, &["lookup", "flows", "--key", KEY]);
    assert_eq!(v["btf"], "map", "{v}");
    assert_eq!(v["entry"]["value_hex"], hex(&want.1), "{v}");
    assert_eq!(v["entry"]["value"]["packets"], 5);
    assert_eq!(v["entry"]["value"]["delta"], -3);
    assert_eq!(v["entry"]["value"]["tag"], "web");
    assert_eq!(v["entry"]["key"]["saddr"], "10.0.0.1");
    assert_eq!(v["entry"]["key"]["sport"], 40000);
    let by_hex = map_json(
        &env,
        &[
            "lookup",
            "--id",
            &flows.to_string(),
            "--key-hex",
            &hex(&want.0),
        ],
    );
    assert_eq!(by_hex["entry"], v["entry"]);
    let (full, out) = map(&env, false, &["lookup", "flows", "--key", KEY]);
    cli::assert_exit(&full, &out, &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(r#"value  {packets: 5, delta: -3, tag: "web"}"#),
        "{text}"
    );

    // noexist on an existing key is refused and changes nothing.
    let args = [
        "update",
        "flows",
        "--key",
        KEY,
        "--value",
        "packets=9",
        "--flags",
        "noexist",
    ];
    map_exit(&env, &args, 2);
    assert_eq!(kernel::map_entries(flows), vec![want.clone()]);

    // An array without BTF-typed input needs nothing more than numbers.
    map_json(
        &env,
        &[
            "update", "knobs", "--key", "1", "--value", "42", "--flags", "exist",
        ],
    );
    let k = kernel::map_entries(knobs);
    assert_eq!(
        k[1],
        (1u32.to_ne_bytes().to_vec(), 42u64.to_ne_bytes().to_vec())
    );

    // delete: gone from the kernel.
    map_json(&env, &["delete", "flows", "--key", KEY]);
    assert!(kernel::map_entries(flows).is_empty());
}

#[test]
fn missing_keys_and_bad_input_change_nothing() {
    let Some(env) = TestEnv::new("map_edit_refused") else {
        return;
    };
    let (flows, _) = load_edit_object(&env);
    // No such key: exit 3 for delete, lookup and update --flags exist.
    map_exit(&env, &["delete", "flows", "--key", KEY], 3);
    map_exit(&env, &["lookup", "flows", "--key", KEY], 3);
    map_exit(
        &env,
        &[
            "update",
            "flows",
            "--key",
            KEY,
            "--value",
            "packets=1",
            "--flags",
            "exist",
        ],
        3,
    );
    assert!(kernel::map_entries(flows).is_empty());
    // A field the key does not have, a value that does not fit: usage errors.
    map_exit(
        &env,
        &["update", "flows", "--key", "nope=1", "--value", "packets=1"],
        2,
    );
    map_exit(
        &env,
        &[
            "update",
            "flows",
            "--key",
            "sport=70000",
            "--value",
            "packets=1",
        ],
        2,
    );
    assert!(kernel::map_entries(flows).is_empty());
}

#[test]
fn percpu_update_without_btf_sets_every_cpu() {
    let Some(env) = TestEnv::new("map_edit_percpu") else {
        return;
    };
    let path = env.pins.join("percpu");
    let fd = kernel::pinned_plain_map(5, "percpu", &path); // PERCPU_HASH
    let args = [
        "update",
        "percpu",
        "--key",
        "7",
        "--value-hex",
        "2a00000000000000",
    ];
    let v = map_json(&env, &args);
    let cpus = rawbpf_syscalls::possible_cpus().unwrap();
    assert_eq!(
        v["entry"]["value_hex"].as_array().map(Vec::len),
        Some(cpus),
        "{v}"
    );
    let mut all = vec![0u8; fd.value_len().unwrap()];
    assert!(rawbpf_syscalls::map_lookup_elem(&fd, &7u32.to_ne_bytes(), &mut all).unwrap());
    assert_eq!(all.len(), 8 * cpus);
    for slot in all.chunks(8) {
        assert_eq!(slot, 42u64.to_ne_bytes(), "{all:?}");
    }
    // Without BTF a value that is not a plain number needs hex.
    map_exit(
        &env,
        &["update", "percpu", "--key", "7", "--value", "packets=1"],
        2,
    );
}

#[test]
fn pin_by_id() {
    let Some(env) = TestEnv::new("map_edit_pin") else {
        return;
    };
    let (_, knobs) = load_edit_object(&env);
    let path = env.pins.join("knobs_again");
    let p = path.display().to_string();
    let pin = |args: &[&str], code: i32| {
        let mut full = vec!["--json".to_string(), "map".into(), "pin".into()];
        full.extend(args.iter().map(|s| s.to_string()));
        let out = cli::rawbpf(&full);
        cli::assert_exit(&full, &out, &[code]);
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
    };
    let v = pin(&["--id", &knobs.to_string(), &p], 0);
    assert_eq!(id(&v["map"]["id"]), knobs, "{v}");
    assert_eq!(kernel::pinned_map_id(&path), Some(knobs));
    // Never over an existing pin, never off bpffs.
    let flows = pinned_id(&env, "flows");
    let e = pin(&["--id", &flows.to_string(), &p], 2);
    assert!(
        e["error"].as_str().is_some_and(|m| m.contains("exists")),
        "{e}"
    );
    assert_eq!(kernel::pinned_map_id(&path), Some(knobs));
    let off = std::env::temp_dir().join(format!("rawbpf-map-edit-{}", std::process::id()));
    map_exit(
        &env,
        &[
            "pin",
            "--id",
            &knobs.to_string(),
            &off.display().to_string(),
        ],
        2,
    );
    assert!(!off.exists());
}

/// The cookie (hex) of the socket with local port `port` and peer port `peer`, as `ss -e`
/// prints it after `sk:`.
fn ss_cookie(port: u16, peer: u16) -> String {
    let (sport, dport) = (format!(":{port}"), format!(":{peer}"));
    let out = Command::new("ss")
        .args(["-tenH", "state", "established", "sport", "=", &sport])
        .args(["and", "dport", "=", &dport])
        .output()
        .expect("run ss");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("sk:"))
        .unwrap_or_else(|| panic!("no sk: in ss output for {port} -> {peer}: {text}"))
        .to_string()
}

#[test]
fn sockhash_lookup_is_the_cookie_and_dump_pairs_ends() {
    let Some(env) = TestEnv::new("map_edit_sock") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let conns = Connections::open(&env.cgroup, 2);
    kernel::poll(|| (kernel::map_entries(map_id).len() == 4).then_some(()))
        .unwrap_or_else(|| panic!("map {map_id} never held the four sockets"));
    let c = conns.conns[0];
    let key = format!(
        "sip4=127.0.0.1,dip4=127.0.0.1,sport={},dport={}",
        c.client_port, c.server_port
    );
    let v = map_json(&env, &["lookup", MAP_NAME, "--key", &key]);
    let cookie = v["entry"]["value"]
        .as_u64()
        .unwrap_or_else(|| panic!("{v}"));
    let kernel_value = kernel::map_entries(map_id)
        .into_iter()
        .find(|(k, _)| hex(k) == v["entry"]["key_hex"])
        .map(|(_, val)| u64::from_ne_bytes(val[..].try_into().unwrap()));
    assert_eq!(kernel_value, Some(cookie), "{v}");
    assert_eq!(v["entry"]["cookie_hex"], format!("{cookie:x}"));
    assert_eq!(
        ss_cookie(c.client_port, c.server_port),
        format!("{cookie:x}"),
        "ss -e disagrees"
    );

    // The dump pairs the two ends of each connection and prints cookies as ss does.
    let d = map_json(&env, &["dump", MAP_NAME]);
    let e = d["entries"].as_array().unwrap();
    assert_eq!(e.len(), 4, "{d}");
    for (i, entry) in e.iter().enumerate() {
        let j = entry["peer"]
            .as_u64()
            .unwrap_or_else(|| panic!("no peer: {d}")) as usize;
        let (a, b) = (&entry["key"], &e[j]["key"]);
        assert_eq!(
            (&a["sport"], &a["dport"]),
            (&b["dport"], &b["sport"]),
            "{d}"
        );
        assert_eq!(e[j]["peer"], i, "{d}");
    }
    let (full, out) = map(&env, false, &["dump", MAP_NAME]);
    cli::assert_exit(&full, &out, &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    for c in &conns.conns {
        let at = |port: u16, peer: u16| {
            let sk = format!("sk:{}", ss_cookie(port, peer));
            lines
                .iter()
                .position(|l| l.ends_with(&sk))
                .unwrap_or_else(|| panic!("no {sk} in\n{text}"))
        };
        let (x, y) = (
            at(c.client_port, c.server_port),
            at(c.server_port, c.client_port),
        );
        assert_eq!(
            x.abs_diff(y),
            1,
            "the two ends are not next to each other:\n{text}"
        );
    }

    // Socket values cannot be typed: refused, the map unchanged.
    let before = kernel::map_entries(map_id);
    map_exit(
        &env,
        &["update", MAP_NAME, "--key", &key, "--value", "1"],
        2,
    );
    assert_eq!(kernel::map_entries(map_id), before);
    drop(conns);
}

#[test]
fn watch_sees_an_entry_added_between_rounds() {
    let Some(env) = TestEnv::new("map_edit_watch") else {
        return;
    };
    let (flows, _) = load_edit_object(&env);
    map_json(
        &env,
        &[
            "update",
            "flows",
            "--key",
            "proto=1",
            "--value",
            "packets=1",
        ],
    );
    let pin_root = env.pins.path().display().to_string();
    let mut child = Command::new(RAWBPF)
        .args(["--json", "map", "dump", "flows", "--pin-root", &pin_root])
        .args(["--watch", "--interval", "300ms", "--count", "4"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf map dump --watch");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["event"], "added", "{first}");
    assert_eq!(first["round"], 1);
    // Round 1 has been printed: this entry comes after it.
    map_json(
        &env,
        &["update", "flows", "--key", KEY, "--value", "packets=2"],
    );
    assert_eq!(kernel::map_entries(flows).len(), 2);
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "watch exited {status}");
    assert_eq!(rest.len(), 1, "one change after round 1: {rest:?}");
    assert_eq!(rest[0]["event"], "added");
    assert!(
        rest[0]["round"].as_u64().is_some_and(|r| r >= 2),
        "{rest:?}"
    );
    assert_eq!(rest[0]["entry"]["key_hex"], hex(&key_bytes()));

    // The human form: one `+ KEY  VALUE` line per entry in the first round.
    let (full, out) = map(&env, false, &["dump", "flows", "--watch", "--count", "1"]);
    cli::assert_exit(&full, &out, &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("+ {")).count(),
        2,
        "{text}"
    );
    let line =
        "+ {saddr: 10.0.0.1, daddr: 10.0.0.2, sport: 40000, dport: 80, proto: 6}  {packets: 2";
    assert!(
        text.lines().any(|l| l.starts_with(line)),
        "no {line} in\n{text}"
    );

    // Without --count it runs until SIGTERM, then exits 0.
    let mut child = Command::new(RAWBPF)
        .args([
            "--json",
            "map",
            "dump",
            "flows",
            "--pin-root",
            &pin_root,
            "--watch",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn rawbpf map dump --watch");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.next().is_some(), "no first round");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "watch after SIGTERM: {status}");
}
