//! XDP through a pinned bpf_link (`load --iface`, `docs/guarantees.md`): on a veth pair
//! whose ends sit in two network namespaces this test makes (and removes, even on failure),
//! the program is attached to one end through an XDP link pinned beside its record; packets
//! sent from the other namespace are counted by the program; a reload swaps the program in
//! the same link (`BPF_LINK_UPDATE`); `detach --iface` leaves no program, link or record.
//! XDP links exist since 5.9: every supported kernel has them. tcx links (6.6+) get the same
//! test where the kernel has them, and the one-line refusal naming `tc filter add` where not.

use std::ffi::CString;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Command, Output};

use rawbpf_syscalls::{self as sys, LinkTarget};

use crate::compat_common::object;
use crate::harness::{TestEnv, cli, features, kernel};
use crate::reliability_common::{link_pin_names, record_names};

/// Two network namespaces joined by a veth pair: `a` (the XDP side, 10.201.x.1) in `ns_a`,
/// `b` (10.201.x.2) in `ns_b`. Both namespaces are deleted on Drop.
struct VethPair {
    ns_a: String,
    ns_b: String,
    subnet: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl VethPair {
    fn new(test: &str) -> VethPair {
        let base = crate::harness::unique_name(test);
        let pid = std::process::id();
        let pair = VethPair {
            ns_a: format!("{base}-a"),
            ns_b: format!("{base}-b"),
            subnet: format!("10.{}.{}", 200 + pid % 50, (pid / 50) % 250),
        };
        ip(&["netns", "add", &pair.ns_a]);
        ip(&["netns", "add", &pair.ns_b]);
        let (a, b) = (&pair.ns_a, &pair.ns_b);
        ip(&[
            "-n", a, "link", "add", "xa", "type", "veth", "peer", "name", "xb", "netns", b,
        ]);
        ip(&[
            "-n",
            a,
            "addr",
            "add",
            &format!("{}.1/24", pair.subnet),
            "dev",
            "xa",
        ]);
        ip(&[
            "-n",
            b,
            "addr",
            "add",
            &format!("{}.2/24", pair.subnet),
            "dev",
            "xb",
        ]);
        ip(&["-n", a, "link", "set", "xa", "up"]);
        ip(&["-n", b, "link", "set", "xb", "up"]);
        pair
    }

    /// `rawbpf <args>` inside `ns_a` (only the network namespace: bpffs stays visible).
    fn rawbpf(&self, args: &[String]) -> Output {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net=/run/netns/{}", self.ns_a))
            .arg("--")
            .arg(cli::RAWBPF)
            .args(args);
        cli::rawbpf_with(&mut cmd)
    }

    fn rawbpf_ok(&self, args: &[String]) -> Output {
        let out = self.rawbpf(args);
        cli::assert_exit(args, &out, &[0]);
        out
    }

    /// Sends `n` UDP datagrams from `ns_b` to `xa`'s address.
    fn send(&self, n: usize) {
        let script = format!(
            "for i in $(seq {n}); do echo x > /dev/udp/{}.1/9; done",
            self.subnet
        );
        let out = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", self.ns_b))
            .args(["--", "bash", "-c", &script])
            .output()
            .expect("run nsenter");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `ip link show dev xa` in `ns_a`.
    fn link_show(&self) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.ns_a, "link", "show", "dev", "xa"])
            .output()
            .expect("run ip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `xa`'s interface index (the number before the name in `ip -o link show`).
    fn ifindex(&self) -> u32 {
        let s = self.link_show();
        s.split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .expect("ifindex of xa")
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        for ns in [&self.ns_a, &self.ns_b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

fn counter(env: &TestEnv) -> u64 {
    count_in(env, "xdp_packets")
}

fn count_in(env: &TestEnv, map: &str) -> u64 {
    let id = kernel::pinned_map_id(&env.pins.join(map)).expect("counter map pinned");
    let entries = kernel::map_entries(id);
    let v = &entries.first().expect("slot 0").1;
    u64::from_ne_bytes(v[..8].try_into().expect("8-byte value"))
}

/// The one record and its one link pin under the test's pin root: (record, link info).
fn the_link(env: &TestEnv) -> (PathBuf, sys::LinkInfo) {
    let dir = env.pins.join("attached-progs");
    let records = record_names(&dir);
    assert_eq!(records.len(), 1, "records {records:?}");
    let links = link_pin_names(&dir);
    assert_eq!(links, vec![format!("{}%link", records[0])]);
    let c = CString::new(dir.join(&links[0]).display().to_string()).unwrap();
    let link = sys::obj_get(&c).expect("open link pin");
    (
        dir.join(&records[0]),
        sys::link_info(link.as_fd()).expect("link info"),
    )
}

#[test]
fn xdp_attaches_through_a_pinned_link_reloads_in_place_and_detaches() {
    let Some(env) = TestEnv::new("xdp_link") else {
        return;
    };
    let veth = VethPair::new("xdp");
    let obj = object("xdp_count.o");
    let load = env.args(&["--json", "load", &obj, "--iface", "xa"]);
    // `--json` must come first: env.args appends the cgroup and pin root.
    let out = veth.rawbpf_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    let first = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    assert_eq!(r["programs"][0]["attach"]["target"], "xa");

    let (record, info) = the_link(&env);
    let ifindex = veth.ifindex();
    assert_eq!(info.target, LinkTarget::Xdp { ifindex });
    assert_eq!(info.prog_id.0, first);
    assert_eq!(kernel::pinned_prog_id(&record), Some(first));
    assert!(
        veth.link_show().contains(&format!("prog/xdp id {first}")),
        "{}",
        veth.link_show()
    );

    let before = counter(&env);
    veth.send(5);
    let grew = kernel::poll(|| (counter(&env) >= before + 5).then_some(()));
    assert!(grew.is_some(), "counter {} -> {}", before, counter(&env));

    // A forced reload: a new program in the same link, one program on the interface.
    let reload = env.args(&["--json", "load", &obj, "--iface", "xa", "--force"]);
    let out = veth.rawbpf_ok(&reload);
    let r: serde_json::Value = cli::parse_json(&reload, &out);
    let second = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    assert_ne!(second, first);
    assert_eq!(r["programs"][0]["attach"]["replaced_id"], first);
    let (_, after) = the_link(&env);
    assert_eq!(after.id, info.id, "the same link");
    assert_eq!(after.prog_id.0, second);
    assert!(veth.link_show().contains(&format!("prog/xdp id {second}")));
    let count = counter(&env);
    veth.send(3);
    assert!(kernel::poll(|| (counter(&env) >= count + 3).then_some(())).is_some());

    // Detach: no program on the interface, no link, no record.
    veth.rawbpf_ok(&env.args(&["detach", "--iface", "xa"]));
    assert!(
        !veth.link_show().contains("prog/xdp"),
        "{}",
        veth.link_show()
    );
    let dir = env.pins.join("attached-progs");
    assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
    assert!(
        sys::fd_by_id(sys::IdKind::Link, after.id.0).is_err(),
        "link gone"
    );
    // Again: nothing there is exit 3, naming the interface.
    let again = env.args(&["detach", "--iface", "xa"]);
    let out = veth.rawbpf(&again);
    cli::assert_exit(&again, &out, &[3]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("interface xa"));
}

#[test]
fn an_unknown_interface_is_a_usage_error_naming_it() {
    let Some(env) = TestEnv::new("xdp_noif") else {
        return;
    };
    let obj = object("xdp_count.o");
    let (args, out) = env.run(&["load", &obj, "--iface", "rawbpf-none0"]);
    cli::assert_exit(&args, &out, &[2]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rawbpf-none0") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!env.pins.join("attached-progs").exists());
}

#[test]
fn tcx_attaches_through_a_pinned_link_where_the_kernel_has_tcx() {
    let Some(env) = TestEnv::new("tcx_link") else {
        return;
    };
    let veth = VethPair::new("tcx");
    let obj = object("tc_count.o");
    let load = env.args(&["--json", "load", &obj, "--iface", "xa"]);
    if !features::enum_has("bpf_link_type", "BPF_LINK_TYPE_TCX") {
        let plain = env.args(&["load", &obj, "--iface", "xa"]);
        let out = veth.rawbpf(&plain);
        cli::assert_exit(&plain, &out, &[4]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("tc filter add") && err.lines().count() == 1,
            "{err}"
        );
        let dir = env.pins.join("attached-progs");
        assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
        return;
    }
    let out = veth.rawbpf_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    let first = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    let (record, info) = the_link(&env);
    let ifindex = veth.ifindex();
    assert_eq!(
        info.target,
        LinkTarget::Tcx {
            ifindex,
            attach_type: 46
        }
    );
    assert_eq!(info.prog_id.0, first);
    assert_eq!(kernel::pinned_prog_id(&record), Some(first));
    let before = count_in(&env, "tc_packets");
    veth.send(5);
    let grew = kernel::poll(|| (count_in(&env, "tc_packets") >= before + 5).then_some(()));
    assert!(
        grew.is_some(),
        "tc_packets {before} -> {}",
        count_in(&env, "tc_packets")
    );

    // Unchanged: the same program; forced: a new one in the same link.
    let out = veth.rawbpf_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    assert_eq!(
        (&r["programs"][0]["status"], &r["programs"][0]["id"]),
        (&"unchanged".into(), &first.into())
    );
    let reload = env.args(&["--json", "load", &obj, "--iface", "xa", "--force"]);
    let out = veth.rawbpf_ok(&reload);
    let r: serde_json::Value = cli::parse_json(&reload, &out);
    let second = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    assert_ne!(second, first);
    let (_, after) = the_link(&env);
    assert_eq!(
        (after.id, after.prog_id.0),
        (info.id, second),
        "same link, new program"
    );

    veth.rawbpf_ok(&env.args(&["detach", "--iface", "xa"]));
    let dir = env.pins.join("attached-progs");
    assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
    assert!(
        sys::fd_by_id(sys::IdKind::Link, after.id.0).is_err(),
        "link gone"
    );
}

/// The program of `report` (`map-ids` `programs`, `status` `cgroup.programs`) with `id`.
fn listed(programs: &serde_json::Value, id: u32) -> serde_json::Value {
    programs
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("program {id} not in {programs}"))
}

#[test]
fn an_xdp_attachment_is_listed_with_its_owner_and_an_identical_reload_is_unchanged() {
    let Some(env) = TestEnv::new("xdp_show") else {
        return;
    };
    let veth = VethPair::new("xdps");
    let obj = object("xdp_count.o");
    let load = env.args(&["--json", "load", &obj, "--iface", "xa"]);
    let out = veth.rawbpf_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    let id = r["programs"][0]["id"].as_u64().expect("program id") as u32;
    let (record, info) = the_link(&env);
    assert_eq!(info.prog_id.0, id);
    let map_id = kernel::pinned_map_id(&env.pins.join("xdp_packets")).expect("counter pinned");

    // map-ids and status name the interface and mark the program rawbpf's.
    let args = env.args(&["--json", "map-ids"]);
    let ids: serde_json::Value = cli::parse_json(&args, &veth.rawbpf_ok(&args));
    let p = listed(&ids["programs"], id);
    assert_eq!(
        (&p["target"], &p["attach_type"], &p["owner"]),
        (&"iface xa".into(), &"xdp".into(), &"rawbpf".into()),
        "{p}"
    );
    assert!(p["map_ids"].as_array().unwrap().contains(&map_id.into()));
    let args = env.args(&["--json", "status"]);
    let st: serde_json::Value = cli::parse_json(&args, &veth.rawbpf_ok(&args));
    let p = listed(&st["cgroup"]["programs"], id);
    assert_eq!(
        (&p["target"], &p["owner"]),
        (&"iface xa".into(), &"rawbpf".into())
    );
    // prog show names the interface record.
    let args = vec![
        "--json".to_string(),
        "prog".into(),
        "show".into(),
        id.to_string(),
        "--pin-root".into(),
        env.pins.path().display().to_string(),
    ];
    let shown: serde_json::Value = cli::parse_json(&args, &veth.rawbpf_ok(&args));
    let rec = &shown["programs"][0]["records"][0];
    assert_eq!(rec["kind"], "iface", "{shown}");
    assert_eq!(rec["ifindex"], veth.ifindex());
    assert_eq!(rec["iface"], "xa");
    assert_eq!(rec["path"], record.display().to_string());

    // The same object again: nothing created, the same program in the same link.
    let out = veth.rawbpf_ok(&load);
    let r: serde_json::Value = cli::parse_json(&load, &out);
    assert_eq!(r["programs"][0]["status"], "unchanged", "{r}");
    assert_eq!(r["programs"][0]["id"], id);
    assert_eq!(r["programs"][0]["attach"]["target"], "xa");
    let (_, after) = the_link(&env);
    assert_eq!((after.id, after.prog_id.0), (info.id, id));
    assert_eq!(kernel::pinned_prog_id(&record), Some(id));

    veth.rawbpf_ok(&env.args(&["detach", "--iface", "xa"]));
    let dir = env.pins.join("attached-progs");
    assert!(record_names(&dir).is_empty() && link_pin_names(&dir).is_empty());
}
