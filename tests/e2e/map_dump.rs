//! `map dump` and `map show` against the kernel: the sockhash after three real loopback
//! connections shows both ends' tuples (decoded with the program's BTF) and the kernel's
//! socket cookies; a map without any BTF falls back to hex.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::cli::{self, parse_json};
use crate::harness::kernel;
use crate::harness::report::id;
use crate::harness::{Connections, MAP_NAME, SOCKOPS_O, TestEnv};

const N: usize = 3;

/// `rawbpf --json map dump <args>`, parsed (exit 0 asserted).
fn dump_json(args: &[&str]) -> Value {
    let mut full = vec!["--json".to_string(), "map".into(), "dump".into()];
    full.extend(args.iter().map(|s| s.to_string()));
    let out = cli::rawbpf(&full);
    parse_json(&full, &out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (sip4, dip4, sport, dport) of a decoded key.
fn tuple(key: &Value) -> (String, String, u64, u64) {
    let s = |f: &str| {
        key[f]
            .as_str()
            .unwrap_or_else(|| panic!("{f} is not a string in {key}"))
            .to_string()
    };
    let n = |f: &str| {
        key[f]
            .as_u64()
            .unwrap_or_else(|| panic!("{f} is not a number in {key}"))
    };
    (s("sip4"), s("dip4"), n("sport"), n("dport"))
}

#[test]
fn sockhash_dump_shows_tuples_and_cookies() {
    let Some(env) = TestEnv::new("map_dump") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let prog = kernel::the_sockops_prog(env.cgroup_path());
    let conns = Connections::open(&env.cgroup, N);
    kernel::poll(|| (kernel::map_entries(map_id).len() == 2 * N).then_some(()))
        .unwrap_or_else(|| panic!("map {map_id} never held {} sockets", 2 * N));

    let pin_root = env.pins.path().display().to_string();
    let v = dump_json(&[MAP_NAME, "--pin-root", &pin_root]);

    // The map, as the kernel describes it.
    let info = kernel::map_info(map_id).unwrap();
    assert_eq!(id(&v["map"]["id"]), map_id, "{v}");
    assert_eq!(v["map"]["name"], MAP_NAME);
    assert_eq!(v["map"]["type"], "sockhash");
    assert_eq!(v["map"]["key_size"], info.key_size);
    assert_eq!(v["map"]["value_size"], info.value_size);
    assert_eq!(v["map"]["max_entries"], info.max_entries);
    assert_eq!(
        v["map"]["pinned"],
        env.pins.join(MAP_NAME).display().to_string()
    );
    // A SOCKHASH carries no BTF: the types come from the attached program's BTF.
    assert_eq!(info.btf_id, 0, "the kernel gave the sockhash BTF after all");
    assert_eq!(v["btf"], format!("program {prog}"), "{v}");
    assert_eq!(v["key_type"], "struct sock_key");
    assert_eq!(v["value_type"], "__u64");

    // The entries are exactly the kernel's, decoded.
    let kernel_entries: BTreeMap<String, u64> = kernel::map_entries(map_id)
        .into_iter()
        .map(|(k, val)| (hex(&k), u64::from_ne_bytes(val[..].try_into().unwrap())))
        .collect();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2 * N, "{v}");
    let mut tuples = Vec::new();
    let mut cookies = Vec::new();
    for e in entries {
        let key_hex = e["key_hex"].as_str().unwrap();
        let cookie = e["value"]
            .as_u64()
            .unwrap_or_else(|| panic!("value is not the u64 cookie: {e}"));
        assert_eq!(
            kernel_entries.get(key_hex),
            Some(&cookie),
            "entry {e} vs the kernel's {kernel_entries:?}"
        );
        assert_eq!(e["value_hex"], hex(&cookie.to_ne_bytes()));
        tuples.push(tuple(&e["key"]));
        cookies.push(cookie);
    }
    let lo = "127.0.0.1".to_string();
    let mut want: Vec<_> = conns
        .conns
        .iter()
        .flat_map(|c| {
            let (cp, sp) = (u64::from(c.client_port), u64::from(c.server_port));
            [
                (lo.clone(), lo.clone(), cp, sp),
                (lo.clone(), lo.clone(), sp, cp),
            ]
        })
        .collect();
    want.sort();
    tuples.sort();
    assert_eq!(tuples, want, "decoded tuples vs the connections");
    assert!(cookies.iter().all(|&c| c != 0), "zero cookie: {cookies:?}");
    cookies.sort_unstable();
    cookies.dedup();
    assert_eq!(cookies.len(), 2 * N, "cookies are not distinct");

    // --id and --pinned name the same map and give the same entries.
    let by_id = dump_json(&["--id", &map_id.to_string()]);
    assert_eq!(by_id["entries"], v["entries"]);
    assert_eq!(by_id["map"]["pinned"], Value::Null);
    let pin = env.pins.join(MAP_NAME).display().to_string();
    let by_pin = dump_json(&["--pinned", &pin]);
    assert_eq!(by_pin["entries"], v["entries"]);

    // The human form: one line per entry with dotted addresses and the ports.
    let args: Vec<String> = ["map", "dump", MAP_NAME, "--pin-root", &pin_root]
        .map(String::from)
        .to_vec();
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "colour on a pipe:\n{text}");
    let c = conns.conns[0];
    let line = format!(
        "{{sip4: 127.0.0.1, dip4: 127.0.0.1, sport: {}, dport: {}}}",
        c.client_port, c.server_port
    );
    assert!(text.contains(&line), "no {line} in\n{text}");
    assert!(text.contains("COOKIE"), "{text}");
    assert!(text.contains(&format!("{} entries", 2 * N)), "{text}");

    // map show counts the same entries.
    let show = env.json(&["map", "show"]);
    let m = show["maps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| id(&m["id"]) == map_id)
        .unwrap_or_else(|| panic!("map {map_id} not in {show}"));
    assert_eq!(m["entries"], 2 * N, "{m}");
    assert_eq!(m["used_by"], serde_json::json!([prog]), "{m}");
    drop(conns);
}

#[test]
fn map_without_btf_dumps_hex_and_own_btf_decodes() {
    let Some(env) = TestEnv::new("map_dump_hex") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let prog = kernel::the_sockops_prog(env.cgroup_path());

    // A hash map made here without BTF, pinned next to the sockhash.
    let path = env.pins.join("plain");
    let fd = kernel::pinned_plain_map(1, "plain", &path); // HASH
    let value = 0x1122u64.to_ne_bytes();
    rawbpf_syscalls::map_update_elem(
        &fd,
        &[1, 2, 3, 4],
        &value,
        rawbpf_syscalls::UpdateFlags::Any,
    )
    .unwrap();

    let v = dump_json(&["--pinned", &path.display().to_string()]);
    assert_eq!(v["btf"], Value::Null, "{v}");
    assert_eq!(v["key_type"], Value::Null);
    let e = v["entries"].as_array().unwrap();
    assert_eq!(e.len(), 1, "{v}");
    assert_eq!(e[0]["key"], "01020304");
    assert_eq!(e[0]["key_hex"], "01020304");
    assert_eq!(e[0]["value"], hex(&value));
    assert_eq!(e[0]["value_hex"], hex(&value));

    let show = env.json(&["map", "show"]);
    assert!(
        show["maps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "plain" && m["entries"] == 1 && m["pinned"].is_string()),
        "{show}"
    );

    // The program's .rodata array carries the object's BTF: decoded by its own types.
    let rodata = kernel::prog_map_ids(prog)
        .into_iter()
        .find(|&m| kernel::map_info(m).is_some_and(|i| i.name.ends_with(".rodata")))
        .unwrap_or_else(|| panic!("program {prog} has no .rodata map"));
    assert_ne!(kernel::map_info(rodata).unwrap().btf_id, 0);
    let v = dump_json(&["--id", &rodata.to_string()]);
    assert_eq!(v["btf"], "map", "{v}");
    assert_eq!(
        v["entries"][0]["key"], 0,
        "an array's key is its index: {v}"
    );
    let text = v["entries"][0]["value"].to_string();
    assert!(
        text.contains("sockops: op %d"),
        "the .rodata value decodes as its DATASEC with the format string: {v}"
    );
}
